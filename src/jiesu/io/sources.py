"""Finding inputs: files and folders (partitioned Parquet, recursively) become an ordered list of
sources, each with the format its name says. Nothing here reads a file's contents."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import ArgumentError, InputError

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".csv.gz": "csv",
           ".ndjson": "ndjson", ".jsonl": "ndjson", ".json": "json"}


@dataclass
class Source:
    """One input file and how it is read."""

    path: Path
    format: str
    encoding: str | None = None  # CSV: the text encoding used
    naive_timezone: str | None = None  # Parquet: the zone of zone-less timestamps (None: refuse them)
    rows: int = 0
    #: an fsspec filesystem holding ``path`` (an object store, ``memory://``); None: the local disk.
    #: Only Parquet is read through one (``jiesu.distributed`` finds such sources).
    filesystem: Any = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return str(self.path)


def format_of(path: Path) -> str | None:
    name = path.name.lower()
    for ext in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(ext):
            return FORMATS[ext]
    return None


def discover(paths: Sequence[str | Path]) -> list[Source]:
    """Turn files and folders (partitioned Parquet, recursively) into an ordered list of sources."""
    if not paths:
        raise InputError("no input given: name one or more files or folders")
    sources: list[Source] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*")
                if p.is_file() and format_of(p) and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
            )
            if not found:
                raise InputError(f"{path}: the folder holds no data files (.parquet, .csv, .json, .ndjson, .jsonl)")
            sources.extend(Source(p, format_of(p)) for p in found)  # type: ignore[arg-type]
            continue
        check_regular(path)
        fmt = format_of(path)
        if fmt is None:
            raise InputError(f"{path}: cannot tell the format from the name; use .parquet, .csv, .json, .ndjson or .jsonl")
        if not os.access(path, os.R_OK):
            raise InputError(f"{path}: permission denied")
        sources.append(Source(path, fmt))
    for source in sources:
        check_name(source.path)
    check_each_once(sources)
    return sources


def check_each_once(sources: Sequence[Source]) -> None:
    """ArgumentError when one file is among the inputs twice (named twice, or named and inside a
    folder or pattern also given): its cases would be counted twice."""
    seen: dict[tuple, Path] = {}
    for source in sources:
        if source.filesystem is None:
            st = os.stat(source.path)
            key: tuple = (st.st_dev, st.st_ino)
        else:
            key = (id(source.filesystem), str(source.path))
        if key in seen:
            first = seen[key]
            also = "" if str(first) == str(source.path) else f" (also as {first})"
            raise ArgumentError(f"{source.path}: given twice{also}; name each file once, or its cases "
                                "would be counted twice")
        seen[key] = source.path


def check_regular(path: Path) -> None:
    """InputError unless ``path`` is a regular file (symlinks followed), decided without opening it:
    a FIFO with no writer would block, a device would be read for ever. jiesu reads its inputs more
    than once (format sniffing, memory maps, Parquet footers), so a stream cannot stand in for a file."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc.__class__.__name__})") from None
    if not stat.S_ISREG(mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
        raise InputError(f"{path}: is {kind}; jiesu reads regular files: save the stream to a file first")


def check_name(path: Path) -> None:
    """InputError for a file name that is not valid UTF-8 (the readers hand names to Arrow as UTF-8)."""
    try:
        os.fspath(path).encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{path}: the file name is not valid UTF-8; rename the file (for example with "
                         "convmv -f gbk -t utf-8)") from None


def as_sources(inputs: Sequence[str | Path | Source], *, naive_timezone: str | None = None) -> list[Source]:
    """Sources as given, or discovered from paths (a mix of both is read as paths); with
    ``naive_timezone`` (checked) zone-less timestamps of every source are read in that zone."""
    if inputs and all(isinstance(s, Source) for s in inputs):
        sources = list(inputs)  # type: ignore[arg-type]
    else:
        sources = discover([s.path if isinstance(s, Source) else s for s in inputs])
    zone = naive_zone(naive_timezone)
    if zone is not None:
        sources = [replace(s, naive_timezone=zone) for s in sources]
    return sources


def naive_zone(name: str | None) -> str | None:
    """A time-zone name for zone-less timestamps, checked (ArgumentError when unknown)."""
    if name is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ArgumentError(f"unknown time zone {name!r} for zone-less timestamps (an IANA name such as "
                            "Asia/Shanghai or UTC)") from None
    return name

