"""Finding inputs: files and folders (partitioned Parquet, recursively) become an ordered list of
sources, each with the format its name says. Nothing here reads a file's contents."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

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
        fmt = format_of(path)
        if fmt is None:
            raise InputError(f"{path}: cannot tell the format from the name; use .parquet, .csv, .json, .ndjson or .jsonl")
        if not os.access(path, os.R_OK):
            raise InputError(f"{path}: permission denied")
        sources.append(Source(path, fmt))
    return sources


def as_sources(inputs: Sequence[str | Path | Source]) -> list[Source]:
    """Sources as given, or discovered from paths (a mix of both is read as paths)."""
    if inputs and all(isinstance(s, Source) for s in inputs):
        return list(inputs)  # type: ignore[arg-type]
    return discover([s.path if isinstance(s, Source) else s for s in inputs])
