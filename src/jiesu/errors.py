"""The errors jiesu's library raises. Each has a stable kebab-case ``code``; the command line maps
the classes to exit codes (``jiesu.cli.common.EXIT_CODES``), the library knows nothing of them.

Messages never carry record contents: they name files, columns and row numbers. Whatever a message
holds is masked (phone and ID numbers, e-mail addresses) and made printable when it is built.
"""

from __future__ import annotations

import re


class JiesuError(Exception):
    """Base class: a problem reported to the user as one line."""

    code = "error"
    #: what the error means, for the documentation (cli.md lists every code)
    meaning = "an error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        from .safe import mask, printable

        super().__init__(printable(mask(message)))
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0])


class InputError(JiesuError):
    """An input could not be read: missing, unreadable, truncated, not a case export."""

    code = "unreadable-input"
    meaning = ("an input is missing, unreadable, truncated, of an unknown format, not a regular file "
               "(a FIFO or device), named in bytes that are not UTF-8, has two columns of one name, or "
               "has columns in types that cannot hold their field")


class OutputError(JiesuError):
    """An output cannot be written where it was asked for (a folder, a device, an input file)."""

    code = "bad-output"
    meaning = "the output target is a folder, a device or FIFO, an input of the same run, or in a missing folder"


class ProfileError(JiesuError):
    """A city profile, scenario or mapping is missing or broken."""

    code = "broken-profile"
    meaning = ("a profile, scenario or import mapping is missing, not TOML, or breaks its schema or rules "
               "(a mapping that takes time limits from a profile also needs --profile)")


class DataError(JiesuError):
    """The data is readable but does not allow the requested computation."""

    code = "invalid-data"
    meaning = "the data can be read but holds values the computation cannot use (run `jiesu validate`)"


class ArgumentError(JiesuError, ValueError):
    """An argument of a library call is wrong (a month that is not YYYY-MM, a level not ranked)."""

    code = "bad-argument"
    meaning = "an argument or option value is wrong"


class TooLargeError(JiesuError):
    """A run would need more memory or time than it may take."""

    code = "too-large"
    meaning = "the run would need more memory than the machine has (the message gives the estimate)"


#: Every error class, for the documentation.
ERRORS = (InputError, OutputError, ProfileError, DataError, ArgumentError, TooLargeError)

# Arrow quotes the offending row after "got N:" (CSV) or the text after "in row N:"; never show it.
_ROW_TEXT = re.compile(r"((?:Expected \d+ columns, got \d+)|(?:Row #?\d+)|(?:in row \d+)).*", re.DOTALL)


def brief(exc: BaseException, limit: int = 200) -> str:
    """One short line about a library's exception, without the record text it may quote."""
    text = str(exc).strip()
    if not text:
        return exc.__class__.__name__
    text = _ROW_TEXT.sub(r"\1", text.splitlines()[0])
    return text[:limit]
