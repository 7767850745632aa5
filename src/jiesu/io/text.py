"""Opening text inputs: gzip or plain bytes, the encoding of a CSV, its header row."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import IO

from ..errors import InputError

SNIFF_BYTES = 1 << 16


def sniff_encoding(path: Path, encoding: str | None = None) -> str:
    """The text encoding of a CSV: the one given, else UTF-8, else GB18030; InputError for binary."""
    with open_binary(path) as fh:
        head = fh.read(SNIFF_BYTES)
    if b"\x00" in head:
        raise InputError(f"{path}: not a text file (it holds NUL bytes); is it really CSV?")
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r}") from None
        return encoding
    for candidate in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(candidate)().decode(head, final=False)
            return candidate
        except UnicodeDecodeError:
            continue
    raise InputError(f"{path}: text is neither UTF-8 nor GB18030; give --encoding")


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
