"""The `jiesu` application: registers one module per command; heavy imports happen inside commands.

Start-up is kept short: ``jiesu --version`` is answered before typer is imported, and the typer
application is built on first use (``app`` is looked up lazily: ``from jiesu.cli.app import app``).
"""

# No ``from __future__ import annotations`` here: typer reads the root callback's annotations,
# which name objects local to _application().
import os
import sys
from functools import cache
from typing import TYPE_CHECKING, Any

from .. import __version__

if TYPE_CHECKING:
    import typer


#: Every top-level command in the order ``jiesu --help`` lists them: the module that holds it, and
#: whether it is one command (its ``command`` function) or a group (its typer ``app``).
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("validate", "command"),
    "score": ("score", "command"),
    "rank": ("rank", "command"),
    "simulate": ("simulate", "command"),
    "demo": ("demo", "command"),
    "import": ("import_cmd", "command"),
    "export": ("export_cmd", "command"),
    "profile": ("profile_cmd", "group"),
    "mapping": ("mapping_cmd", "group"),
    "topics": ("topics", "group"),  # the governance loop (jiesu.analysis)
    "warn": ("warn", "command"),
    "trend": ("trend", "command"),
    "disputes": ("disputes", "command"),
    "report": ("report", "command"),  # the monthly report
    "schema": ("schema_cmd", "group"),  # the CI kit's schema diff
}


@cache
def _application(only: str | None = None) -> "typer.Typer":
    """The typer application with every command registered (built once), or with the one command
    ``only`` when the command line names it: building a command reads its options' annotations,
    which for all of them costs more than the command's own start-up."""
    from typing import Annotated

    import typer

    app = typer.Typer(
        name="jiesu",
        help="Validate, score, rank and simulate 12345 citizen-hotline case records (接诉即办).",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"max_content_width": 100, "terminal_width": 100, "help_option_names": ["--help", "-h"]},
    )

    def _version(value: bool) -> None:
        if value:
            typer.echo(f"jiesu {__version__}")
            raise typer.Exit(0)

    @app.callback()
    def root(
        version: Annotated[
            bool | None, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
        ] = None,
    ) -> None:
        """Validate, score, rank and simulate 12345 citizen-hotline case records (接诉即办).

        Exit codes: 0 ok, 1 data invalid or check failed, 2 usage error, 3 could not run.
        """

    _register(app, [only] if only is not None else list(COMMANDS))
    return app


def _register(app: "typer.Typer", names: list[str]) -> None:
    """One module per command; each imports its heavy libraries only when it runs."""
    from importlib import import_module

    for name in names:
        module_name, kind = COMMANDS[name]
        module = import_module(f"{__package__}.{module_name}")
        if kind == "command":
            app.command(name, help=module.command.__doc__)(module.command)
        else:
            if name == "profile":  # the CI kit's profile diff joins the profile group
                diff = import_module(f"{__package__}.profile_diff_cmd")
                if "diff" not in {c.name for c in module.app.registered_commands}:
                    module.app.command("diff", help=diff.command.__doc__)(diff.command)
            app.add_typer(module.app, name=name)


def __getattr__(name: str) -> Any:
    if name == "app":
        return _application()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Stopped(BaseException):
    """Raised in the main thread by SIGINT or SIGTERM, so that every ``with`` block unwinds (temporary
    files removed, scratch folders deleted) before the process exits 128 + the signal number. Not a
    KeyboardInterrupt: typer would turn that into a silent exit."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    import signal

    for sig in (signal.SIGINT, signal.SIGTERM):  # a second signal stops at once
        signal.signal(sig, signal.SIG_DFL)
    raise Stopped(signum)


def _handle_signals() -> None:
    """SIGTERM (what CI runners and ``timeout`` send) is handled like SIGINT (Ctrl-C)."""
    import signal

    for sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(sig) in (signal.SIG_DFL, signal.default_int_handler):
            signal.signal(sig, _stop)


def main() -> None:
    """Entry point: unexpected failures become one line (exit 3), never a traceback with records;
    SIGINT and SIGTERM one line each (exit 130 and 143), leaving no temporary file behind."""
    if sys.argv[1:] == ["--version"]:  # answered before typer and the commands are imported
        sys.stdout.write(f"jiesu {__version__}\n")
        return
    _handle_signals()
    import typer

    named = sys.argv[1] if len(sys.argv) > 1 else None
    app = _application(named if named in COMMANDS else None)  # anything else: the whole app answers
    try:
        app()
    except SystemExit:
        raise
    except Stopped as stop:
        typer.echo(f"jiesu: {'interrupted' if stop.signum == 2 else 'terminated'}", err=True)
        sys.exit(128 + stop.signum)
    except KeyboardInterrupt:
        typer.echo("jiesu: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("JIESU_DEBUG"):
            raise
        typer.echo(
            f"jiesu: error: internal error ({exc.__class__.__name__}); no record data is shown. "
            "Set JIESU_DEBUG=1 for a traceback and report it.",
            err=True,
        )
        sys.exit(3)
