"""The exported reports in a real browser (headless Chromium, network off) and the PDF as pages.

Needs the Debian packages ``chromium`` and ``poppler-utils`` (``pdftoppm``); each test is
skipped with the reason when its tool is missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from fixtures_run import built_reports
from PIL import Image, ImageStat

from insightlib.report.charts import PALETTE

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PDFTOPPM = shutil.which("pdftoppm")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not installed (apt-get install chromium)"
)
needs_pdftoppm = pytest.mark.skipif(
    PDFTOPPM is None, reason="pdftoppm not installed (apt-get install poppler-utils)"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_reports(tmp_path_factory.mktemp("reports"))


def _chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on a local file with the network disabled."""
    cmd = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--proxy-server=127.0.0.1:9",  # nothing listens there: every fetch fails
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
        *args,
        page.resolve().as_uri(),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)


def _hex(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def _pixels_like(image: Image.Image, colour: str, tol: int = 40) -> int:
    """How many pixels are close to ``colour`` (anti-aliasing and opacity allowed for)."""
    pixels = np.asarray(image.convert("RGB"), dtype=int)
    return int((np.abs(pixels - np.array(_hex(colour))) < tol).all(axis=2).sum())


@needs_chromium
@pytest.mark.parametrize(("name", "charts"), [("board", 5), ("team", 6)])
def test_report_draws_its_charts_offline(
    built: Path, tmp_path: Path, name: str, charts: int
) -> None:
    page = built / "2026-W47" / f"{name}.html"
    dom = _chromium(page, tmp_path / "profile-dom", "--dump-dom").stdout
    svgs = re.findall(r"<svg\b.*?</svg>", dom, flags=re.S)
    svgs = [s for s in svgs if not re.match(r'<svg\b[^>]*class="spark"', s)]  # sparklines
    assert len(svgs) >= charts
    for svg in svgs:
        marks = re.findall(r'class="mark-(?:line|rect|symbol|rule)[^"]*"', svg)
        paths = re.findall(r'<path[^>]*\sd="M[^"]+"', svg)
        assert marks and paths, "a chart without drawn marks"
    assert "Error loading script" not in dom and "<script" not in dom

    shot = tmp_path / f"{name}.png"
    _chromium(
        page,
        tmp_path / "profile-shot",
        f"--screenshot={shot}",
        "--window-size=900,1600",
        "--hide-scrollbars",
    )
    print(f"screenshot of {name}.html: {shot}")
    image = Image.open(shot)
    assert image.size == (900, 1600)
    assert _pixels_like(image, PALETTE["primary"]) > 500  # chart lines and bars
    assert _pixels_like(image, PALETTE["worse"]) > 50  # the worse-coloured current values


@needs_pdftoppm
def test_board_pdf_is_two_pages_with_charts(built: Path, tmp_path: Path) -> None:
    pdf = built / "2026-W47" / "board.pdf"
    subprocess.run(
        [str(PDFTOPPM), "-r", "50", "-png", str(pdf), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    print("board.pdf pages:", *pages)
    assert 1 <= len(pages) <= 2
    for p in pages:
        image = Image.open(p).convert("L")
        width, height = image.size
        assert 400 < width < 430 and 570 < height < 600  # A4 at 50 dpi
        assert ImageStat.Stat(image).stddev[0] > 10, f"{p.name} looks blank"
    first = Image.open(pages[0])
    assert _pixels_like(first, PALETTE["primary"]) > 200  # charts are drawn in the PDF


_PROBE = """<script>
window.addEventListener('load', () => {
  const root = document.documentElement, width = root.clientWidth, out = [];
  document.querySelectorAll('main *').forEach(e => {
    if (e.closest('.table-wrap, details')) return;  // tables scroll in their own box
    const r = e.getBoundingClientRect();
    if (r.width > 0 && (r.right > width + 1 || r.left < -1)) out.push(e.tagName + '.' + e.className);
  });
  const texts = [...document.querySelectorAll('.story-text')].map(e => e.getBoundingClientRect().width);
  const charts = [...document.querySelectorAll('figure.chart svg')].map(e => e.getBoundingClientRect().width);
  const probe = JSON.stringify({
    width, scroll: root.scrollWidth, height: root.scrollHeight, overflow: out.slice(0, 10),
    text: Math.min(...texts), chart: Math.max(...charts), stories: texts.length});
  document.body.setAttribute('data-probe', probe);
  if (parent !== window) parent.postMessage(probe, '*');  // in the narrow frame (below)
});
</script>"""


MIN_WINDOW = 500  # Chromium's narrowest window


def _probe(page: Path, tmp_path: Path, width: int) -> dict:
    import json

    probed = tmp_path / f"probe-{width}-{page.name}"
    probed.write_text(page.read_text().replace("</body>", _PROBE + "</body>"))
    if width < MIN_WINDOW:  # Chromium's window is at least 500 px: a frame that narrow instead
        frame = tmp_path / f"frame-{width}-{page.name}"
        frame.write_text(
            f'<!doctype html><html><body style="margin:0"><iframe src="{probed.name}" '
            f'style="width:{width}px;height:900px;border:0"></iframe><script>'
            "addEventListener('message', e => document.body.setAttribute('data-probe', e.data));"
            "</script></body></html>"
        )
        probed = frame
    dom = _chromium(
        probed,
        tmp_path / f"profile-{width}",
        f"--window-size={max(width, MIN_WINDOW)},900",
        "--hide-scrollbars",
        "--virtual-time-budget=3000",
        "--dump-dom",
    ).stdout
    m = re.search(r'data-probe="([^"]+)"', dom)
    assert m, "the probe did not run"
    return json.loads(m[1].replace("&quot;", '"'))


@needs_chromium
@pytest.mark.parametrize("name", ["board", "team"])
@pytest.mark.parametrize("width", [360, 500, 1280])
def test_reports_read_well_on_a_phone_and_a_desktop(
    built: Path, tmp_path: Path, name: str, width: int
) -> None:
    got = _probe(built / "2026-W47" / f"{name}.html", tmp_path, width)
    print(name, width, got)
    assert got["width"] == width
    assert got["overflow"] == [], "elements wider than the window"
    assert got["scroll"] == width, "the page scrolls sideways"
    assert got["stories"] >= 3
    if width <= 500:
        # one column: the text of a story uses the width (not a 150 px column beside a chart),
        # and the charts scale down to the window (360 px: a phone, in a frame that narrow)
        assert got["text"] > 0.8 * (width - 40)
        assert got["chart"] <= width
    else:
        assert got["chart"] <= 700
