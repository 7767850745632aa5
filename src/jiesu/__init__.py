"""jiesu (接诉, "receive the request"): validate, score, rank and simulate 12345 citizen-hotline
case records, as Beijing's 接诉即办 model does.

The library face (every option keyword-only, in the same order: ``profile`` first, the call's own
options, ``progress`` last)::

    import jiesu

    report = jiesu.validate(["cases.parquet"])                 # a Report: valid, errors, notices
    rows = jiesu.score(["cases.parquet"], by="street")          # three rates per month and street
    ranking = jiesu.rank(["cases.parquet"], month="2024-03")    # the monthly ranking, four classes
    summary = jiesu.simulate("beijing-baseline", days=7, output="cases.parquet")
    profile = jiesu.load_profile("beijing")                     # units, categories, rules
    report = jiesu.import_cases(["export.csv"], mapping="nyc-311", output="cases.parquet")
    rows = jiesu.score_timeliness(["cases.parquet"], profile="city.toml")  # on time, hours to close
    # the governance loop (jiesu.analysis): 每月一题, 未诉先办, trends, disputes
    picks = jiesu.topic_candidates(["cases.parquet"], first="2024-01", last="2024-12")
    tracked = jiesu.track_topics(["cases.parquet"], month="2024-05")   # rows and a summary line
    alarms = jiesu.warn(["cases.parquet"], month="2024-05")            # or days=7
    history = jiesu.trend(["cases.parquet"], first="2024-01", last="2024-12", level="district")
    objections = jiesu.disputes(["cases.parquet"], month="2024-05", by="unit")
    # on a Dask cluster (jiesu[dask], docs/scale.md): the same results, the keyword before progress
    rows = jiesu.score(["s3://bucket/2024/"], by="unit", scheduler="tcp://10.0.0.5:8786")
    runs = jiesu.replicate("beijing-baseline", days=30, replications=20, scheduler="local")
    # the monthly report (jiesu.report): one self-contained page, or the same as a workbook
    month = jiesu.monthly_report(["cases.parquet"], month="2024-05")
    page = jiesu.render_report(month, "html")                          # or "xlsx" (bytes)

Errors are :class:`JiesuError` subclasses with a stable ``code``; see ``docs/library.md``.
Importing jiesu is cheap: each function imports its engine (pyarrow, numpy) when first used.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

#: public name -> (module, attribute), imported on first use
_LAZY = {
    "validate": ("jiesu.validation.engine", "validate"),
    "score": ("jiesu.scoring", "score"),
    "rank": ("jiesu.ranking", "rank"),
    "simulate": ("jiesu.simulation.run", "simulate"),
    "replicate": ("jiesu.simulation.replications", "replicate"),
    "aggregate": ("jiesu.scoring", "aggregate"),
    "load_profile": ("jiesu.profile", "load_profile"),
    "import_cases": ("jiesu.importers.run", "import_cases"),
    "infer_profile": ("jiesu.importers.infer", "infer_profile"),
    "load_mapping": ("jiesu.importers.mapping", "load_mapping"),
    "export_open311": ("jiesu.export.open311", "export_open311"),
    "score_timeliness": ("jiesu.timeliness", "timeliness"),  # jiesu.timeliness is the module
    "ImportReport": ("jiesu.importers.engine", "ImportReport"),
    "Mapping": ("jiesu.importers.mapping", "Mapping"),
    "TimelinessAggregate": ("jiesu.timeliness", "TimelinessAggregate"),
    "topic_candidates": ("jiesu.analysis.candidates", "candidates"),
    "track_topics": ("jiesu.analysis.tracking", "track"),
    "warn": ("jiesu.analysis.warn", "warn"),
    "trend": ("jiesu.analysis.trend", "trend"),
    "disputes": ("jiesu.analysis.disputes", "disputes"),
    "monthly_report": ("jiesu.report", "monthly_report"),
    "render_report": ("jiesu.report", "render"),
    "MonthlyReport": ("jiesu.report", "MonthlyReport"),
    "Cube": ("jiesu.analysis.cube", "Cube"),
    "Profile": ("jiesu.profile", "Profile"),
    "Report": ("jiesu.validation.report", "Report"),
    "Notice": ("jiesu.validation.report", "Notice"),
    "Sample": ("jiesu.validation.report", "Sample"),
    "Aggregate": ("jiesu.scoring", "Aggregate"),
    "Summary": ("jiesu.simulation.run", "Summary"),
    "JiesuError": ("jiesu.errors", "JiesuError"),
    "InputError": ("jiesu.errors", "InputError"),
    "OutputError": ("jiesu.errors", "OutputError"),
    "ProfileError": ("jiesu.errors", "ProfileError"),
    "DataError": ("jiesu.errors", "DataError"),
    "ArgumentError": ("jiesu.errors", "ArgumentError"),
    "TooLargeError": ("jiesu.errors", "TooLargeError"),
}

__all__ = [
    "Aggregate",
    "ArgumentError",
    "Cube",
    "DataError",
    "ImportReport",
    "InputError",
    "JiesuError",
    "Mapping",
    "MonthlyReport",
    "Notice",
    "OutputError",
    "Profile",
    "ProfileError",
    "Report",
    "Sample",
    "Summary",
    "TimelinessAggregate",
    "TooLargeError",
    "__version__",
    "aggregate",
    "disputes",
    "export_open311",
    "import_cases",
    "infer_profile",
    "load_mapping",
    "load_profile",
    "monthly_report",
    "rank",
    "render_report",
    "replicate",
    "score",
    "score_timeliness",
    "simulate",
    "topic_candidates",
    "track_topics",
    "trend",
    "validate",
    "warn",
]


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'jiesu' has no attribute {name!r}") from None
    value = getattr(import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
