"""One exception tree for insightlib.

Every error a user can cause by their input derives from :class:`InputError`; the CLI prints
its message (no traceback) and exits with code 2. Messages name the file, the column and the
row where they apply, say what was expected and what came, and how to fix it.
"""

from __future__ import annotations

__all__ = ["InsightError", "InputError", "ConfigError", "DataError", "RunError"]


class InsightError(Exception):
    """Base class of every error raised by insightlib."""


class InputError(InsightError):
    """Something the user supplied is wrong (CLI exit code 2).

    Parameters
    ----------
    message
        What is wrong, what was expected and how to fix it.
    file, column, row
        Where the problem is; ``row`` is 1-based and counts data rows (the header is row 0).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        column: str | None = None,
        row: int | None = None,
    ) -> None:
        self.file = file
        self.column = column
        self.row = row
        self.detail = message
        where = []
        if file:
            where.append(f"{file}")
        if column:
            where.append(f"column '{column}'")
        if row is not None:
            where.append(f"row {row}")
        prefix = ", ".join(where)
        text = f"{prefix}: {message}" if prefix else message
        # one line, whatever the user's data held (a column name with a line break, say)
        super().__init__(" ".join(text.splitlines()))


class ConfigError(InputError):
    """insight.toml is missing, malformed, or names something that does not exist."""


class DataError(InputError):
    """A data file is missing, unreadable, or has a bad column or value."""


class RunError(InsightError):
    """A run failed for a reason that is not the user's input (CLI exit code 1)."""
