"""``infer_profile``: a city profile from the data itself, through a mapping.

What the data states is taken as fact: the units seen with their levels, the districts and streets
(each street in the district most of its cases name), the categories with their counts. What it
only suggests is a setting, marked ``illustrative = true``: time limits (the median time from
dispatch, else receipt, to the deadline the data gives, per category and request type), scoring
(timeliness when the data holds no callbacks) and ranking rules. Edit the file by hand, then check
it with ``jiesu profile check``.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..arrays import integer_values, validity
from ..io.sources import Source
from ..profile import Profile
from ..progress import ProgressCallback
from ..schema import EXCLUSION_REASONS, REQUEST_TYPES
from ..scoring import timestamps_us
from ..timeliness import US_PER_HOUR, HoursSketch
from .codes import slug
from .engine import ImportReport, Mapper
from .mapping import Mapping

MIN_DEADLINES = 5  # a category's limit is inferred from at least this many deadlines
FALLBACK_HOURS = 168.0
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _indices(table: pa.Table, name: str) -> np.ndarray:
    """Dictionary indices of a code column (-1 = null), global to the import."""
    col = table.column(name)
    arr = col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()
    idx = integer_values(arr.indices).astype(np.int64)
    valid = validity(arr)
    return idx if valid is None else np.where(valid, idx, -1)


def _pairs(counter: Counter, a: np.ndarray, b: np.ndarray) -> None:
    code = (a + 1) * (1 << 32) + (b + 1)
    uniq, counts = np.unique(code, return_counts=True)
    for c, k in zip(uniq.tolist(), counts.tolist()):
        counter[(c >> 32) - 1, (c & 0xFFFFFFFF) - 1] += k


class ProfileStats:
    """What a profile is inferred from, counted batch by batch (indices into the mapper's values)."""

    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.unit_level: Counter = Counter()
        self.unit_district: Counter = Counter()
        self.street_district: Counter = Counter()
        self.category_unit: Counter = Counter()
        self.category_level: Counter = Counter()
        self.districts: Counter = Counter()
        self.request_types: Counter = Counter()
        self.limits = HoursSketch()  # key = category index + 1 (0: all), month = request-type index
        self.callbacks = 0
        self.rows = 0

    def add(self, table: pa.Table, extras: dict[str, np.ndarray]) -> None:
        if table.num_rows == 0:
            return
        self.rows += table.num_rows
        unit, level = _indices(table, "unit"), _indices(table, "unit_level")
        district, street = _indices(table, "district"), _indices(table, "street")
        category, rtype = _indices(table, "category"), _indices(table, "request_type")
        _pairs(self.unit_level, unit, level)
        _pairs(self.unit_district, unit, district)
        _pairs(self.street_district, street, district)
        _pairs(self.category_unit, category, unit)
        _pairs(self.category_level, category, level)
        self.districts.update(dict(zip(*[x.tolist() for x in np.unique(district, return_counts=True)])))
        self.request_types.update(dict(zip(*[x.tolist() for x in np.unique(rtype, return_counts=True)])))
        self.callbacks += table.num_rows - table.column("callback_at").null_count
        read = extras.get("deadline_read")
        if read is not None and read.any():
            deadline, _ = timestamps_us(table.column("deadline_at"))
            start = self._start(table)
            rows = np.flatnonzero(read & ~np.isnan(start))
            hours = (deadline[rows] - start[rows]) / US_PER_HOUR
            good = hours > 0
            rows, hours = rows[good], hours[good]
            rt = rtype[rows]
            self.limits.add(rt, category[rows] + 1, hours)
            self.limits.add(rt, np.zeros(rows.size, np.int64), hours)

    @staticmethod
    def _start(table: pa.Table) -> np.ndarray:
        out = np.full(table.num_rows, np.nan)
        for name in ("received_at", "dispatched_at"):  # dispatch wins where both are given
            us, ok = timestamps_us(table.column(name))
            out = np.where(True if ok is None else ok, us.astype(float), out)
        return out

    # ------------------------------------------------------------ the profile

    def profile_data(self, mapper: Mapper, report: ImportReport, *, city_id: str | None = None,
                     city_name: str | None = None) -> dict[str, Any]:
        m = self.mapping
        out = mapper.out
        names = mapper.registry

        def value(name: str, i: int) -> Any:
            return out[name][i] if i >= 0 else None

        levels: dict[str, Counter] = {}
        for (u, lv), k in self.unit_level.items():
            if u >= 0:
                levels.setdefault(value("unit", u), Counter())[value("unit_level", lv) or "department"] += k
        unit_level = {code: c.most_common(1)[0][0] for code, c in levels.items()}
        district_ids = sorted({value("district", d) for d in self.districts if d >= 0})
        for code in district_ids:
            unit_level[code] = "district"
        district_of: dict[str, Counter] = {}
        for (s, d), k in self.street_district.items():
            if s >= 0:
                district_of.setdefault(value("street", s), Counter())[value("district", d)] += k
                unit_level.setdefault(value("street", s), "street")
        for (u, d), k in self.unit_district.items():
            if u >= 0 and unit_level.get(value("unit", u)) == "street":
                district_of.setdefault(value("unit", u), Counter())[value("district", d)] += k
        units: list[dict[str, Any]] = []
        unknown_district = None
        for code in sorted(unit_level, key=lambda c: (["district", "street", "department", "enterprise"].index(unit_level[c]), c)):
            unit = {"id": code, "name": names.name("unit", code)[:200] or code, "level": unit_level[code]}
            if unit["level"] == "street":
                seen = Counter({d: k for d, k in district_of.get(code, Counter()).items() if d is not None})
                if seen:
                    unit["district"] = seen.most_common(1)[0][0]
                else:
                    unknown_district = unknown_district or _free_code("district-unknown", unit_level)
                    unit["district"] = unknown_district
            units.append(unit)
        if unknown_district:
            units.insert(0, {"id": unknown_district, "name": "(district not given)", "level": "district",
                             "note": "Added by jiesu profile infer: streets seen without a district."})
        unit_ids = {u["id"] for u in units}
        counts = Counter()
        by_unit: dict[int, Counter] = {}
        by_level: dict[int, Counter] = {}
        for (c, u), k in self.category_unit.items():
            counts[c] += k
            if u >= 0:
                by_unit.setdefault(c, Counter())[value("unit", u)] += k
        for (c, lv), k in self.category_level.items():
            if lv >= 0:
                by_level.setdefault(c, Counter())[value("unit_level", lv)] += k
        categories = []
        for c in sorted((c for c in counts if c >= 0), key=lambda c: value("category", c)):
            code = value("category", c)
            entry: dict[str, Any] = {"code": code, "name": names.name("category", code)[:200] or code,
                                     "handler": self._handler(by_unit.get(c), by_level.get(c), unit_ids),
                                     "note": f"{counts[c]:,} cases in the data"}
            hours = self._median(c + 1)
            if hours is not None:
                entry["time_limit_hours"] = hours
                entry["illustrative"] = True
                entry["note"] += "; time limit: the median of the deadlines the data gives"
            categories.append(entry)
        if not categories:
            categories = [{"code": "unspecified", "name": "(no category)", "handler": "district"}]
        overall = self._median(0) or _fallback(m)
        limits = {rt: self._median(0, rtype=rt, mapper=mapper) or overall for rt in REQUEST_TYPES}
        lang = "zh" if sum(bool(_CJK.search(u["name"])) for u in units) * 2 > max(len(units), 1) else "en"
        # the levels of the units, and every level the data's unit_level names (a unit may have become
        # a district because a district has its name: its level's ranking still exists, if empty)
        seen = {value("unit_level", lv) for (_, lv) in self.unit_level if lv >= 0}
        ranked = sorted({u["level"] for u in units} | seen, key=["district", "street", "department", "enterprise"].index)
        return {
            "profile_version": 1,
            "city": {
                "id": city_id or slug(m.id) or "city", "name": city_name or m.name,
                "timezone": m.timezone, "language": lang,
                "sources": [f"inferred by jiesu profile infer through mapping {m.id} from "
                            + ", ".join(Path(s["path"]).name for s in report.sources)],
            },
            "time_limits": {
                "illustrative": True,
                "note": ("Inferred, not the city's rule: the median hours from dispatch (else receipt) to the "
                         "deadline the data gives, per request type (all cases where a type has none)."),
                **limits,
            },
            "scoring": {
                "illustrative": True,
                "note": ("jiesu's illustrative settings, not the city's. "
                         + ("The data holds no callbacks, so score and rank measure timeliness."
                            if not self.callbacks else "")),
                "metrics": "rates" if self.callbacks else "timeliness",
                "response_method": "callback",
                "basically_satisfied_weight": 0.9,
                "weight_set": "illustrative",
                "weight_sets": {"illustrative": {
                    "note": "Practitioner weights from Beijing material (0.1 / 0.5 / 0.4); not this city's.",
                    "response": 0.1, "resolution": 0.5, "satisfaction": 0.4}},
                "min_scored": 5,
                "exclusion_reasons": list(EXCLUSION_REASONS),
            },
            "ranking": {
                "illustrative": True,
                "note": "jiesu's illustrative ranking rules, not the city's.",
                "class_size": 10,
                "levels": ranked or ["department"],
            },
            "categories": categories,
            "units": units,
        }

    @staticmethod
    def _handler(units: Counter | None, levels: Counter | None, unit_ids: set[str]) -> str:
        if units:
            code, k = units.most_common(1)[0]
            if k * 2 >= sum(units.values()) and code in unit_ids:
                return code
        if levels:
            for lv, _ in levels.most_common():
                if lv in ("street", "district"):
                    return lv
        return "district"

    def _median(self, key: int, *, rtype: str | None = None, mapper: Mapper | None = None) -> float | None:
        """The median inferred limit of a category (key = index + 1) or of all cases (key 0)."""
        sketch = self.limits
        if rtype is not None and mapper is not None:
            if rtype not in mapper.out_index.get("request_type", {}):
                return None
            months = [mapper.out_index["request_type"][rtype]]
        else:
            months = sketch.months()
        merged = HoursSketch()
        for month in months:
            merged.add_buckets(*sketch.group(month, key))  # all into group (0, 0)
        n, (median,) = merged.quantiles(0, 0, (0.5,))
        if n < MIN_DEADLINES:
            return None
        return float(round(median)) if median >= 10 else round(median, 1) or 0.1


def _free_code(code: str, taken: dict[str, str]) -> str:
    n = 1
    out = code
    while out in taken:
        n += 1
        out = f"{code}-{n}"
    return out


def _fallback(m: Mapping) -> float:
    rule = m.rules.get("deadline_at")
    if rule is not None and isinstance(rule.limit_hours, (int, float)):
        return float(rule.limit_hours)
    return FALLBACK_HOURS


HEADER = """\
# jiesu city profile inferred from the data by `jiesu profile infer` (mapping {mapping}).
#
# FACT (from the data): the units with their levels, the districts and streets, the categories.
# Every table or category marked `illustrative = true` holds a setting that is NOT the city's:
# time limits read from the deadlines seen, jiesu's illustrative scoring and ranking rules. Edit
# them to the city's own rules, then run `jiesu profile check` on this file.

"""


def profile_text(data: dict[str, Any], mapping: Mapping) -> str:
    """The profile as TOML, checked first (``write_profile``), with a header saying what it is."""
    from ..profile import write_profile

    return HEADER.format(mapping=mapping.id) + write_profile(data)


@dataclass
class Inference:
    """A profile inferred from the data: its TOML text, its data, and the reading report."""

    data: dict[str, Any]
    text: str
    report: ImportReport
    output: str | None = None


def infer_profile(inputs: Sequence[str | Path | Source], *, profile: Profile | str | Path | None = None,
                  mapping: Mapping | str | Path, output: str | Path | None = None,
                  city_id: str | None = None, city_name: str | None = None, encoding: str | None = None,
                  progress: ProgressCallback | None = None) -> Inference:
    """Infer a city profile from an export through a mapping (one streaming pass; nothing is kept
    but counts). ``output`` writes the TOML atomically; the profile is checked before it is written."""
    from ..io.atomic import output_target, write_bytes_atomic
    from .run import as_import_sources, mapped_tables, prepare

    started = time.perf_counter()
    m, p = prepare(mapping, profile)
    sources = as_import_sources(inputs, m)
    paths = [s.path for s in sources]
    if output is not None:
        output_target(output, paths)  # refused before the work, not after
    report = ImportReport(m.id, m.source)
    stats = ProfileStats(m)
    mapper = None
    for table, extras, mapper in mapped_tables(sources, m, p, report, encoding=encoding, progress=progress):
        stats.add(table, extras)
    if mapper is None:
        mapper = Mapper(m, p, report)
    data = stats.profile_data(mapper, report, city_id=city_id, city_name=city_name)
    text = profile_text(data, m)
    if output is not None:
        write_bytes_atomic(output, text.encode("utf-8"), paths)
    report.seconds = time.perf_counter() - started
    return Inference(data, text, report, None if output is None else str(output))
