"""The errors jiesu raises, each tied to the exit code the CLI gives it.

Exit codes: 0 ok, 1 data invalid or check failed, 2 usage error, 3 could not run.
Messages never carry record contents: they name files, columns and row numbers only.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_CANNOT_RUN = 3


class JiesuError(Exception):
    """Base class: a problem reported to the user as one line, with an exit code."""

    exit_code = EXIT_CANNOT_RUN
    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0])


class InputError(JiesuError):
    """An input could not be read: missing, unreadable, truncated, not a case export (exit 3)."""

    exit_code = EXIT_CANNOT_RUN
    code = "unreadable-input"


class ProfileError(JiesuError):
    """A city profile or scenario is missing or broken (exit 3)."""

    exit_code = EXIT_CANNOT_RUN
    code = "broken-profile"


class DataError(JiesuError):
    """The data is readable but does not allow the requested computation (exit 1)."""

    exit_code = EXIT_INVALID
    code = "invalid-data"


class UsageError(JiesuError):
    """An option or argument is wrong (exit 2)."""

    exit_code = EXIT_USAGE
    code = "usage"
