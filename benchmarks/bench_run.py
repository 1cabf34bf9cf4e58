"""Benchmark of a whole run (``insightlib run``: every step, notebooks, HTML and PDF) by size.

Run ``python benchmarks/bench_run.py`` (or ``make bench``). For each size (default 1M, 3M, 10M
and 30M events; one user per 10 events, 3 segment columns, 90 days; the events of
``bench_quant.py``, cached as Parquet) plus 100k events for the fixed cost, with the same 100k
feedback rows (``bench_qual.py``'s generator, moved so its last week is the run's period), it
measures in fresh processes, interleaved so a busy machine hurts all alike:

* **run** — ``insightlib.pipeline.run(workspace)``: load, quantitative and qualitative steps,
  fusion, history, fragments, both notebooks, HTML and PDF;
* **SQL** — strong hand-written DuckDB SQL computing the same weekly and daily aggregates
  (``bench_quant.run_sql``), the yardstick every figure is divided by;
* **pandas** — the same aggregates in a pandas ``groupby`` (``bench_quant.run_pandas``; skipped
  above ``--pandas-max`` events, since it needs about 4 GB per 10M events).

It prints wall time, CPU time and peak memory (max RSS of the process; the notebooks' kernels
are separate and small) per size, every time as a ratio to the SQL of the same size, the fixed
cost (the 100k-event run) and the marginal cost of the events (run minus fixed cost) as ratios
to the SQL at 10M (or the largest size), the load average before and after, and the step
timings of the run (``run.json``). ``--sizes 1e6,3e6`` limits the sizes (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_quant as bq  # noqa: E402

DAYS = 90
FIXED_EVENTS = 100_000
FEEDBACK_TOML = 'events = "events.parquet"\nfeedback = "feedback.parquet"\n'


def _feedback_file(ws: Path, n: int, period_start: object) -> None:
    """``n`` feedback rows whose last generated week is the run's period (cached per size)."""
    import pandas as pd
    from bench_qual import make_feedback

    path = ws / "feedback.parquet"
    marker = ws / f".feedback-{n}"
    if path.exists() and marker.exists():
        return
    fb, label = make_feedback(n)
    from insightlib.workspace.periods import parse_period

    shift = pd.Timestamp(parse_period(label).start) - pd.Timestamp(period_start)
    fb["created_at"] = (fb["created_at"] - shift).dt.tz_localize("UTC")
    fb.to_parquet(path, index=False)
    for old in ws.glob(".feedback-*"):
        old.unlink()
    marker.touch()


def workspace(n_events: int, n_feedback: int) -> Path:
    ws = bq.workspace(n_events, max(n_events // 10, 1000), DAYS)
    win = bq.windows(DAYS)
    from insightlib.workspace.periods import parse_period

    _feedback_file(ws, n_feedback, parse_period(win["period"]).start)
    toml = bq.TOML.replace('events = "events.parquet"\n', FEEDBACK_TOML)
    (ws / "insight.toml").write_text(toml)
    return ws


def _rusage() -> dict[str, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
        "peak_gb": me.ru_maxrss / 1024**2,
    }


def _child_run(ws: str, queue: mp.Queue) -> None:
    from insightlib import pipeline

    out = Path(tempfile.mkdtemp(prefix="insightlib-bench-run-"))
    try:
        t = time.perf_counter()
        folder = pipeline.run(ws, out=out)
        seconds = time.perf_counter() - t
        info = json.loads((folder / "run.json").read_text())
        queue.put({"seconds": seconds, **_rusage(), "steps": info.get("timings_s", {})})
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _child_ref(name: str, ws: str, win: dict, queue: mp.Queue) -> None:
    import duckdb  # noqa: F401  (imports are not timed)
    import pandas  # noqa: F401

    fn = {"sql": bq.run_sql, "pandas": bq.run_pandas}[name]
    cpu = _rusage()["cpu"]
    out = fn(Path(ws), win)
    queue.put({"seconds": out["seconds"], "cpu": _rusage()["cpu"] - cpu, **_rusage()})


def measure(kind: str, ws: Path, win: dict) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    if kind == "run":
        proc = ctx.Process(target=_child_run, args=(str(ws), queue))
    else:
        proc = ctx.Process(target=_child_ref, args=(kind, str(ws), win, queue))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def _sizes(text: str) -> list[int]:
    return [int(float(x)) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=_sizes, default=_sizes("1e6,3e6,1e7,3e7"))
    ap.add_argument("--feedback", type=int, default=100_000, help="feedback rows (every size)")
    ap.add_argument(
        "--fixed-feedback", type=int, default=1_000, help="feedback rows of the fixed-cost run"
    )
    ap.add_argument("--repeat", type=int, default=1, help="runs per size and kind (best time)")
    ap.add_argument("--pandas-max", type=float, default=1e7, help="largest size pandas runs on")
    ap.add_argument("--json", type=Path, help="also write the results to this file")
    args = ap.parse_args(argv)

    win = bq.windows(DAYS)
    load0 = os.getloadavg()
    print(
        f"sizes {', '.join(f'{n:,}' for n in args.sizes)} events with {args.feedback:,} feedback "
        f"rows, and {FIXED_EVENTS:,} events with {args.fixed_feedback:,} for the fixed cost; "
        f"period {win['period']}; "
        f"{os.cpu_count()} CPUs, load average {load0[0]:.1f} / {load0[1]:.1f} / {load0[2]:.1f}",
        flush=True,
    )
    results: dict[int, dict[str, dict]] = {}
    for n in [FIXED_EVENTS, *args.sizes]:
        ws = workspace(n, args.fixed_feedback if n == FIXED_EVENTS else args.feedback)
        kinds = ["run", "sql"] + (["pandas"] if n <= args.pandas_max else [])
        best: dict[str, dict] = {}
        for _ in range(args.repeat):
            for kind in kinds:
                r = measure(kind, ws, win)
                print(
                    f"  {n:>12,} {kind:6s} {r['seconds']:7.2f} s  CPU {r['cpu']:6.2f} s  "
                    f"peak {r['peak_gb']:.2f} GB",
                    flush=True,
                )
                old = best.get(kind)
                if old is None or r["seconds"] < old["seconds"]:
                    best[kind] = {**r, "peak_gb": max(r["peak_gb"], (old or r)["peak_gb"])}
                else:
                    old["peak_gb"] = max(old["peak_gb"], r["peak_gb"])
        results[n] = best
    load1 = os.getloadavg()

    print()
    print(f"load average before {load0[0]:.1f}, after {load1[0]:.1f} (2 CPUs: above 2 is busy)")
    head = (
        f"{'events':>12s} {'SQL':>7s} {'pandas':>7s} {'run':>7s} {'run/SQL':>8s} "
        f"{'quant/SQL':>9s} {'pandas/SQL':>10s} {'run CPU':>8s} {'CPU/SQL CPU':>11s} "
        f"{'run peak':>9s} {'SQL peak':>9s}"
    )
    print(head)
    for n, r in results.items():
        sql, run = r["sql"], r["run"]
        pdx = r.get("pandas")
        print(
            f"{n:>12,} {sql['seconds']:6.2f}s "
            + (f"{pdx['seconds']:6.2f}s" if pdx else f"{'–':>7s}")
            + f" {run['seconds']:6.2f}s {run['seconds'] / sql['seconds']:7.1f}x "
            + f"{run['steps'].get('quant', float('nan')) / sql['seconds']:8.2f}x "
            + (f"{pdx['seconds'] / sql['seconds']:9.1f}x" if pdx else f"{'–':>10s}")
            + f" {run['cpu']:7.1f}s {run['cpu'] / sql['cpu']:10.1f}x"
            + f" {run['peak_gb']:7.2f} GB {sql['peak_gb']:6.2f} GB"
        )
    ref_n = 10_000_000 if 10_000_000 in results else max(args.sizes)
    ref = results[ref_n]["sql"]["seconds"]
    fixed = results[FIXED_EVENTS]["run"]["seconds"]
    print()
    fixed_cpu = results[FIXED_EVENTS]["run"]["cpu"]
    ref_cpu = results[ref_n]["sql"]["cpu"]
    print(f"fixed cost (run on {FIXED_EVENTS:,} events, {args.fixed_feedback:,} feedback rows) = "
          f"{fixed:.2f} s = {fixed / ref:.1f}x the SQL at {ref_n:,} events ({ref:.2f} s); "
          f"in CPU time {fixed_cpu:.1f} s = {fixed_cpu / ref_cpu:.1f}x ({ref_cpu:.1f} s); "
          "target <= 3x")  # fmt: skip
    fsteps = results[FIXED_EVENTS]["run"]["steps"]
    export = fsteps.get("html", float("nan")) + fsteps.get("pdf", float("nan"))
    print(f"export of the fixed-cost run (HTML {fsteps.get('html', float('nan')):.2f} s + PDF "
          f"{fsteps.get('pdf', float('nan')):.2f} s) = {export:.2f} s = {export / ref:.2f}x the "
          f"SQL at {ref_n:,} events; target <= 1 s")  # fmt: skip
    for n in args.sizes:
        run, sql = results[n]["run"], results[n]["sql"]
        quant = run["steps"].get("quant", float("nan"))
        print(f"{n:,} events: the quantitative step {quant:.2f} s = {quant / sql['seconds']:.2f}x "
              f"the SQL (target <= 1.5x); peak memory {run['peak_gb']:.2f} GB")  # fmt: skip
    steps = results[ref_n]["run"]["steps"]
    print(
        f"run steps at {ref_n:,} events (s): " + ", ".join(f"{k} {v:.2f}" for k, v in steps.items())
    )
    steps = results[FIXED_EVENTS]["run"]["steps"]
    print(
        f"run steps at {FIXED_EVENTS:,} events (s): "
        + ", ".join(f"{k} {v:.2f}" for k, v in steps.items())
    )
    if args.json:
        args.json.write_text(json.dumps({"load": [load0, load1], "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
