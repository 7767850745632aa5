"""Validation of case records: compiled schema checks, semantic checks, the grouped Report."""

from .engine import schema_invalid_rows, validate
from .report import CHECKS, Notice, Report, Sample

__all__ = ["CHECKS", "Notice", "Report", "Sample", "schema_invalid_rows", "validate"]
