"""Replications: N independent runs of a scenario, the mean and a 95 % confidence interval of each
indicator, and the what-if comparison of two scenarios on common random numbers.

Seeds: replication i runs with seed ``SeedSequence(seed).spawn(N)[i].generate_state(1, uint64)[0]``
(a plain integer, listed in the result, so any replication can be run again alone with
``jiesu simulate --seed``). The seeds depend only on ``seed`` and ``N``, never on how many
workers run them, so the result is the same on one process or a cluster.

Intervals are Student-t intervals over the replications: mean ± t(0.975, n − 1) × s / √n, with s
the sample standard deviation (the runs are independent and identically distributed; each run's
figure is one observation). A comparison runs both scenarios with the same seeds, so both see the
same random numbers stage by stage (common random numbers, see ``docs/simulate.md``), and gives the
paired interval of the differences B − A, much narrower than two separate intervals would suggest.
Runs write no case files unless ``output`` is given.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ArgumentError, OutputError
from ..io.atomic import output_target, write_bytes_atomic
from ..progress import ProgressCallback

#: (name, where it is in the run summary, unit, meaning)
INDICATORS: tuple[tuple[str, str, str, str], ...] = (
    ("p_wait", "intake.p_wait", "share", "P(wait): share of callers who wait for an agent"),
    ("service_level", "intake.p_wait", "share", "share of callers answered without waiting (1 - P(wait))"),
    ("mean_wait_seconds", "intake.mean_wait_seconds", "seconds", "mean wait for an agent"),
    ("abandonment_rate", "intake.abandonment_rate", "share", "share of callers who hang up while waiting"),
    ("agent_utilisation", "intake.agent_utilisation", "share", "share of agent time busy"),
    ("on_time_share", "dispatch.late_share", "share", "dispatched cases closed within their time limit"),
    ("response_rate", "callback.response_rate", "share", "response rate (jiesu.scoring)"),
    ("resolution_rate", "callback.resolution_rate", "share", "resolution rate (jiesu.scoring)"),
    ("satisfaction_rate", "callback.satisfaction_rate", "share", "satisfaction rate (jiesu.scoring)"),
    ("composite", "callback.composite", "score", "composite score 0-100 (jiesu.scoring)"),
    ("cases_per_day", "cases_per_day", "count", "case records a day"),
)
_COMPLEMENT = {"service_level", "on_time_share"}  # 1 - the summary's figure
MAX_REPLICATIONS = 10_000


def replication_seeds(seed: int, n: int) -> list[int]:
    """The seed of each of ``n`` replications, from ``SeedSequence(seed).spawn(n)``."""
    import numpy as np

    return [int(child.generate_state(1, np.uint64)[0]) for child in np.random.SeedSequence(seed).spawn(n)]


def indicators(summary: dict[str, Any]) -> dict[str, float | None]:
    """The indicators of one run, read from its summary (None where the run cannot give one)."""
    out: dict[str, float | None] = {}
    for name, path, _, _ in INDICATORS:
        value: Any = summary
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None and name in _COMPLEMENT:
            value = 1 - value
        out[name] = None if value is None else float(value)
    return out


# ---------------------------------------------------------------- Student's t, without scipy

def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1 + aa * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1 - front * _betacf(b, a, 1 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * _betainc(df / 2, 0.5, df / (df + t * t))
    return 1 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t (bisection on the CDF; exact to about 1e-12)."""
    if not 0 < p < 1 or df <= 0:
        raise ValueError("need 0 < p < 1 and df > 0")
    if p < 0.5:
        return -t_quantile(1 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-13 * max(1.0, hi):
            break
    return (lo + hi) / 2


@dataclass
class Interval:
    """Mean and 95 % Student-t interval of some observations (low/high None below 2 of them)."""

    n: int
    mean: float | None
    sd: float | None
    low: float | None
    high: float | None

    @classmethod
    def of(cls, values: Sequence[float | None], level: float = 0.95) -> Interval:
        xs = [v for v in values if v is not None and math.isfinite(v)]
        n = len(xs)
        if n == 0:
            return cls(0, None, None, None, None)
        mean = math.fsum(xs) / n
        if n == 1:
            return cls(1, mean, None, None, None)
        sd = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1))
        half = t_quantile(0.5 + level / 2, n - 1) * sd / math.sqrt(n)
        return cls(n, mean, sd, mean - half, mean + half)


# ---------------------------------------------------------------- running them

def _one(scenario: Any, profile: Any, days: int, seed: int, output: str | None) -> dict[str, float | None]:
    """One replication (a task): its indicators only, the records written only when asked."""
    from .run import simulate

    return indicators(simulate(scenario, profile=profile, days=days, seed=seed, output=output).data)


def _target(output: str | Path | None, label: str, i: int) -> str | None:
    if output is None:
        return None
    p = Path(output)  # the runs are Parquet whatever the name ends in: runs.parquet, runs -> runs-r0001.parquet
    stem = p.name[:-len(".parquet")] if p.name.lower().endswith(".parquet") else p.name
    return str(p.with_name(f"{stem}{label}-r{i + 1:04d}.parquet"))


@dataclass
class Replications:
    """What N replications (of one scenario, or of two compared) gave."""

    seed: int
    days: int
    seeds: list[int]
    scenarios: list[str]
    runs: list[list[dict[str, float | None]]]  # per scenario, per replication
    level: float = 0.95
    method: str = "Student-t interval over replications; paired differences for a comparison"
    rows: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.rows:
            self.rows = self._rows()

    def _rows(self) -> list[dict[str, Any]]:
        out = []
        for name, _, unit, meaning in INDICATORS:
            per = [[run[name] for run in runs] for runs in self.runs]
            row: dict[str, Any] = {"indicator": name, "unit": unit}
            if len(per) == 1:
                iv = Interval.of(per[0], self.level)
                row.update(n=iv.n, mean=iv.mean, ci_low=iv.low, ci_high=iv.high, sd=iv.sd)
            else:
                a, b = Interval.of(per[0], self.level), Interval.of(per[1], self.level)
                d = Interval.of([None if x is None or y is None else y - x for x, y in zip(per[0], per[1])], self.level)
                row.update(n=d.n, a_mean=a.mean, a_low=a.low, a_high=a.high, b_mean=b.mean, b_low=b.low,
                           b_high=b.high, difference=d.mean, diff_low=d.low, diff_high=d.high)
            row["meaning"] = meaning
            out.append(row)
        return out

    @property
    def columns(self) -> list[str]:
        if len(self.runs) == 1:
            return ["indicator", "unit", "n", "mean", "ci_low", "ci_high", "sd"]
        return ["indicator", "unit", "n", "a_mean", "a_low", "a_high", "b_mean", "b_low", "b_high",
                "difference", "diff_low", "diff_high"]

    def display_rows(self) -> list[dict[str, str]]:
        """The rows for people: shares in %, means with their interval in brackets."""

        def fmt(v: float | None, unit: str, signed: bool = False) -> str:
            if v is None:
                return ""
            sign = "+" if signed else ""
            if unit == "share":
                return f"{100 * v:{sign}.2f}%"
            return f"{v:{sign},.2f}"

        def cell(m: float | None, lo: float | None, hi: float | None, unit: str, signed: bool = False) -> str:
            text = fmt(m, unit, signed)
            return text if lo is None else f"{text} [{fmt(lo, unit, signed)}, {fmt(hi, unit, signed)}]"

        out = []
        for r in self.rows:
            u = r["unit"]
            if len(self.runs) == 1:
                out.append({"indicator": r["indicator"], "n": str(r["n"]),
                            "mean [95% CI]": cell(r["mean"], r["ci_low"], r["ci_high"], u)})
            else:
                out.append({"indicator": r["indicator"], "n": str(r["n"]),
                            f"A: {self.scenarios[0]}": cell(r["a_mean"], r["a_low"], r["a_high"], u),
                            f"B: {self.scenarios[1]}": cell(r["b_mean"], r["b_low"], r["b_high"], u),
                            "B - A [95% CI, paired]": cell(r["difference"], r["diff_low"], r["diff_high"], u, True)})
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"jiesu": "simulate-replications", "scenarios": self.scenarios, "days": self.days, "seed": self.seed,
                "replications": len(self.seeds), "seeds": self.seeds, "confidence": self.level,
                "method": self.method, "indicators": self.rows,
                "runs": [[{"seed": s, **run} for s, run in zip(self.seeds, runs)] for runs in self.runs]}


def replicate(scenario: str | Path | Any, *, profile: str | Path | Any | None = None, days: int = 30,
              seed: int = 0, replications: int = 10, overrides: Sequence[str] = (),
              compare: str | Path | Any | None = None, output: str | Path | None = None,
              scheduler: Any = None, progress: ProgressCallback | None = None,
              summary: str | Path | None = None) -> Replications:
    """Run ``replications`` independent runs of ``scenario`` (and, with ``compare``, of a second
    scenario B on the same seeds) and summarise each indicator with a 95 % Student-t interval;
    a comparison adds the paired interval of B − A.

    ``scheduler`` runs the replications as tasks on a Dask cluster (:mod:`jiesu.distributed`);
    the result is the same. ``output`` (a Parquet path) writes each run's case records beside it as
    ``<stem>-r0001.parquet`` (``-a-``/``-b-`` for a comparison); by default nothing is written.
    ``summary`` writes :meth:`Replications.to_dict` there as JSON (``-`` is stdout). Both are checked
    before any run (:func:`jiesu.io.atomic.output_target`: not a folder, not a scenario or profile file).
    """
    from ..profile import load_profile
    from .run import MAX_DAYS
    from .scenario import Scenario, check_against_profile, load_scenario

    if isinstance(replications, bool) or not isinstance(replications, int) or not 1 <= replications <= MAX_REPLICATIONS:
        raise ArgumentError(f"replications must be a whole number from 1 to {MAX_REPLICATIONS}, got {replications!r}")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ArgumentError(f"days must be a whole number from 1 to {MAX_DAYS}, got {days!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ArgumentError(f"seed must be a whole number, 0 or more, got {seed!r}")
    if output is not None and not Path(output).parent.is_dir():  # as jiesu.io.atomic.output_target says it
        raise OutputError(f"{output}: the folder {Path(output).parent} does not exist")
    loaded = []
    for s in (scenario, compare) if compare is not None else (scenario,):
        sc = s if isinstance(s, Scenario) else load_scenario(s, overrides)
        prof = load_profile(sc.get("scenario.profile") if profile is None else profile)
        check_against_profile(sc, prof)
        loaded.append((sc, prof))
    seeds = replication_seeds(seed, replications)
    labels = [""] if len(loaded) == 1 else ["-a", "-b"]
    inputs = _inputs(scenario, compare, profile, loaded)
    if output is not None:
        if Path(output).is_dir():
            raise OutputError(f"{output}: is a folder; give a file name (each run is written beside it as "
                              f"NAME-r0001.parquet)")
        for label in labels:
            output_target(_target(output, label, 0), inputs, binary=True)
    if summary is not None:
        output_target(summary, inputs)
    jobs = [(k, i) for k in range(len(loaded)) for i in range(replications)]
    results = _run_jobs(loaded, jobs, days, seeds, output, labels, scheduler, progress)
    runs = [[results[(k, i)] for i in range(replications)] for k in range(len(loaded))]
    names = [sc.name for sc, _ in loaded]
    if len(names) == 2 and names[0] == names[1]:
        names = [f"{names[0]} (A)", f"{names[1]} (B)"]
    result = Replications(seed, days, seeds, names, runs)
    if summary is not None:
        write_bytes_atomic(summary, (json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
                           inputs)
    return result


def _inputs(scenario: Any, compare: Any, profile: Any, loaded: list[tuple[Any, Any]]) -> list[str | Path]:
    """The scenario and profile files of the run: no output may replace them."""
    named = [scenario, compare, profile, *(sc.source for sc, _ in loaded),
             *(sc.get("scenario.profile") for sc, _ in loaded)]
    return [x for x in named if isinstance(x, str | Path) and Path(x).is_file()]


def _run_jobs(loaded: list[tuple[Any, Any]], jobs: list[tuple[int, int]], days: int, seeds: list[int],
              output: str | Path | None, labels: list[str], scheduler: Any,
              progress: ProgressCallback | None) -> dict[tuple[int, int], dict[str, float | None]]:
    report: Callable[[int, int], None] = progress or (lambda done, total: None)
    if scheduler is None:
        out = {}
        for done, (k, i) in enumerate(jobs, 1):
            sc, prof = loaded[k]
            out[(k, i)] = _one(sc, prof, days, seeds[i], _target(output, labels[k], i))
            report(done, len(jobs))
        return out
    import dask

    from .. import distributed

    with distributed.connect(scheduler) as run:
        shared = [(dask.delayed(sc, traverse=False), dask.delayed(prof, traverse=False)) for sc, prof in loaded]
        tasks = [dask.delayed(_one, pure=False)(*shared[k], days, seeds[i], _target(output, labels[k], i))
                 for k, i in jobs]
        values = run.compute(*tasks)
    report(len(jobs), len(jobs))
    return dict(zip(jobs, values))
