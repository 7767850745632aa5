"""Codes for names: a source's unit, place and category names become codes of the schema's code
pattern (letters, digits, ``. _ -``, at most 64 characters), the same name always the same code.

A name that already is a code is kept as it is (``codes = "keep"``, the default), or every name is
slugged (``codes = "slug"``: ASCII, lower case, runs of other characters as ``-``). When two names
would get the same code, the later one gets a short hash of its name appended; a name with nothing
left after slugging (Chinese text, say) gets ``x`` and the hash. Units, districts and streets share
one set of codes (they are all units of a profile); categories and topics have their own.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_CODE = 64
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
#: which set of codes each code field draws from
NAMESPACE = {"unit": "units", "district": "units", "street": "units", "category": "categories",
             "topic": "topics"}


def slug(text: str) -> str:
    """A schema code for a name: ASCII, lower case, runs of other characters as ``-``, <= 64."""
    s = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    s = re.sub(r"[^a-z0-9._-]+", "-", s)
    s = re.sub(r"-{2,}", "-", s).strip("-._")
    return s[:MAX_CODE].rstrip("-._")


def is_code(text: str) -> bool:
    return len(text) <= MAX_CODE and CODE_RE.match(text) is not None


def _hashed(name: str, n: int) -> str:
    digest = hashlib.sha1(f"{name}\x00{n}".encode()).hexdigest()[:8]
    base = slug(name)[: MAX_CODE - 9].rstrip("-._")
    return f"{base}-{digest}" if base else f"x{digest}"


class CodeBook:
    """Name -> code for one namespace, stable for a run; ``names`` maps each code back."""

    def __init__(self) -> None:
        self.code_of: dict[tuple[str, str], str] = {}
        self.names: dict[str, str] = {}
        self.slugged = 0  # names that were not codes already

    def code(self, name: str, mode: str = "keep") -> str:
        key = (mode, name)
        code = self.code_of.get(key)
        if code is not None:
            return code
        kept = mode == "keep" and is_code(name)
        code = name if kept else slug(name)
        n = 0
        while not code or self.names.get(code, name) != name:
            code = _hashed(name, n)
            n += 1
        self.names[code] = name
        self.code_of[key] = code
        self.slugged += not kept
        return code


    def claim(self, code: str, name: str) -> None:
        """A code the mapping states (a value, a default, a word of ``values``), named by the first
        word that led to it."""
        self.names.setdefault(code, name)


class Registry:
    """The code books of one import (or inference): one per namespace."""

    def __init__(self) -> None:
        self.books: dict[str, CodeBook] = {}

    def book(self, field: str) -> CodeBook:
        space = NAMESPACE[field]
        book = self.books.get(space)
        if book is None:
            book = self.books[space] = CodeBook()
        return book

    def name(self, field: str, code: str) -> str:
        return self.book(field).names.get(code, code)
