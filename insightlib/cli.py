"""The ``insightlib`` command.

Exit codes: 0 success, 2 bad input (a message naming file, column and row; no traceback),
1 any other failure.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__
from .errors import InputError, InsightError

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own errors are user errors: exit 2
        self.print_usage(sys.stderr)
        print(f"insightlib: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _progress_printer(enabled: bool):
    def show(step: int, total: int, text: str) -> None:
        if enabled:
            print(f"[{step}/{total}] {text}", file=sys.stderr, flush=True)

    return show


def _cmd_run(args: argparse.Namespace) -> int:
    from .pipeline import run

    tty = sys.stderr.isatty() and not args.quiet
    result = run(
        args.workspace,
        period=args.period,
        out=args.out,
        audiences=args.audience or None,
        progress=_progress_printer(tty or args.verbose),
    )
    if tty or args.verbose:
        print(f"Reports written to {result}", file=sys.stderr)
    else:
        print(result)
    return 0


def _cmd_sample(args: argparse.Namespace) -> int:
    from .sample import write_sample

    dest = write_sample(args.dir, seed=args.seed, overwrite=args.force)
    print(f"Sample workspace written to {dest}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from .load import load_workspace

    ws = load_workspace(args.workspace)
    cfg = ws.config
    print(f"{cfg.rel(cfg.path)}: OK — project {cfg.project!r}, {len(cfg.metrics)} metrics, ")
    print(f"  segments: {', '.join(cfg.segments) or '(none)'}; grain: {cfg.grain}")
    for name, info in ws.files.items():
        print(f"  {name}: {info['path']} — {info['rows']:,} rows")
    print(f"  data covers {ws.first_day} to {ws.last_day}")
    for note in ws.notes:
        print(f"  note: {note}")
    return 0


def _cmd_lint_text(args: argparse.Namespace) -> int:
    from .plain import lint_file

    return lint_file(args.target, glossary=args.glossary, out=sys.stdout)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="insightlib", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"insightlib {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks for every error")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="analyse a workspace and write the reports")
    r.add_argument("workspace", help="folder holding insight.toml")
    r.add_argument("--period", help="2026-W47, 2026-11 or 2026-11-22 (default: latest complete)")
    r.add_argument("--out", default="reports", help="reports root (default: reports)")
    r.add_argument("--audience", action="append", help="only these audiences (repeatable)")
    r.add_argument("-v", "--verbose", action="store_true", help="a line per step, always")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    r.set_defaults(func=_cmd_run)

    s = sub.add_parser("sample", help="write the seeded sample workspace")
    s.add_argument("dir", nargs="?", default="data/sample")
    s.add_argument("--seed", type=int, default=47)
    s.add_argument("--force", action="store_true", help="overwrite an existing sample")
    s.set_defaults(func=_cmd_sample)

    c = sub.add_parser("check", help="validate a workspace; change nothing")
    c.add_argument("workspace")
    c.set_defaults(func=_cmd_check)

    t = sub.add_parser("lint-text", help="readability and jargon check of texts")
    t.add_argument("target", help="an insights.json, a run folder, or a text file")
    t.add_argument("--glossary", help="a glossary.csv to apply")
    t.set_defaults(func=_cmd_lint_text)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = args.debug or bool(os.environ.get("INSIGHTLIB_DEBUG"))
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        if debug:
            raise
        print(f"insightlib: error: {exc}", file=sys.stderr)
        return 2
    except InsightError as exc:
        if debug:
            raise
        print(f"insightlib: failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("insightlib: interrupted; earlier reports are untouched.", file=sys.stderr)
        return 130
    except Exception as exc:  # an unexpected failure: short message, details on --debug
        if debug:
            raise
        print(
            f"insightlib: unexpected failure: {type(exc).__name__}: {exc}\n"
            "  Earlier reports are untouched. Re-run with --debug for the traceback.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
