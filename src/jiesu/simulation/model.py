"""The case-life model: intake queue, disposition, dispatch with objections, unit queues, callback.

Every stage is vectorised with numpy except the two FIFO multi-server queues (intake and each unit),
which run the exact heap-of-free-times recursion. Each stage draws from its own stream spawned from
one ``SeedSequence(seed)``, so a what-if that changes one stage keeps the others' random numbers
(common random numbers) and the same seed always gives the same cases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np

from ..profile import ZONE, Profile, Unit
from ..schema import CHANNELS, REQUEST_TYPES
from ..schema import UNIT_LEVELS as LEVELS
from .queue import HOUR, draw_durations, fifo_starts, piecewise_rates, poisson_arrivals
from .scenario import MAXIMA, Scenario

DAY = 24 * HOUR
STREAMS = ("arrivals", "handle", "patience", "cases", "dispatch", "quality", "handling", "callback", "surge")

Progress = Callable[[int, int], None]


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class Directory:
    """The profile as index arrays: units, places (streets and zones), districts and each
    category's handler."""

    unit_ids: list[str]
    unit_level: np.ndarray  # index into LEVELS, per unit
    street_unit: np.ndarray  # unit index of the street-tier handler of each place
    street_district: np.ndarray  # district position of each place (the case's ``district``)
    territory_unit: np.ndarray  # unit index of the district-tier unit whose territory each place is in
    district_ids: list[str]
    street_ids: list[str]  # the places: a case's ``street``
    categories: list[str]
    handler_kind: np.ndarray  # 0 street, 1 district, 2 a named unit; per category
    handler_unit: np.ndarray  # unit index when kind 2, else -1
    limit_hours: np.ndarray  # [request type, category] time limit in hours

    @classmethod
    def of(cls, profile: Profile) -> Directory:
        """Places are the profile's streets and zones. A street handles its own street-tier cases;
        a zone at district tier (经开区) handles every case located in it; a zone below district
        tier sends them to its territory's district-tier unit (``zones.dispatch = "district"``)
        or handles them itself (``"zone"``). District-tier cases go to the place's territory."""
        unit_ids = [u.id for u in profile.units]
        pos = {u: i for i, u in enumerate(unit_ids)}
        places = profile.places
        district_ids = sorted(profile.district_ids)
        dpos = {d: i for i, d in enumerate(district_ids)}
        territory = profile.territory_of
        cats = [c.code for c in profile.categories]
        kind = np.array([0 if c.handler == "street" else 1 if c.handler == "district" else 2
                         for c in profile.categories])
        hunit = np.array([pos.get(c.handler, -1) for c in profile.categories])
        limits = np.array([[profile.time_limit_hours(rt, c) for c in cats] for rt in REQUEST_TYPES])

        def street_handler(u: Unit) -> int:
            if u.level == "street" and u.kind == ZONE and profile.zones.dispatch == "district":
                return pos[territory[u.id]]
            return pos[u.id]

        return cls(
            unit_ids=unit_ids,
            unit_level=np.array([LEVELS.index(u.level) for u in profile.units]),
            street_unit=np.array([street_handler(u) for u in places], dtype=np.int64),
            street_district=np.array([dpos[u.district or u.id] for u in places], dtype=np.int64),
            territory_unit=np.array([pos[territory[u.id]] for u in places], dtype=np.int64),
            district_ids=district_ids,
            street_ids=[u.id for u in places],
            categories=cats,
            handler_kind=kind,
            handler_unit=hunit,
            limit_hours=limits,
        )


@dataclass
class Cases:
    """The simulated cases as columns (times in seconds from the start of the run)."""

    n_requests: int
    waited: int  # arrivals that found every agent busy (including those who left)
    abandoned: int
    agent_busy_seconds: float
    received: np.ndarray
    answered: np.ndarray
    call_end: np.ndarray
    channel: np.ndarray
    request_type: np.ndarray
    category: np.ndarray
    street: np.ndarray
    district: np.ndarray
    disposition: np.ndarray
    # dispatched cases only (index into the case arrays in ``dispatched``)
    dispatched: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    dispatched_at: np.ndarray = field(default_factory=lambda: np.zeros(0))
    unit: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    deadline: np.ndarray = field(default_factory=lambda: np.zeros(0))
    objections: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    upheld: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    queue_arrival: np.ndarray = field(default_factory=lambda: np.zeros(0))
    service_start: np.ndarray = field(default_factory=lambda: np.zeros(0))
    closed: np.ndarray = field(default_factory=lambda: np.zeros(0))
    first_contact: np.ndarray = field(default_factory=lambda: np.zeros(0))
    has_contact: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    callback: np.ndarray = field(default_factory=lambda: np.zeros(0))
    valid: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    contacted: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    resolved: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    satisfaction: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    excluded: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    reason: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    capacity: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    quality: np.ndarray = field(default_factory=lambda: np.zeros(0))


def start_instant(scenario: Scenario, profile: Profile) -> datetime:
    """Local midnight of the scenario's first day, as an aware datetime in UTC."""
    day = date.fromisoformat(scenario.get("scenario.start"))
    local = datetime(day.year, day.month, day.day, tzinfo=profile.zone)
    return local.astimezone(UTC)


def _shares(table: dict[str, float], keys: tuple[str, ...] | list[str]) -> np.ndarray:
    p = np.array([table.get(k, 1.0) for k in keys], dtype=float)
    return p / p.sum()


def _choice(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    """Categorical draws by inverse CDF (one uniform each; exact and fast)."""
    cdf = np.cumsum(p)
    cdf[-1] = 1.0
    return np.searchsorted(cdf, rng.random(n), side="right").astype(np.int32)


def street_weights(scenario: Scenario, d: Directory) -> np.ndarray:
    """Each place's share of the cases: its territory's ``cases.district_weights`` (default 1)."""
    dw = scenario.get("cases.district_weights")
    w = np.array([dw.get(d.unit_ids[k], 1.0) for k in d.territory_unit], dtype=float)
    if w.sum() <= 0:
        w = np.ones_like(w)
    return w / w.sum()


def dispatch_shares(scenario: Scenario, d: Directory) -> np.ndarray:
    """[request type, category, (dispatched, transferred, not dispatched)] shares; the rest is
    answered on the spot. A category's dispatch factor is capped so the shares stay within 1."""
    disp = scenario.params["disposition"]
    base = np.array([[disp[k][rt] for k in ("dispatched", "transferred", "not_dispatched")]
                     for rt in REQUEST_TYPES])
    factor = np.array([disp["category_dispatch_factor"].get(c, 1.0) for c in d.categories])
    out = np.repeat(base[:, None, :], len(d.categories), axis=1)
    room = 1.0 - base[:, 1] - base[:, 2]
    out[:, :, 0] = np.minimum(base[:, 0][:, None] * factor[None, :], room[:, None])
    return out


def expected_unit_load(scenario: Scenario, d: Directory, speed: np.ndarray) -> np.ndarray:
    """Expected busy handlers per unit (erlangs) from the scenario's expected case flows.

    Flows follow the directory; redispatch after upheld objections is left out (a few per cent).
    """
    p = scenario.params
    rate = p["handling"]["sizing_rate_per_hour"] or p["intake"]["arrival_rate_per_hour"]
    rt_share = _shares(p["cases"]["request_type_shares"], REQUEST_TYPES)
    disp = dispatch_shares(scenario, d)[:, :, 0]
    cat_w = _shares(p["cases"]["category_weights"], d.categories)
    mass = rate * rt_share[:, None] * disp * cat_w[None, :]  # dispatched cases per hour
    cat_load = (mass * d.limit_hours * p["handling"]["fraction_of_limit"]).sum(axis=0)  # erlangs
    sw = street_weights(scenario, d)
    load = np.zeros(len(d.unit_ids))
    street_total = cat_load[d.handler_kind == 0].sum()
    district_total = cat_load[d.handler_kind == 1].sum()
    np.add.at(load, d.street_unit, street_total * sw)
    np.add.at(load, d.territory_unit, district_total * sw)
    named = d.handler_kind == 2
    np.add.at(load, d.handler_unit[named], cat_load[named])
    return load * speed


@dataclass
class Surge:
    """A scenario surge as indices: from ``first`` to ``last`` (seconds from the start), the
    intensity of ``category`` in ``streets`` times ``factor``."""

    category: int
    streets: np.ndarray
    street_p: np.ndarray  # the streets' weights, summing to 1
    share: float  # the category's share times the streets' share of all requests
    first: float
    last: float
    factor: float


def surges_of(scenario: Scenario, d: Directory, days: int) -> list[Surge]:
    """The scenario's surges (in the order of their names) as index arrays."""
    out = []
    run_start = date.fromisoformat(scenario.get("scenario.start"))
    sw = street_weights(scenario, d)
    cat_p = _shares(scenario.get("cases.category_weights"), d.categories)
    for _, spec in sorted(scenario.get("surges").items()):
        streets = np.array([d.street_ids.index(s) for s in spec["streets"]] or range(len(d.street_ids)), dtype=np.int64)
        c = d.categories.index(spec["category"])
        first = (date.fromisoformat(spec["start"]) - run_start).days * DAY
        last = first + spec["days"] * DAY if spec["days"] else days * DAY
        p = sw[streets]
        out.append(Surge(c, streets, p / p.sum() if p.sum() > 0 else np.full(p.size, 1 / p.size),
                         float(cat_p[c] * p.sum()), float(first), float(last), float(spec["factor"])))
    return out


def surge_arrivals(rng: np.random.Generator, rates: np.ndarray, surges: list[Surge]) -> list[np.ndarray]:
    """Extra arrivals of each surge above 1: a Poisson process of (factor - 1) x the matching share
    of the intake rate, within the surge's hours."""
    hours = np.arange(rates.size) * HOUR
    out = []
    for sg in surges:
        extra = np.where((hours >= sg.first) & (hours < sg.last), rates * max(sg.factor - 1, 0) * sg.share, 0.0)
        out.append(poisson_arrivals(rng, extra))
    return out


def intake_arrivals(scenario: Scenario, days: int, first_weekday: int, rngs: dict[str, np.random.Generator],
                    surges: list[Surge] = ()) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times (seconds, sorted) and each arrival's surge (-1: none); surges draw from
    their own stream, so a scenario without one draws exactly what it always did."""
    it = scenario.params["intake"]
    rates = piecewise_rates(days, it["arrival_rate_per_hour"], it["hourly_profile"],
                            it["weekday_profile"], first_weekday)
    arrivals = poisson_arrivals(rngs["arrivals"], rates)
    tag = np.full(arrivals.size, -1, dtype=np.int64)
    if surges:
        extra = surge_arrivals(rngs["surge"], rates, list(surges))
        tag = np.concatenate([tag, *(np.full(e.size, k) for k, e in enumerate(extra))])
        arrivals = np.concatenate([arrivals, *extra])
        order = np.argsort(arrivals, kind="stable")
        arrivals, tag = arrivals[order], tag[order]
    return arrivals, tag


def simulate_intake(scenario: Scenario, days: int, first_weekday: int, rngs: dict[str, np.random.Generator],
                    arrivals: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arrivals, service starts (NaN: abandoned) and handle times of the intake queue, in seconds."""
    it = scenario.params["intake"]
    if arrivals is None:
        arrivals, _ = intake_arrivals(scenario, days, first_weekday, rngs)
    handle = draw_durations(rngs["handle"], it["mean_handle_seconds"], arrivals.size,
                            it["handle_distribution"], it["handle_cv"])
    patience = None
    if it["mean_patience_seconds"] > 0:
        patience = rngs["patience"].exponential(it["mean_patience_seconds"], arrivals.size)
    starts = fifo_starts(arrivals, handle, it["agents"], patience)
    return arrivals, starts, handle


def _apply_surges(rng: np.random.Generator, surges: list[Surge], surge_of: np.ndarray, received: np.ndarray,
                  category: np.ndarray, street: np.ndarray) -> np.ndarray:
    """Give each surge's extra cases its category and one of its streets; for a surge below 1 (a
    fall), keep each matching case with probability ``factor``. Returns the cases kept."""
    keep = np.ones(received.size, dtype=bool)
    for k, sg in enumerate(surges):
        mine = np.flatnonzero(surge_of == k)
        category[mine] = sg.category
        street[mine] = sg.streets[_choice(rng, sg.street_p, mine.size)]
        if sg.factor < 1:
            match = ((received >= sg.first) & (received < sg.last) & (category == sg.category)
                     & np.isin(street, sg.streets))
            keep &= ~match | (rng.random(received.size) < sg.factor)
    return keep


def run_month(received: np.ndarray, start: date) -> np.ndarray:
    """Calendar month of each case (0 = the first month of the run), from its local day."""
    day = (received // DAY).astype(np.int64)
    ndays = int(day.max()) + 1 if day.size else 1
    months = []
    for k in range(ndays):
        dd = start + timedelta(days=k)
        months.append((dd.year - start.year) * 12 + dd.month - start.month)
    return np.array(months, dtype=np.int64)[day]


def simulate_cases(scenario: Scenario, profile: Profile, days: int, seed: int,
             progress: Progress | None = None) -> tuple[Cases, Directory]:
    """Run the whole model; returns the cases as columns and the directory they index into."""
    step = progress or (lambda done, total: None)
    total = 5
    p = scenario.params
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    rngs = {name: np.random.Generator(np.random.PCG64(ss)) for name, ss in zip(STREAMS, children)}
    d = Directory.of(profile)
    start = date.fromisoformat(p["scenario"]["start"])
    step(0, total)

    # 1. intake
    surges = surges_of(scenario, d, days)
    arrivals, surge_of = intake_arrivals(scenario, days, start.weekday(), rngs, surges)
    arrivals, starts, handle = simulate_intake(scenario, days, start.weekday(), rngs, arrivals)
    served = ~np.isnan(starts)
    surge_of = surge_of[served]
    n = int(served.sum())
    waited = int(np.count_nonzero(~served) + np.count_nonzero(starts[served] > arrivals[served]))
    received = arrivals[served]
    answered = starts[served]
    call_end = answered + handle[served]
    cases_busy = float(handle[served].sum())
    del starts, handle, served  # a year of Beijing is 22 million callers: free what is done
    step(1, total)

    # 2. what the case is about, where, and its disposition
    rng = rngs["cases"]
    channel = _choice(rng, _shares(p["intake"]["channel_shares"], CHANNELS), n)
    rtype = _choice(rng, _shares(p["cases"]["request_type_shares"], REQUEST_TYPES), n)
    category = _choice(rng, _shares(p["cases"]["category_weights"], d.categories), n)
    street = _choice(rng, street_weights(scenario, d), n)
    if surges:
        keep = _apply_surges(rngs["surge"], surges, surge_of, received, category, street)
        if not keep.all():  # a fall: the cases never came (the intake queue above still saw them)
            received, answered, call_end = received[keep], answered[keep], call_end[keep]
            channel, rtype, category, street = channel[keep], rtype[keep], category[keep], street[keep]
            n = int(keep.sum())
    district = d.street_district[street]
    shares = dispatch_shares(scenario, d)  # [request type, category, 3]
    thresholds = np.cumsum(shares, axis=2)[rtype, category]
    u = rng.random(n)
    pos = (u[:, None] >= thresholds).sum(axis=1)  # 0 dispatched, 1 transferred, 2 not, 3 answered
    disposition = np.array([1, 2, 3, 0], dtype=np.int32)[pos]
    cases = Cases(int(arrivals.size), waited, int(arrivals.size - n), cases_busy, received,
                  answered, call_end, channel, rtype, category, street, district, disposition)
    del arrivals, thresholds, u, pos
    step(2, total)

    # 3. dispatch through the directory, objections, review and redispatch
    idx = np.flatnonzero(disposition == 1)
    m = idx.size
    rng = rngs["dispatch"]
    c_cat, c_street = category[idx], street[idx]
    kind = d.handler_kind[c_cat]
    first = np.where(kind == 0, d.street_unit[c_street],
                     np.where(kind == 1, d.territory_unit[c_street], d.handler_unit[c_cat]))
    first_at = call_end[idx] + rng.exponential(p["disposition"]["dispatch_delay_minutes"] * 60, m)
    objected = rng.random(m) < p["dispatch"]["objection_probability"]
    upheld = objected & (rng.random(m) < p["dispatch"]["upheld_probability"])
    review = rng.exponential(p["dispatch"]["review_hours"] * HOUR, m)
    # redispatch: a street's case goes to its district; anything else to the case's street
    # when a district objected, or to the case's district when a department or enterprise did
    # (the district: the district-tier unit whose territory the case's place lies in)
    level = d.unit_level[first]
    redirect = np.where(level == LEVELS.index("district"), d.street_unit[c_street],
                        d.territory_unit[c_street])
    unit = np.where(upheld, redirect, first)
    dispatched_at = np.where(upheld, first_at + review, first_at)
    queue_arrival = np.where(objected, first_at + review, first_at)
    deadline = dispatched_at + d.limit_hours[rtype[idx], c_cat] * HOUR
    step(3, total)

    # 4. units: quality (once per unit, then a monthly drift), capacity, FIFO handling queues
    rng = rngs["quality"]
    n_units = len(d.unit_ids)
    quality = rng.normal(0.0, p["callback"]["quality_sd"], n_units)
    months = run_month(received[idx], start) if m else np.zeros(0, np.int64)
    n_months = int(months.max()) + 1 if m else 1
    drift = rng.normal(0.0, p["callback"]["monthly_sd"], (n_units, n_months))
    speed = np.exp(-p["handling"]["quality_speed_effect"] * quality)
    load = expected_unit_load(scenario, d, speed)
    most = MAXIMA["handling.capacity.*"]  # a sizing beyond it (a tiny target) is capped, never garbage
    sized = np.nan_to_num(np.ceil(load / p["handling"]["target_utilisation"]), nan=1.0, posinf=most)
    capacity = np.clip(sized, 1, most).astype(np.int64)
    for uid, cap in p["handling"]["capacity"].items():
        capacity[d.unit_ids.index(uid)] = cap
    rng = rngs["handling"]
    mean_service = p["handling"]["fraction_of_limit"] * d.limit_hours[rtype[idx], c_cat] * HOUR
    service = draw_durations(rng, mean_service * speed[unit], m, p["handling"]["distribution"],
                             p["handling"]["cv"])
    order = np.lexsort((queue_arrival, unit))
    bounds = np.flatnonzero(np.diff(unit[order])) + 1
    service_start = np.empty(m)
    for group in np.split(order, bounds) if m else []:
        service_start[group] = fifo_starts(queue_arrival[group], service[group],
                                           int(capacity[unit[group[0]]]))
    closed = service_start + service
    contact_delay = rng.exponential(p["handling"]["first_contact_hours"] * HOUR, m)
    first_contact = dispatched_at + np.minimum(contact_delay, closed - dispatched_at)
    q = quality[unit] + drift[unit, months] if m else np.zeros(0)
    has_contact = rng.random(m) >= logistic(p["handling"]["no_contact_logit"] - q)
    step(4, total)

    # 5. callback after the deadline, answers depending on timeliness and unit quality
    rng = rngs["callback"]
    cb = p["callback"]
    callback = deadline + rng.exponential(cb["delay_hours"] * HOUR, m)
    valid = rng.random(m) < cb["valid_share"]
    late = closed > deadline
    contacted = has_contact & (rng.random(m) < logistic(cb["contacted_logit"] + q))
    resolved = rng.random(m) < logistic(cb["resolved_logit"] + q - cb["late_penalty"] * late)
    content = rng.random(m) < logistic(cb["satisfied_logit"] + q - cb["late_penalty"] * late
                                       - cb["unresolved_penalty"] * ~resolved)
    basically = rng.random(m) < cb["basically_share"]
    satisfaction = np.where(content, np.where(basically, 1, 0), 2)
    ue = rng.random(m)
    unreasonable = ue < cb["unreasonable_share"]
    duplicate = ~unreasonable & (ue < cb["unreasonable_share"] + cb["duplicate_share"])
    by_objection = upheld & bool(p["dispatch"]["exclude_upheld"])
    excluded = by_objection | unreasonable | duplicate
    reason = np.where(by_objection, 0, np.where(unreasonable, 1, 2))
    step(5, total)

    cases.dispatched, cases.dispatched_at, cases.unit, cases.deadline = idx, dispatched_at, unit, deadline
    cases.objections, cases.upheld, cases.queue_arrival = objected.astype(np.int64), upheld, queue_arrival
    cases.service_start, cases.closed, cases.first_contact = service_start, closed, first_contact
    cases.has_contact, cases.callback, cases.valid = has_contact, callback, valid
    cases.contacted, cases.resolved, cases.satisfaction = contacted, resolved, satisfaction
    cases.excluded, cases.reason, cases.capacity, cases.quality = excluded, reason, capacity, quality
    return cases, d


def erlang_load(scenario: Scenario) -> float:
    """Offered intake load in erlangs at the mean arrival rate."""
    it = scenario.params["intake"]
    return it["arrival_rate_per_hour"] / HOUR * it["mean_handle_seconds"]


__all__ = [
    "Cases",
    "Directory",
    "erlang_load",
    "simulate_cases",
    "simulate_intake",
    "start_instant",
]
