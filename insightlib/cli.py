"""The ``insightlib`` command.

Exit codes: 0 success, 2 bad input (a message naming file, column and row; no traceback),
1 any other failure.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from insightlib import __version__
from insightlib.errors import InputError, InsightError

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


class _Log:
    """``--log FILE``: append one timestamped line per step and a final ok/failed line."""

    def __init__(self, path: str | None, command: str) -> None:
        self.path, self.command = path, command
        self.t0 = time.perf_counter()
        if path:
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                with open(path, "a", encoding="utf-8"):
                    pass
            except OSError as exc:
                why = exc.strerror or exc
                raise InputError(f"cannot write the log: {why}.", file=path) from None

    def line(self, text: str) -> None:
        if not self.path:
            return
        from insightlib.deliver import scrub

        text = scrub(text)  # a URL in a message shows only its host, in the log too
        stamp = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        text = " ".join(str(text).split())  # one line, whatever the message holds
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(f"{stamp} {self.command} {text}\n")

    def finish(self, exc: BaseException | None, result: object = None) -> None:
        took = f"({time.perf_counter() - self.t0:.1f} s)"
        if exc is None:
            self.line(f"ok {result} {took}".replace("  ", " "))
        else:
            code = 2 if isinstance(exc, InputError) else 1
            code = 130 if isinstance(exc, KeyboardInterrupt) else code
            self.line(f"failed exit={code} {took}: {type(exc).__name__}: {exc}")


def _cmd_run(args: argparse.Namespace) -> int:
    from insightlib.pipeline import run

    tty = sys.stderr.isatty() and not args.quiet
    log = _Log(args.log, f"run {args.workspace}")
    show = _progress_printer(tty or args.verbose)

    def progress(step: int, total: int, text: str) -> None:
        show(step, total, text)
        log.line(f"[{step}/{total}] {text}")

    try:
        result = run(
            args.workspace,
            period=args.period,
            out=args.out,
            audiences=args.audience or None,
            progress=progress,
        )
    except BaseException as exc:
        log.finish(exc)
        raise
    log.finish(None, result)
    if tty or args.verbose:
        print(f"Reports written to {result}", file=sys.stderr)
    else:
        print(result)
    return 0


def _cmd_send(args: argparse.Namespace) -> int:
    from insightlib.deliver import send

    log = _Log(args.log, f"send {args.run_dir}")
    try:
        lines = send(
            args.run_dir,
            latest=args.latest,
            workspace=args.workspace,
            to=args.to,
            dry_run=args.dry_run,
        )
    except BaseException as exc:
        log.finish(exc)
        raise
    for text in lines:
        log.line(text)
        print(text)
    log.finish(None)
    return 0


def _cmd_sample(args: argparse.Namespace) -> int:
    from insightlib.sample.story import write_sample

    dest = write_sample(args.dir, seed=args.seed, overwrite=args.force)
    print(f"Sample workspace written to {dest}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from insightlib.workspace.load import load_workspace

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


def _cmd_annotate(args: argparse.Namespace) -> int:
    from insightlib.memory import verdicts as feedback_loop

    if args.csv:
        if args.insight_id or args.team or args.verdict or args.note:
            raise InputError("--csv records a whole file: give no insight id, --team or --verdict.")
        n = feedback_loop.import_csv(args.reports, args.csv)
        print(f"Recorded {n['verdicts']} verdicts and {n['answers']} answers from {args.csv}")
        return 0
    missing = [o for o, v in (("INSIGHT_ID", args.insight_id), ("--team", args.team),
                              ("--verdict", args.verdict)) if not v]  # fmt: skip
    if missing:
        raise InputError(f"annotate needs {', '.join(missing)} (or --csv FILE).")
    rec = feedback_loop.annotate(
        args.reports, args.insight_id, team=args.team, verdict=args.verdict, note=args.note
    )
    print(f"Recorded: {rec['team']} {rec['verdict']} {rec['insight_id']} ({rec['period']})")
    return 0


def _cmd_answer(args: argparse.Namespace) -> int:
    from insightlib.memory import verdicts as feedback_loop

    rec = feedback_loop.answer(args.reports, args.question_id, team=args.team, note=args.note)
    print(f"Recorded: {rec['team']} answered {rec['question_id']} ({rec['period']})")
    return 0


def _cmd_lint_text(args: argparse.Namespace) -> int:
    from insightlib.text.plain import lint_file

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
    r.add_argument("--log", metavar="FILE", help="append a timestamped line per step to FILE")
    r.set_defaults(func=_cmd_run)

    d = sub.add_parser("send", help="e-mail or post a run's digest (board PDF attached)")
    d.add_argument("run_dir", help="a run folder, e.g. reports/2026-W47 (with --latest: reports)")
    d.add_argument("--latest", action="store_true", help="send the newest run under RUN_DIR")
    d.add_argument("--workspace", help="read [delivery] from here (default: run.json's workspace)")
    d.add_argument("--to", action="append", help="recipient(s), comma-separated or repeated")
    d.add_argument("--dry-run", action="store_true", help="write RUN_DIR/digest.eml; send nothing")
    d.add_argument("--log", metavar="FILE", help="append a timestamped line to FILE")
    d.set_defaults(func=_cmd_send)

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

    a = sub.add_parser("annotate", help="record a team's verdict on an insight (or a CSV of them)")
    a.add_argument("reports", help="reports root (the --out of run)")
    a.add_argument("insight_id", nargs="?", help="an insight id from insights.json")
    a.add_argument("--team", help="who gives the verdict")
    a.add_argument("--verdict", help="confirmed | refuted | explained | investigating")
    a.add_argument("--note", help="what the team knows")
    a.add_argument("--csv", help="record every row of a CSV: kind, id, team, verdict, note")
    a.set_defaults(func=_cmd_annotate)

    n = sub.add_parser("answer", help="record a team's answer to an open question")
    n.add_argument("reports", help="reports root (the --out of run)")
    n.add_argument("question_id", help="a question id (q-...) from insights.json")
    n.add_argument("--team", required=True, help="who answers")
    n.add_argument("--note", required=True, help="the answer")
    n.set_defaults(func=_cmd_answer)
    return p


def _say(exc: BaseException) -> str:
    """An error message for the terminal: one line, URLs cut to their host (a webhook path or
    query, or user:password@, is a secret)."""
    from insightlib.deliver import scrub

    return " ".join(scrub(str(exc)).splitlines())


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = args.debug or bool(os.environ.get("INSIGHTLIB_DEBUG"))
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        if debug:
            raise
        print(f"insightlib: error: {_say(exc)}", file=sys.stderr)
        return 2
    except InsightError as exc:
        if debug:
            raise
        print(f"insightlib: failed: {_say(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("insightlib: interrupted; earlier reports are untouched.", file=sys.stderr)
        return 130
    except Exception as exc:  # an unexpected failure: short message, details on --debug
        if debug:
            raise
        print(
            f"insightlib: unexpected failure: {type(exc).__name__}: {_say(exc)}\n"
            "  Earlier reports are untouched. Re-run with --debug for the traceback.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
