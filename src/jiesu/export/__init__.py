"""Exports of case records in other systems' formats."""

from __future__ import annotations

from .open311 import export_open311

__all__ = ["export_open311"]
