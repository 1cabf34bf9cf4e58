"""The insightlib command: turn a product team's numbers, customers' words and other teams'
notes into plain-English insight reports.

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


DESCRIPTION = (
    "Turn a product team's numbers (events), customers' words (feedback) and other teams'\n"
    "notes (knowledge) into plain-English insight reports: team.html, board.html/pdf,\n"
    "digest.md and insights.json."
)
EXAMPLES = """examples:
  insightlib sample data/sample                 write the sample workspace
  insightlib check data/sample                  validate a workspace, change nothing
  insightlib run data/sample --out reports      analyse the latest complete week
  insightlib send reports --latest --to me@example.com --dry-run
  insightlib answer reports q-00d8d636b7 --team Marketing --note "Newsletter on 16 Nov."

Run `insightlib COMMAND --help` for a command's options and examples."""

# per command: (description, examples)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": (
        "Analyse a workspace for one period and write a run folder (team.html, board.html and\n"
        "board.pdf, digest.md, insights.json) under the reports root, plus reports/index.html.",
        "insightlib run data/sample\n"
        "  insightlib run data/sample --period 2026-W47 --out reports --log reports/run.log",
    ),
    "send": (
        "E-mail a run's digest (HTML and plain text, board PDF attached) and/or post it to a\n"
        "chat webhook. Settings: [delivery] in insight.toml, the environment, --to.",
        "insightlib send reports/2026-W47 --to board@example.com\n"
        "  insightlib send reports --latest --dry-run --to me@example.com",
    ),
    "sample": (
        "Write the seeded sample workspace (a shop with a planted story) to DIR.",
        "insightlib sample data/sample\n  insightlib sample /tmp/demo --seed 7 --force",
    ),
    "check": (
        "Validate a workspace (insight.toml and the files it names); change nothing.",
        "insightlib check data/sample",
    ),
    "lint-text": (
        "Check texts for readability and jargon (the plain-English rules of the reports).",
        "insightlib lint-text reports/2026-W47\n  insightlib lint-text notes.txt --glossary g.csv",
    ),
    "annotate": (
        "Record a team's verdict on a finding (confirmed, refuted, explained, investigating),\n"
        "or every row of a CSV; the next run shows it and learns from it.",
        "insightlib annotate reports trend:revenue:plan=plus --team Finance "
        '--verdict confirmed --note "Trial month."\n'
        "  insightlib annotate reports --csv verdicts.csv",
    ),
    "answer": (
        "Record a team's answer to an open question of a run; the next run credits it.",
        'insightlib answer reports q-00d8d636b7 --team Marketing --note "Newsletter on 16 Nov."',
    ),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own errors are user errors: exit 2
        self.print_usage(sys.stderr)
        print(f"insightlib: error: {message}{_did_you_mean(message)}", file=sys.stderr)
        raise SystemExit(2)


def _did_you_mean(message: str) -> str:
    """`` Did you mean 'run'?`` for argparse's "invalid choice: 'rnu' (choose from ...)"."""
    import difflib
    import re

    m = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if not m:
        return ""
    choices = re.findall(r"'([^']*)'", m.group(2)) or [
        c.strip() for c in m.group(2).split(",") if c.strip()
    ]
    close = difflib.get_close_matches(m.group(1).lower(), choices, n=2, cutoff=0.5)
    if not close:
        return ""
    return " Did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


class _Progress:
    """The progress lines of ``run`` with each step's time. On a terminal a step's line is
    written when it starts and its time added when it ends; otherwise (``--verbose`` into a
    file or pipe) one plain line per finished step: ``[2/7] Measuring ... (1.3 s)``."""

    def __init__(self, enabled: bool, tty: bool) -> None:
        self.enabled, self.tty = enabled, tty
        self.current: tuple[int, int, str, float] | None = None

    def _end(self, how: str | None = None) -> None:
        if self.current is None or not self.enabled:
            self.current = None
            return
        step, total, text, t0 = self.current
        took = how or f"{time.perf_counter() - t0:.1f} s"
        if self.tty:
            print(f" {took}", file=sys.stderr, flush=True)
        else:
            print(f"[{step}/{total}] {text} ({took})", file=sys.stderr, flush=True)
        self.current = None

    def __call__(self, step: int, total: int, text: str) -> None:
        self._end()
        self.current = (step, total, text, time.perf_counter())
        if self.enabled and self.tty:
            print(f"[{step}/{total}] {text} …", end="", file=sys.stderr, flush=True)

    def finish(self, ok: bool) -> None:
        self._end(None if ok else "failed")


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

    terminal = sys.stderr.isatty()
    tty = terminal and not args.quiet
    log = _Log(args.log, f"run {args.workspace}")
    show = _Progress(tty or args.verbose, tty)

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
        show.finish(False)
        log.finish(exc)
        raise
    show.finish(True)
    log.finish(None, result)
    if tty or args.verbose:
        print(f"Reports written to {result}", file=sys.stderr)
        if tty:  # a hint for a person at a terminal; scripts get plain lines only
            index = Path(args.out) / "index.html"
            print(f"Open {index} in a browser to read them.", file=sys.stderr)
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
    p = _Parser(
        prog="insightlib",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"insightlib {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks for every error")
    sub = p.add_subparsers(
        dest="command", required=True, parser_class=_Parser, metavar="COMMAND", title="commands"
    )
    add_parser = sub.add_parser

    def add(name: str, **kw: object) -> argparse.ArgumentParser:
        description, examples = COMMANDS[name]
        return add_parser(
            name,
            description=description,
            epilog=f"examples:\n  {examples}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
            **kw,
        )

    sub.add_parser = add  # type: ignore[method-assign]

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
