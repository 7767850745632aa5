"""The import report for people (a few tables) and for machines (JSON)."""

from __future__ import annotations

import json

from ..output import render
from ..safe import mask, printable
from .engine import ImportReport

FIELD_COLUMNS = ["field", "rule", "mapped", "constant", "derived", "defaulted", "empty", "unknown", "rejected"]


def report_text(report: ImportReport, fmt: str = "table") -> str:
    """``json``: the whole report; ``table``: a summary, the fields, rejections and unknown words."""
    data = report.to_dict()
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    lines = [f"mapping {report.mapping} ({report.mapping_source})"]
    for s in report.sources:
        enc = f", {s['encoding']}" if s.get("encoding") else ""
        lines.append(f"  {s['path']}: {s['format']}{enc}, {s['rows']:,} rows")
    lines.append(f"rows read {report.rows_read:,}, written {report.rows_written:,}, rejected {report.rows_rejected:,}"
                 + ("" if report.written else " (nothing written)"))
    extra = [f"{name}: {fc.out_of_order:,} out of order (taken as missing)" for name, fc in report.fields.items()
             if fc.out_of_order]
    extra += [f"{name}: {fc.ambiguous_times:,} ambiguous and {fc.nonexistent_times:,} nonexistent local times "
              "(daylight saving)" for name, fc in report.fields.items() if fc.ambiguous_times or fc.nonexistent_times]
    lines += [f"  {e}" for e in extra]
    rows = [{"field": name, **{k: v for k, v in fc.to_dict().items() if k in FIELD_COLUMNS}}
            for name, fc in report.fields.items()]
    out = "\n".join(printable(mask(x)) for x in lines) + "\n\n" + str(render(rows, "table", columns=FIELD_COLUMNS))
    if data["rejections"]:
        rej = [{"field": r["field"], "reason": r["reason"], "rows": r["count"],
                "samples": "; ".join(f"{s['file'].rsplit('/', 1)[-1]} row {s['row'] if s['row'] is not None else '?'}"
                                     + (f": {s['value']}" if s.get("value") is not None else "") for s in r["samples"])}
               for r in data["rejections"]]
        out += "\nrejected rows (per field and reason)\n" + str(render(rej, "table", columns=["field", "reason", "rows", "samples"]))
    unknown = [{"field": name, "value": u["value"], "rows": u["rows"]}
               for name, fc in data["fields"].items() for u in fc["unknown_values"]]
    if unknown:
        out += "\nunknown source values (most frequent)\n" + str(render(unknown, "table", columns=["field", "value", "rows"]))
    return out
