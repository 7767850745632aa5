"""Importers: turn real citizen-hotline exports of other cities into jiesu case records."""

from __future__ import annotations

from .boston311 import ImportResult, import_boston311

__all__ = ["ImportResult", "import_boston311"]
