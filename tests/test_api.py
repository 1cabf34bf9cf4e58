import subprocess
import sys

import insightlib


def test_every_public_name_resolves() -> None:
    for name in insightlib.__all__:
        assert getattr(insightlib, name) is not None, name


def test_import_is_light() -> None:
    # the CLI and `import insightlib` must not pull in the heavy analysis stack
    code = "import sys, insightlib; print(sorted(m for m in ('duckdb','ibis','sklearn','altair') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
