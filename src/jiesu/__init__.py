"""jiesu: validate, score, rank and simulate 12345 citizen-hotline case records."""

__version__ = "0.1.0"
