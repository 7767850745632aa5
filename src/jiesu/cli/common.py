"""What every command shares: turning library errors into one line and an exit code, output.

Exit codes: 0 ok, 1 data invalid or check failed, 2 usage error, 3 could not run. Only the command
line knows them; the library raises the errors of ``jiesu.errors`` and this table maps them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, TypeVar

import typer

from ..errors import (
    ArgumentError,
    DataError,
    InputError,
    JiesuError,
    OutputError,
    ProfileError,
    TooLargeError,
)
from ..safe import printable

T = TypeVar("T")

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_CANNOT_RUN = 0, 1, 2, 3
#: The exit code of each library error (the first class an error is an instance of wins).
EXIT_CODES: tuple[tuple[type[JiesuError], int], ...] = (
    (DataError, EXIT_INVALID),
    (ArgumentError, EXIT_USAGE),
    (OutputError, EXIT_USAGE),
    (TooLargeError, EXIT_USAGE),
    (InputError, EXIT_CANNOT_RUN),
    (ProfileError, EXIT_CANNOT_RUN),
    (JiesuError, EXIT_CANNOT_RUN),
)


def exit_code(exc: JiesuError) -> int:
    return next(code for cls, code in EXIT_CODES if isinstance(exc, cls))


def use_color() -> bool:
    """Colour only on a terminal and never when NO_COLOR is set (https://no-color.org)."""
    return "NO_COLOR" not in os.environ and sys.stderr.isatty()


def message(text: str) -> None:
    """A message for people: always to stderr, so stdout stays data."""
    typer.echo(text, err=True)


def fail(exc: JiesuError) -> typer.Exit:
    ProgressBar.close_all()  # the message starts on a line of its own
    prefix = typer.style("jiesu: error:", fg="red", bold=True) if use_color() else "jiesu: error:"
    typer.echo(f"{prefix} {exc.message} [{exc.code}]", err=True)
    return typer.Exit(exit_code(exc))


def call(fn: Callable[..., T], *args, **kwargs) -> T:
    """Run one library call; a JiesuError becomes its one-line message and exit code."""
    try:
        return fn(*args, **kwargs)
    except JiesuError as exc:
        raise fail(exc) from None


@contextmanager
def guarded() -> Iterator[None]:
    """Like ``call`` for a block of library work."""
    try:
        yield
    except JiesuError as exc:
        raise fail(exc) from None


def output_target(output: str | os.PathLike[str] | None, inputs: Sequence[str | os.PathLike[str]] = (),
                  *, binary: bool = False):
    """Check ``--output`` before the work starts (exit 2 for a folder, a device, an input file...);
    binary formats go to stdout only when it is not a terminal."""
    from ..io.atomic import output_target as target_of

    with guarded():
        return target_of(output, inputs, binary=binary)


def emit(text: str | bytes, output: str | os.PathLike[str] | None,
         inputs: Sequence[str | os.PathLike[str]] = ()) -> None:
    """Data to stdout (``-`` or no output), or atomically to a file (never a half-written file);
    the target is checked by ``jiesu.io.atomic.output_target``."""
    from ..io.atomic import open_output

    target = output_target(output, inputs, binary=isinstance(text, bytes))
    if target.is_stdout and isinstance(text, str):
        typer.echo(text, nl=not text.endswith("\n"))
        return
    data = text.encode("utf-8") if isinstance(text, str) else text
    with guarded(), open_output(target, binary=isinstance(text, bytes)) as fh:
        fh.write(data)


def check_files(files: list, check: Callable[[object], list[str]]) -> typer.Exit:
    """Run a file check (profile, mapping) on each file: one line per problem on stdout, ``FILE: ok``
    on stderr; exit 0 all fine, 1 problems found (a file that cannot be read: its error, exit 3)."""
    from ..safe import mask, printable

    found = 0
    for path in files:
        problems = call(check, path)
        found += len(problems)
        for problem in problems:
            typer.echo(printable(mask(f"{path}: {problem}")))
        if not problems:
            message(printable(mask(f"{path}: ok")))
    return typer.Exit(1 if found else 0)


class ProgressBar:
    """A progress bar on stderr (Rich's, which ships with typer), only when stderr is a terminal;
    a no-op callback otherwise. Rich is imported only when a bar is drawn."""

    open_bars: ClassVar[list[ProgressBar]] = []

    def __init__(self, label: str, total: int | None = None) -> None:
        self.label, self.total = label, total
        self.active = sys.stderr.isatty()
        self._bar: Any = None
        self._task: Any = None
        if self.active:
            ProgressBar.open_bars.append(self)

    @classmethod
    def close_all(cls) -> None:
        for bar in list(cls.open_bars):
            bar.close()

    def __call__(self, done: int, total: int | None = None) -> None:
        if not self.active:
            return
        self.total = total or self.total
        if self._bar is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            console = Console(file=sys.stderr, no_color=not use_color())
            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                                 TimeElapsedColumn(), console=console, auto_refresh=False)
            self._task = self._bar.add_task(printable(self.label), total=self.total)
            self._bar.start()
        self._bar.update(self._task, completed=done, total=self.total)
        self._bar.refresh()

    def close(self) -> None:
        """End the bar (once, and only if something was drawn): what follows starts on its own line."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        self.active = False
        if self in ProgressBar.open_bars:
            ProgressBar.open_bars.remove(self)
