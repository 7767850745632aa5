"""The `jiesu` application: registers one module per command; heavy imports happen inside commands.

Start-up is kept short: ``jiesu --version`` is answered before typer is imported, and the typer
application is built on first use (``app`` is looked up lazily: ``from jiesu.cli.app import app``).
"""

# No ``from __future__ import annotations`` here: typer reads the root callback's annotations,
# which name objects local to _application().
import os
import sys
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .. import __version__

if TYPE_CHECKING:
    import typer


@lru_cache(maxsize=1)
def _application() -> "typer.Typer":
    """The typer application with every command registered (built once)."""
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

    _register(app)
    return app


def _register(app: "typer.Typer") -> None:
    """One module per command; each imports its heavy libraries only when it runs."""
    from . import (
        demo,
        export_cmd,
        import_cmd,
        mapping_cmd,
        profile_cmd,
        rank,
        score,
        simulate,
        validate,
    )

    for name, module in (("validate", validate), ("score", score), ("rank", rank),
                         ("simulate", simulate), ("demo", demo), ("import", import_cmd), ("export", export_cmd)):
        app.command(name, help=module.command.__doc__)(module.command)
    app.add_typer(profile_cmd.app, name="profile")
    app.add_typer(mapping_cmd.app, name="mapping")
    # the governance loop (jiesu.analysis)
    from . import disputes, topics, trend, warn

    app.add_typer(topics.app, name="topics")
    for name, module in (("warn", warn), ("trend", trend), ("disputes", disputes)):
        app.command(name, help=module.command.__doc__)(module.command)

    from . import report  # the monthly report (issue 14)

    app.command("report", help=report.command.__doc__)(report.command)

    from . import profile_diff_cmd, schema_cmd  # the CI kit's commands

    profile_cmd.app.command("diff", help=profile_diff_cmd.command.__doc__)(profile_diff_cmd.command)
    app.add_typer(schema_cmd.app, name="schema")


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

    app = _application()
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
