"""Opening text inputs: gzip or plain bytes, the encoding of a CSV, its header row."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import IO

from ..errors import ArgumentError, InputError

SNIFF_BYTES = 1 << 16


def sniff_encoding(path: Path, encoding: str | None = None) -> str:
    """The text encoding of a CSV: the one given, else UTF-8, else GB18030; InputError for binary."""
    with open_binary(path) as fh:
        head = fh.read(SNIFF_BYTES)
    if encoding:
        refuse_binary(head, path)
        return check_encoding(encoding)
    return encoding_of(head, path)


def refuse_binary(head: bytes, path: Path) -> None:
    """InputError when the first bytes of a file hold a NUL: not text."""
    if b"\x00" in head:
        raise InputError(f"{path}: not a text file (it holds NUL bytes); is it really CSV?")


def encoding_of(head: bytes, path: Path) -> str:
    """The encoding of text that starts with ``head``: UTF-8, else GB18030; InputError otherwise."""
    refuse_binary(head, path)
    for candidate in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(candidate)().decode(head, final=False)
            return candidate
        except UnicodeDecodeError:
            continue
    raise InputError(f"{path}: text is neither UTF-8 nor GB18030; give --encoding")


def check_encoding(encoding: str) -> str:
    """``encoding`` if Python knows it as a text encoding (not rot13, base64, zlib...); else an
    ArgumentError (a wrong ``--encoding`` is a usage error)."""
    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError, ValueError):
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise ArgumentError(f"unknown text encoding {encoding!r} (for example utf-8, gb18030, gbk)")
    return encoding


def open_binary(path: Path) -> IO[bytes]:
    if str(path).lower().endswith(".gz"):
        import gzip

        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def csv_header(path: Path, encoding: str) -> list[str]:
    import csv
    import io as _io

    with open_binary(path) as fh:
        head = fh.read(SNIFF_BYTES)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
    text = text.lstrip("\ufeff")
    try:
        row = next(csv.reader(_io.StringIO(text)))
    except (StopIteration, csv.Error):
        row = []
    return [c.strip() for c in row]


def check_unique_columns(path: Path, names: list[str]) -> None:
    """InputError naming the first column whose name appears more than once: which of the two a
    check or a score read would be a guess."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputError(f"{path}: the column name {name!r} appears {names.count(name)} times; "
                             "give every column its own name")
        seen.add(name)
