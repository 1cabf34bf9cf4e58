"""The one SQLite file of a reports root (``history.sqlite``): its schema, version and connections.

Two modules write to it — :mod:`insightlib.memory.history` (which insights each run found) and
:mod:`insightlib.memory.verdicts` (teams' verdicts, answers and the questions asked) — and both
go through here, so the file has one owner, one schema and one version number
(``PRAGMA user_version``):

* version 0: a new, empty file;
* version 1: runs and insights only (insightlib 0.1; the verdict tables were added later without
  a version change, so a version-1 file may or may not have them);
* version 2: all five tables below.

:func:`transaction` opens a write transaction and brings an older file up to
:data:`SCHEMA_VERSION` first (every migration only adds tables, so it is idempotent); a file
written by a newer insightlib is refused with a message instead of being changed.

The file is kept in SQLite's write-ahead-log mode (``PRAGMA journal_mode = WAL``, set by the
first writer and remembered by the file): a program reading it — a database browser, a backup,
another insightlib command — holds no lock that keeps a run from committing, and a run never
blocks a reader. Only another *writer* can keep a commit waiting; after the busy timeout and
retries that is an :class:`~insightlib.errors.InputError` (exit 2) and nothing is published.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from insightlib.errors import InputError, RunError

__all__ = [
    "DB_NAME",
    "SCHEMA_VERSION",
    "connect",
    "transaction",
    "schema_version",
    "busy_timeout",
]

DB_NAME = "history.sqlite"
SCHEMA_VERSION = 2

#: Statements that bring a file from version ``n - 1`` to version ``n`` (index ``n``).
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE IF NOT EXISTS runs (
            project      TEXT NOT NULL,
            label        TEXT NOT NULL,
            grain        TEXT NOT NULL,
            period_start TEXT NOT NULL,
            period_end   TEXT NOT NULL,
            title        TEXT,
            n_insights   INTEGER NOT NULL,
            recorded_at  TEXT NOT NULL,
            PRIMARY KEY (project, label)
        )""",
        """CREATE TABLE IF NOT EXISTS insights (
            project   TEXT NOT NULL,
            label     TEXT NOT NULL,
            id        TEXT NOT NULL,
            rank      INTEGER NOT NULL,
            kind      TEXT,
            title     TEXT,
            headline  TEXT,
            metric    TEXT,
            segment   TEXT,
            direction TEXT,
            better    INTEGER,
            score     REAL,
            PRIMARY KEY (project, label, id),
            FOREIGN KEY (project, label) REFERENCES runs (project, label) ON DELETE CASCADE
        )""",
        "CREATE INDEX IF NOT EXISTS runs_by_start ON runs (project, grain, period_start)",
    ),
    2: (
        """CREATE TABLE IF NOT EXISTS verdicts (
            project      TEXT NOT NULL,
            insight_id   TEXT NOT NULL,
            period       TEXT NOT NULL,
            team         TEXT NOT NULL,
            verdict      TEXT NOT NULL,
            note         TEXT,
            created_at   TEXT NOT NULL,
            segment      TEXT,
            window_start TEXT
        )""",
        """CREATE TABLE IF NOT EXISTS answers (
            project      TEXT NOT NULL,
            question_id  TEXT NOT NULL,
            insight_id   TEXT NOT NULL,
            insight_ids  TEXT NOT NULL,
            period       TEXT NOT NULL,
            team         TEXT NOT NULL,
            note         TEXT NOT NULL,
            created_at   TEXT NOT NULL,
            segment      TEXT,
            window_start TEXT
        )""",
        """CREATE TABLE IF NOT EXISTS questions (
            project      TEXT NOT NULL,
            question_id  TEXT NOT NULL,
            insight_id   TEXT,
            team         TEXT,
            period       TEXT NOT NULL,
            asked_at     TEXT NOT NULL,
            PRIMARY KEY (project, question_id)
        )""",
        "CREATE INDEX IF NOT EXISTS verdicts_by_id ON verdicts (project, insight_id)",
        "CREATE INDEX IF NOT EXISTS answers_by_id ON answers (project, question_id)",
    ),
}
assert max(MIGRATIONS) == SCHEMA_VERSION


#: How often BEGIN and COMMIT are tried while another program holds the file locked.
BUSY_ATTEMPTS = 3


def busy_timeout() -> float:
    """Seconds one attempt waits for a lock on the file (``INSIGHTLIB_HISTORY_TIMEOUT``,
    default 10); BEGIN and COMMIT are tried :data:`BUSY_ATTEMPTS` times."""
    raw = os.environ.get("INSIGHTLIB_HISTORY_TIMEOUT", "10")
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        from insightlib.errors import ConfigError

        raise ConfigError(
            f"INSIGHTLIB_HISTORY_TIMEOUT={raw!r} must be a number of seconds from 0 to 3600.",
            file="environment",
        )
    return value


def _retry(con: sqlite3.Connection, sql: str, path: Path) -> None:
    """Execute ``sql`` (BEGIN IMMEDIATE or COMMIT), again while another program keeps the file
    locked (in WAL mode only a writer can); an InputError (exit 2) naming the lock at the end."""
    for attempt in range(BUSY_ATTEMPTS):
        try:
            con.execute(sql)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() and "busy" not in str(exc).lower():
                raise
            if attempt == BUSY_ATTEMPTS - 1:
                raise InputError(
                    f"the run history stayed locked by another program for "
                    f"{BUSY_ATTEMPTS} x {busy_timeout():g} s ({exc}); let it finish or close it "
                    "(a database browser with unsaved changes, another insightlib command) and "
                    "run again.",
                    file=str(path),
                ) from None
            time.sleep(0.2 * (attempt + 1))


@contextmanager
def connect(db: str | os.PathLike[str], *, write: bool) -> Iterator[sqlite3.Connection]:
    """A connection to the store (autocommit mode: callers open their own transactions).

    Reading a file that does not exist yet is the caller's business (check ``Path.exists``
    first); corruption becomes a :class:`RunError` that tells how to start over.
    """
    path = Path(db)
    try:
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
        # also for reading: a read-write connection rolls back a crashed writer's journal
        con = sqlite3.connect(path, timeout=busy_timeout(), isolation_level=None)
    except sqlite3.Error as exc:
        raise RunError(f"{path}: cannot open the run history ({exc}).") from None
    try:
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA synchronous = FULL")
        if write:
            _wal(con)
        yield con
    except sqlite3.DatabaseError as exc:
        if type(exc) is not sqlite3.DatabaseError:  # locked, bad value, ...: not corruption
            raise
        raise RunError(
            f"{path}: the run history is unreadable ({exc}). Move the file aside to start a "
            "new history; the run folders are not affected."
        ) from None
    finally:
        con.close()


def _wal(con: sqlite3.Connection) -> None:
    """Switch the file to write-ahead-log mode (once; the file remembers it), so readers never
    keep a run from committing. A file another program holds open in the older rollback mode
    cannot switch now; it stays as it is (the busy timeout and retries then apply)."""
    try:
        con.execute("PRAGMA journal_mode = WAL").fetchone()
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc).lower() and "busy" not in str(exc).lower():
            raise


def schema_version(con: sqlite3.Connection) -> int:
    """The file's schema version (``PRAGMA user_version``)."""
    return int(con.execute("PRAGMA user_version").fetchone()[0])


def _migrate(con: sqlite3.Connection) -> None:
    version = schema_version(con)
    if version > SCHEMA_VERSION:
        raise RunError(
            f"the run history was written by a newer insightlib (schema {version}); "
            "upgrade insightlib."
        )
    # every migration only adds tables (IF NOT EXISTS), so re-applying one is harmless: a
    # version-1 file written after the verdict tables existed already has some of version 2
    for step in range(max(version, 0) + 1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[step]:
            con.execute(statement)
    if version < SCHEMA_VERSION:
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


@contextmanager
def transaction(db: str | os.PathLike[str]) -> Iterator[sqlite3.Connection]:
    """One write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``) on an up-to-date schema.

    Everything inside commits together or not at all: an exception (or a kill) rolls it back and
    leaves the file as it was.
    """
    path = Path(db)
    with connect(path, write=True) as con:
        _retry(con, "BEGIN IMMEDIATE", path)
        try:
            _migrate(con)
            yield con
            _retry(con, "COMMIT", path)
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
