"""What ``score`` and ``rank`` share: their extra options, option checks, profile and output."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .common import ProgressBar, call, emit, output_target

if TYPE_CHECKING:
    from ..profile import Profile

WeightsOpt = Annotated[
    str | None, typer.Option("--weights", help="Named weight set of the profile (default: the profile's).")
]
LangOpt = Annotated[
    str | None, typer.Option("--lang", help="Headers in zh or en (default: the profile's language).")
]


def check_choice(value: str, choices: tuple[str, ...], option: str) -> str:
    """Exit 2 with the allowed values when an option value is not one of them."""
    if value not in choices:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}", param_hint=option)
    return value


def check_month(value: str | None, option: str = "--month") -> str | None:
    if value is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise typer.BadParameter(f"{value!r} is not a month as YYYY-MM (for example 2024-03)", param_hint=option)
    return value


def prepare(fmt: str, formats: tuple[str, ...], month: str | None, output: str | None,
            profile: str | None, weights: str | None, lang: str | None,
            paths: Sequence[Path] = ()) -> tuple[Profile, str]:
    """Check the shared options (exit 2: also an output that is a folder, a device, an input, or a
    binary format to a terminal) and load the profile; returns it and the output language."""
    from ..output import needs_file

    check_choice(fmt, formats, "--format")
    check_month(month)
    output_target(output, paths, binary=needs_file(fmt))
    return load(profile, weights, lang)


def run(label: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """One library call with a progress bar on a terminal; a JiesuError becomes its exit code."""
    bar = ProgressBar(label)
    try:
        return call(fn, *args, progress=bar, **kwargs)
    finally:
        bar.close()


def load(profile: str | None, weights: str | None, lang: str | None) -> tuple[Profile, str]:
    """The profile (with the weight set asked for) and the output language."""
    from ..errors import ProfileError
    from ..profile import load_profile

    p = call(load_profile, profile)
    if weights is not None:
        try:
            p = p.with_weight_set(weights)
        except ProfileError as exc:
            raise typer.BadParameter(exc.message, param_hint="--weights") from None
    lang = lang or (p.language if p.language in ("zh", "en") else "en")
    check_choice(lang, ("zh", "en"), "--lang")
    return p, lang


def title(profile: Profile, lang: str, what: str, month: str | None) -> str:
    """A heading such as ``Beijing · ranking · street · 2024-03`` in the output language."""
    city = profile.name if lang == "zh" else profile.name_en or profile.name
    return " · ".join(part for part in (city, what, month) if part)


def write(rows: list[dict[str, Any]], fmt: str, output: str | None, paths: Sequence[Path] = (),
          **kw: Any) -> None:
    """Render and write to stdout or atomically to ``output`` (never over one of ``paths``)."""
    from ..output import render

    emit(render(rows, fmt, **kw), output, paths)


def timeliness(paths: list[Path], profile: Profile, by: str, month: str | None, as_of: str | None, fmt: str,
               output: str | None, lang: str) -> None:
    """``score --metrics timeliness``: the rows, then which figures the data cannot give."""
    from ..timeliness import COLUMNS, missing_columns
    from ..timeliness import timeliness as measure
    from .common import message

    rows = run("timeliness", measure, paths, profile=profile, by=by, month=month, as_of=as_of)
    if not rows:
        message("jiesu: no dispatched case was received in the period: there is nothing to measure")
    for name, needs in missing_columns(rows).items():
        message(f"jiesu: {name} is empty: it needs {needs}, which the data does not give")
    columns = [COLUMNS[0], by, *COLUMNS[1:]]
    write(rows, fmt, output, paths, columns=columns, lang=lang,
          title=title(profile, lang, "按时办结" if lang == "zh" else "timeliness", month))
