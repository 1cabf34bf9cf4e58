"""`make mutation`: mutation testing of the core with mutmut, one score per module and overall.

Runs ``mutmut run`` on the functions named below (statistics, periods, redaction, engine
aggregation, locus, the qualitative emerging/fading rules) with the fast tests listed in
``[tool.mutmut]`` of pyproject.toml, then prints one line per module and, as the last line,
``mutation score: K killed of N (P%)``. Timeouts count as killed (the mutant hung the tests);
"no tests" and survivors count as not killed. Survivors judged equivalent are listed with a
reason in docs/mutation.md; they are not taken out of the score.

    python tests/mutation_score.py                 # every module (cached, see below)
    python tests/mutation_score.py stats periods   # some modules
    python tests/mutation_score.py --survivors     # also list the surviving mutants
    python tests/mutation_score.py qual --again    # re-run only what was not killed last time
    python tests/mutation_score.py --fresh         # forget every result, run everything
    python tests/mutation_score.py --report        # the scores of the last runs, no run

Speed: mutmut runs two mutants at a time (``MUTATION_JOBS``, default 2 = the cores), each in a
process forked from one that has imported everything, with only the tests that call the mutated
function, fastest first, stopping at the first failure. Results are cached in ``mutants/``:
a run tests only the mutants without a result, and mutmut drops the results of a function
whose code changed, so after a small change only that function's mutants run again. (mutmut
itself re-runs every mutant named on its command line; the wrapper below skips the ones with
a result.) Adding tests cannot revive a killed mutant, so after new tests ``--again`` re-runs
only the mutants not killed so far (survived, no tests).
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# mutmut names a mutant <module>.x_<function>__mutmut_<n> (methods: xǁ<Class>ǁ<method>__mutmut_<n>)
MODULES: dict[str, list[str]] = {
    "stats": ["insightlib.quant.stats.*"],
    "periods": ["insightlib.workspace.periods.*"],
    "redact": ["insightlib.text.redact.*"],
    "engine": [
        # how events become additive per-period, per-segment statistics
        "insightlib.quant.engine.x__prepare__mutmut_*",
        "insightlib.quant.engine.x_period_start__mutmut_*",
        "insightlib.quant.engine.x__groupings__mutmut_*",
        "insightlib.quant.engine.x__keyed__mutmut_*",
        "insightlib.quant.engine.x__long__mutmut_*",
        "insightlib.quant.engine.xǁ_Planǁ*",
    ],
    "locus": ["insightlib.quant.locus.*"],
    "qual": [
        # the emerging / fading rules: overdispersion, the share test, the guards, the two passes
        "insightlib.qual.analyse.x__overdispersion__mutmut_*",
        "insightlib.qual.analyse.x__test__mutmut_*",
        "insightlib.qual.analyse.x__run_tests__mutmut_*",
        "insightlib.qual.analyse.x__flag__mutmut_*",
        "insightlib.qual.analyse.x__findings__mutmut_*",
    ],
}


# `mutmut run` with these names, skipping the mutants that already have a result
_CACHED_RUN = """
import sys
import mutmut.__main__ as mm

collect = mm.collect_source_file_mutation_data

def pending(*, mutant_names):
    mutants, by_path = collect(mutant_names=mutant_names)
    return [(m, k, r) for m, k, r in mutants if r is None], by_path

mm.collect_source_file_mutation_data = pending
sys.argv = ["mutmut", *sys.argv[1:]]
sys.exit(mm.cli())
"""


def _mutmut(*args: str, cached: bool = False) -> subprocess.CompletedProcess[str]:
    if cached:
        cmd = [sys.executable, "-c", _CACHED_RUN, *args]
    else:
        exe = Path(sys.executable).with_name("mutmut")
        cmd = [str(exe) if exe.exists() else "mutmut", *args]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # import the mutants
    return subprocess.run(cmd, cwd=ROOT, env=env, text=True, capture_output=args[0] == "results")


KILLED = ("killed", "timeout")


def _match(name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(name, p) for p in patterns)


def _status() -> dict[str, str]:
    """Every mutant's status from the results mutmut keeps in mutants/."""
    out = _mutmut("results", "--all", "true")
    status: dict[str, str] = {}
    for line in out.stdout.splitlines():
        name, sep, st = line.strip().rpartition(": ")
        if sep:
            status[name] = st
    return status


def main(argv: list[str]) -> int:
    show = "--survivors" in argv
    fresh = "--fresh" in argv
    again = "--again" in argv
    report = "--report" in argv
    names = [a for a in argv if not a.startswith("--")] or list(MODULES)
    unknown = sorted(set(names) - set(MODULES))
    if unknown:
        print(f"unknown module(s) {unknown}; choose from {sorted(MODULES)}", file=sys.stderr)
        return 2
    if fresh:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    patterns = [p for n in names for p in MODULES[n]]
    if again:
        left = [k for k, v in _status().items() if v not in KILLED and _match(k, patterns)]
        patterns = left
    if patterns and not report:
        jobs = os.environ.get("MUTATION_JOBS", "2")
        t0 = time.monotonic()
        run = _mutmut("run", "--max-children", jobs, *patterns, cached=not again)
        if run.returncode != 0:
            print(f"mutmut run failed (exit {run.returncode})", file=sys.stderr)
            return run.returncode
        print(f"mutmut run took {(time.monotonic() - t0) / 60:.1f} min")
    status = _status()
    killed_all = total_all = 0
    for n in names:
        mine = {k: v for k, v in status.items() if _match(k, MODULES[n])}
        killed = sum(v in KILLED for v in mine.values())
        total_all += len(mine)
        killed_all += killed
        pct = 100.0 * killed / len(mine) if mine else 0.0
        print(f"{n}: {killed} killed of {len(mine)} ({pct:.1f}%)")
        if show:
            for k, v in sorted(mine.items()):
                if v not in KILLED:
                    print(f"    {v}: {k}")
    pct = 100.0 * killed_all / total_all if total_all else 0.0
    print(f"mutation score: {killed_all} killed of {total_all} ({pct:.1f}%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
