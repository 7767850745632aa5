"""``run``: simulate a scenario, write the case records (Parquet) and the run summary (JSON)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import ArgumentError, OutputError, TooLargeError
from ..io.atomic import output_target, write_bytes_atomic
from ..profile import Profile, load_profile
from ..progress import ProgressCallback
from ..records import arrow_schema, codes, parquet_writer, timestamps
from ..schema import CHANNELS, DISPOSITIONS, REQUEST_TYPES, SATISFACTION, STATUSES, date_time_range
from ..schema import EXCLUSION_REASONS as EXCLUSION
from ..schema import UNIT_LEVELS as LEVELS
from ..scoring import Scorer, rates
from .model import DAY, Cases, Directory, simulate_cases, start_instant, surges_of
from .queue import erlang_c
from .scenario import Scenario, check_against_profile, load_scenario

US = 1_000_000
MAX_DAYS = 3660


@dataclass
class Summary:
    """What a run did: parameters echoed, headline figures, per-unit queue figures."""

    data: dict[str, Any]
    output: Path | None = None
    table: pa.Table | None = field(default=None, repr=False)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def to_json(self) -> str:
        return json.dumps(self.data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def simulate(scenario: str | Path | Scenario, *, profile: str | Path | Profile | None = None,
             days: int = 30, seed: int = 0, overrides: Sequence[str] = (),
             output: str | Path | None = None, summary: str | Path | None = None,
             keep_table: bool = False, progress: ProgressCallback | None = None) -> Summary:
    """Simulate ``days`` days of ``scenario`` with ``seed``: the case life from intake to callback.

    ``scenario`` is a built-in name, a TOML path or a loaded :class:`Scenario`; ``overrides`` are
    ``key=value`` strings; ``profile`` replaces the scenario's own profile. Writes the case records
    to ``output`` (zstd Parquet, atomically) and the summary JSON to ``summary`` when given; with
    ``keep_table`` the records are also kept in ``Summary.table``. Same arguments, same bytes.

    The summary's three rates are ``jiesu.scoring``'s, counted on the records themselves.
    """
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ArgumentError(f"days must be a whole number from 1 to {MAX_DAYS}, got {days!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ArgumentError(f"seed must be a whole number, 0 or more, got {seed!r}")
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides)
    profile_source = scenario.get("scenario.profile") if profile is None else profile
    prof = load_profile(profile_source)
    check_against_profile(scenario, prof)
    inputs = [x for x in (scenario.source, profile_source) if isinstance(x, str | Path) and Path(x).is_file()]
    targets = [output_target(t, inputs, binary=t is output) for t in (output, summary) if t is not None]
    if len(targets) == 2 and targets[0] == targets[1] and targets[0].kind != "null":
        raise OutputError(f"{summary}: the summary and the case records cannot go to the same place")
    check_size(scenario, days, profile=prof)
    t0_us = int(start_instant(scenario, prof).timestamp()) * US
    _check_times(t0_us, t0_us + days * DAY * US)

    report = progress or (lambda done, total: None)
    # progress in thousandths: the model's five stages, then the records chunk by chunk
    cases, directory = simulate_cases(scenario, prof, days, seed,
                                      lambda done, total: report(600 * done // total, 1000))
    _check_times(t0_us, t0_us + _latest_us(cases))
    data = summarise(scenario, prof, cases, directory, days, seed)
    scorer = Scorer(prof, "unit_level", with_requests=False)
    kept: list[pa.Table] = []
    chunks = max(1, -(-cases.received.size // CHUNK_ROWS))

    def records() -> Iterator[pa.Table]:
        for i, table in enumerate(iter_tables(cases, directory, scenario, prof, days, seed), 1):
            scorer.add(table)
            if keep_table:
                kept.append(table)
            yield table
            report(600 + 400 * i // chunks, 1000)

    if output is not None:
        data["output"] = str(output)
        write_parquet(output, records(), record_schema(scenario, prof, days, seed), inputs)
    else:
        for _ in records():
            pass
    data["callback"].update(_scored_rates(scorer.aggregate.total(), prof))
    report(1000, 1000)
    result = Summary(data, Path(output) if output is not None else None,
                     pa.concat_tables(kept) if keep_table else None)
    if summary is not None:
        write_bytes_atomic(summary, result.to_json().encode("utf-8"), inputs)
    return result


#: Peak memory of a run per expected request (the intake queue's lists dominate), and the fixed
#: part; measured with ``benchmarks/bench_simulate.py::test_memory_per_request`` (about 160 bytes
#: a request from 1 to 15 million requests), rounded up.
BYTES_PER_REQUEST = 200
BASE_BYTES = 200 << 20


def size_estimate(scenario: Scenario, days: int, profile: Profile | None = None) -> tuple[int, int]:
    """(expected requests, bytes of memory at the peak) of a run: the arrival rate over the
    days (the hourly and weekday profiles have mean 1), plus what each surge adds in its days
    (its factor less 1 times its share of the requests, which the ``profile`` gives; default: the
    scenario's), times the measured memory per request."""
    rate = scenario.get("intake.arrival_rate_per_hour")
    expected = rate * 24 * days
    if scenario.get("surges"):
        prof = profile if profile is not None else load_profile(scenario.get("scenario.profile"))
        for sg in surges_of(scenario, Directory.of(prof), days):
            hours = max(0.0, min(sg.last, days * DAY) - max(sg.first, 0.0)) / 3600
            expected += max(sg.factor - 1, 0) * sg.share * rate * hours
    requests = math.ceil(expected)
    return requests, BASE_BYTES + BYTES_PER_REQUEST * requests


def check_size(scenario: Scenario, days: int, available: int | None = None,
               profile: Profile | None = None) -> None:
    """TooLargeError when the run cannot fit in the memory available (``available`` bytes, by
    default what the machine has free now), giving the estimate; the model holds a run whole."""
    from ..memory import available_memory

    requests, need = size_estimate(scenario, days, profile)
    free = available_memory() if available is None else available
    if free is not None and need > free:
        raise TooLargeError(
            f"the run would simulate about {requests:,} requests and need about {need / 2**30:,.1f} GiB "
            f"of memory, but {free / 2**30:,.1f} GiB are available: simulate fewer days (several "
            "shorter runs with different seeds) or a lower intake.arrival_rate_per_hour")


def _latest_us(c: Cases) -> float:
    """The latest time of the run, in microseconds from its start (NaN or inf when broken)."""
    parts = [c.received, c.answered, c.call_end, c.dispatched_at, c.deadline, c.closed,
             c.first_contact, c.callback]
    latest = np.array([np.max(p) for p in parts if p.size] or [0.0])
    return float(latest.max()) * US  # numpy's max keeps a NaN, so a broken run is refused


def _check_times(first_us: float, last_us: float) -> None:
    """ArgumentError unless every time of the run lies in the schema's supported range."""
    span = date_time_range()
    if not (span.minimum_us <= first_us and last_us < span.before_us):
        raise ArgumentError(
            f"the run would write date-times outside the supported range, {span}: choose an "
            "earlier scenario.start, fewer days or shorter delays (or shorter time limits in the profile)")


def _scored_rates(counts: dict[str, int], profile: Profile) -> dict[str, Any]:
    """The callback figures of the summary: scored cases and the three rates, as ``score`` has them."""
    three = rates(counts, profile)
    return {
        "scored": counts["scored"],
        **{k: None if three[k] is None else round(three[k], 6)
           for k in ("response_rate", "resolution_rate", "satisfaction_rate")},
        "composite": None if three["composite"] is None else round(three["composite"], 4),
    }


# ---------------------------------------------------------------- records

def _ts(t0_us: int, seconds: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return timestamps(t0_us + np.rint(seconds * US).astype(np.int64), mask)


def _spread(n: int, idx: np.ndarray, values: np.ndarray, fill: Any = 0) -> np.ndarray:
    out = np.full(n, fill, dtype=values.dtype)
    out[idx] = values
    return out


def parquet_metadata(scenario: Scenario, prof: Profile, days: int, seed: int) -> dict[str, str]:
    from ..schema import schema_version

    return {
        "jiesu.schema_version": schema_version(),
        "jiesu.generator": "jiesu.simulate",
        "jiesu.seed": str(seed),
        "jiesu.days": str(days),
        "jiesu.scenario": scenario.name,
        "jiesu.profile": prof.id,
        "jiesu.parameters": scenario.to_json(),
    }


CHUNK_ROWS = 1 << 20


def record_schema(scenario: Scenario, prof: Profile, days: int, seed: int) -> pa.Schema:
    """jiesu's Arrow case-record schema with this run's key-value metadata."""

    return arrow_schema().with_metadata(parquet_metadata(scenario, prof, days, seed))


def iter_tables(c: Cases, d: Directory, scenario: Scenario, prof: Profile, days: int, seed: int,
                chunk_rows: int = CHUNK_ROWS) -> Iterator[pa.Table]:
    """The cases as Arrow record batches of ``chunk_rows`` in jiesu's case-record schema (memory
    for records stays at one chunk however long the run)."""
    import pyarrow.compute as pc

    n = c.received.size
    t0 = int(start_instant(scenario, prof).timestamp()) * US
    schema = record_schema(scenario, prof, days, seed)
    width = max(9, len(str(n)))
    prefix = scenario.get("scenario.case_id_prefix")
    level = d.unit_level[c.unit] if c.unit.size else np.zeros(0, np.int64)
    for lo in range(0, max(n, 1), chunk_rows):
        hi = min(n, lo + chunk_rows)
        k = hi - lo
        a, b = np.searchsorted(c.dispatched, [lo, hi])
        idx = c.dispatched[a:b] - lo  # dispatched cases of this chunk, positions in the chunk
        nd = np.ones(k, bool)
        nd[idx] = False

        def spread(values: np.ndarray, fill: Any = 0, idx=idx, a=a, b=b, k=k) -> np.ndarray:
            return _spread(k, idx, values[a:b], fill)

        valid = spread(c.valid, False)
        no_answer = nd | ~valid
        excluded = spread(c.excluded, False)
        closed = c.call_end[lo:hi].copy()
        closed[idx] = c.closed[a:b]
        digits = pc.utf8_lpad(pa.array(np.arange(lo + 1, hi + 1)).cast(pa.string()), width, "0")
        cols = {
            "case_id": pc.binary_join_element_wise(prefix, digits, ""),
            "received_at": _ts(t0, c.received[lo:hi]),
            "answered_at": _ts(t0, c.answered[lo:hi]),
            "channel": codes(c.channel[lo:hi], CHANNELS),
            "request_type": codes(c.request_type[lo:hi], REQUEST_TYPES),
            "category": codes(c.category[lo:hi], d.categories),
            "district": codes(c.district[lo:hi], d.district_ids),
            "street": codes(c.street[lo:hi], d.street_ids),
            "disposition": codes(c.disposition[lo:hi], DISPOSITIONS),
            "dispatched_at": _ts(t0, spread(c.dispatched_at, 0.0), nd),
            "unit": codes(spread(c.unit), d.unit_ids, nd),
            "unit_level": codes(spread(level), LEVELS, nd),
            "deadline_at": _ts(t0, spread(c.deadline, 0.0), nd),
            "objections": pa.array(spread(c.objections), mask=nd),
            "objection_upheld": pa.array(spread(c.upheld, False), mask=nd),
            "first_contact_at": _ts(t0, spread(c.first_contact, 0.0), nd | ~spread(c.has_contact, False)),
            "closed_at": _ts(t0, closed),
            "status": codes(np.full(k, STATUSES.index("closed")), STATUSES),
            "callback_at": _ts(t0, spread(c.callback, 0.0), nd),
            "callback_valid": pa.array(valid, mask=nd),
            "contacted": pa.array(spread(c.contacted, False), mask=no_answer),
            "resolved": pa.array(spread(c.resolved, False), mask=no_answer),
            "satisfaction": codes(spread(c.satisfaction), SATISFACTION, no_answer),
            "excluded": pa.array(excluded, mask=nd),
            "exclusion_reason": codes(spread(c.reason), EXCLUSION, ~excluded),
            "proactive": pa.array(np.zeros(k, bool), mask=nd),
            "topic": pa.nulls(k, pa.dictionary(pa.int32(), pa.string())),
        }
        yield pa.table(cols, schema=schema)


def to_table(c: Cases, d: Directory, scenario: Scenario, prof: Profile, days: int, seed: int) -> pa.Table:
    """The cases as one Arrow table in jiesu's case-record schema."""
    return pa.concat_tables(iter_tables(c, d, scenario, prof, days, seed))


def write_parquet(path: str | Path, tables: Iterable[pa.Table], schema: pa.Schema,
                  inputs: Sequence[str | Path] = ()) -> None:
    """zstd Parquet, one row group per table, written atomically (or streamed to stdout: ``-``)."""
    with parquet_writer(path, schema, inputs=inputs) as writer:
        for table in tables:
            writer.write_table(table, row_group_size=CHUNK_ROWS)


# ---------------------------------------------------------------- summary

def _rate(num: float, den: float) -> float | None:
    return round(float(num) / float(den), 6) if den else None


def littles_law(unit: np.ndarray, arrived: np.ndarray, left: np.ndarray, lo: float, hi: float,
                n_units: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per unit over the window [lo, hi): (L, lambda, W, arrivals) from intervals [arrived, left).

    L is the time-average number in system in the window; lambda counts arrivals in the window per
    second and W is their mean sojourn, followed past the window. In steady state L = lambda W.
    """
    span = hi - lo
    inside = (arrived >= lo) & (arrived < hi)
    count = np.bincount(unit[inside], minlength=n_units)
    soj = np.bincount(unit[inside], weights=(left - arrived)[inside], minlength=n_units)
    occ = np.bincount(unit, weights=np.clip(np.minimum(left, hi) - np.maximum(arrived, lo), 0, None),
                      minlength=n_units)
    w = np.divide(soj, count, out=np.zeros(n_units), where=count > 0)
    return occ / span, count / span, w, count


def unit_figures(d: Directory, c: Cases, lo: float, hi: float) -> list[dict[str, Any]]:
    """Per unit: capacity, quality, load, late share and Little's law over [lo, hi) from the
    records' intervals [dispatched_at, closed_at)."""
    nu = len(d.unit_ids)
    a, z, u = c.dispatched_at, c.closed, c.unit
    big_l, lam_s, w, _ = littles_law(u, a, z, lo, hi, nu)
    busy = np.bincount(u, weights=np.clip(np.minimum(z, hi) - np.clip(c.service_start, lo, hi), 0, None),
                       minlength=nu)
    late = np.bincount(u, weights=(z > c.deadline).astype(float), minlength=nu)
    total = np.bincount(u, minlength=nu)
    out = []
    for i in np.flatnonzero(total):
        out.append({
            "unit": d.unit_ids[i],
            "level": LEVELS[d.unit_level[i]],
            "capacity": int(c.capacity[i]),
            "quality": round(float(c.quality[i]), 4),
            "cases": int(total[i]),
            "arrival_rate_per_day": round(lam_s[i] * DAY, 4),
            "mean_sojourn_hours": round(w[i] / 3600, 4),
            "mean_in_system": round(big_l[i], 4),
            "littles_lambda_w": round(lam_s[i] * w[i], 4),
            "utilisation": round(busy[i] / (c.capacity[i] * (hi - lo)), 4),
            "late_share": round(late[i] / total[i], 4),
        })
    return out


def summarise(scenario: Scenario, prof: Profile, c: Cases, d: Directory, days: int, seed: int) -> dict[str, Any]:
    """The run summary: parameters, seed, days and headline figures."""
    horizon = days * DAY
    warm = days // 4  # unit queues start empty: their figures leave out the first quarter
    n = c.received.size
    it = scenario.params["intake"]
    waits = c.answered - c.received
    disp_counts = np.bincount(c.disposition, minlength=4)
    m = c.dispatched.size
    theory = erlang_c(it["agents"], it["arrival_rate_per_hour"], it["mean_handle_seconds"])
    flat_rates = len(set(it["hourly_profile"])) == 1 and len(set(it["weekday_profile"])) == 1
    return {
        "jiesu": "simulate",
        "scenario": scenario.name,
        "scenario_source": scenario.source,
        "profile": prof.id,
        "seed": seed,
        "days": days,
        "start": scenario.get("scenario.start"),
        "parameters": scenario.params,
        "overrides": scenario.overrides,
        "requests": c.n_requests,
        "requests_per_day": round(c.n_requests / days, 2),
        "cases": n,
        "cases_per_day": round(n / days, 2),
        "dispositions": {k: int(v) for k, v in zip(DISPOSITIONS, disp_counts)},
        "dispatched_share": _rate(m, n),
        "intake": {
            "agents": it["agents"],
            "p_wait": _rate(c.waited, c.n_requests),
            "mean_wait_seconds": round(float(waits.mean()), 4) if n else None,
            "p95_wait_seconds": round(float(np.quantile(waits, 0.95)), 4) if n else None,
            "abandoned": c.abandoned,
            "abandonment_rate": _rate(c.abandoned, c.n_requests),
            "agent_utilisation": round(c.agent_busy_seconds / (it["agents"] * horizon), 6),
            "erlang_c": {
                "applies": flat_rates and it["handle_distribution"] == "exponential"
                and it["mean_patience_seconds"] == 0,
                "utilisation": round(theory.utilisation, 6),
                "p_wait": round(theory.p_wait, 6),
                "mean_wait_seconds": round(theory.mean_wait_seconds, 6),
            },
        },
        "dispatch": {
            "dispatched": m,
            "objections": int(c.objections.sum()),
            "upheld": int(c.upheld.sum()),
            "excluded": int(c.excluded.sum()),
            "late_share": _rate(float((c.closed > c.deadline).sum()), m),
        },
        "callback": {
            "callbacks": m,
            "valid_callbacks": int(c.valid.sum()),
            "basically_satisfied_weight": prof.scoring.basically_satisfied_weight,
        },
        "units_window_days": [warm, days],
        "units": unit_figures(d, c, warm * DAY, horizon) if m else [],
    }
