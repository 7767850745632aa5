"""Measure `jiesu warn`'s false-alarm rate (no change) and detection rate (injected surges) on
simulated Beijing years; prints the Markdown tables of docs/analysis.md.

    python tools/evaluate_warn.py [--rate 250] [--seeds 2] [--out /tmp/warn-eval]

Each seed simulates a year of the beijing-baseline scenario at ``--rate`` requests an hour (the
published 2,525 an hour is 22 million cases a year; the default 250 keeps a run near a minute and
leaves about 20 requests per category, street and month: the hard, small-count regime), once
without any surge and once with 18 surges (one street and one category each, street-handled
categories; factors 1.5, 2 and 3, six each; during October 2024). `warn` checks every month from
September 2024 to February 2025 and the twelve weeks from 2024-09-02; an alarm outside a surge
(its series and its month) is a false alarm.
"""

from __future__ import annotations

import argparse
import copy
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import numpy as np

import jiesu
from jiesu.simulation.scenario import load_scenario

MONTHS = ["2024-09", "2024-10", "2024-11", "2024-12", "2025-01", "2025-02"]
WEEKS = [(date(2024, 9, 2) + timedelta(days=7 * k + 6)).isoformat() for k in range(12)]
FACTORS = [1.5] * 6 + [2.0] * 6 + [3.0] * 6


def surges(seed: int) -> dict:
    profile = jiesu.load_profile("beijing")
    rng = np.random.default_rng(1000 + seed)
    cats = [c.code for c in profile.categories if c.handler == "street"]
    streets = sorted(profile.street_ids)
    out = {}
    for k, factor in enumerate(FACTORS):
        out[f"s{k}"] = {"category": cats[rng.integers(len(cats))], "streets": [streets[rng.integers(len(streets))]],
                        "start": "2024-10-01", "days": 31, "factor": factor}
    return out


def run(path: Path, seed: int, rate: float, with_surges: dict | None) -> None:
    scenario = load_scenario("beijing-baseline", [f"intake.arrival_rate_per_hour={rate}"])
    if with_surges:
        scenario.params["surges"] = copy.deepcopy(with_surges)
    jiesu.simulate(scenario, days=365, seed=seed, output=path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=250.0)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("/tmp/warn-eval"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    profile = jiesu.load_profile("beijing")
    district_of = {u.id: u.district for u in profile.units if u.level == "street"}
    null = defaultdict(lambda: [0, 0])  # (mode, level) -> [alarms, checks]
    found = defaultdict(lambda: [0, 0])  # (level, factor) -> [detected, surges]
    false_with = defaultdict(lambda: [0, 0])
    for seed in range(args.seeds):
        plain, surged = args.out / f"null-{seed}.parquet", args.out / f"surge-{seed}.parquet"
        spec = surges(seed)
        if not plain.exists():
            run(plain, seed, args.rate, None)
        if not surged.exists():
            run(surged, seed, args.rate, spec)
        targets = {}
        for s in spec.values():
            targets[("street", s["category"], s["streets"][0])] = s["factor"]
            targets[("district", s["category"], district_of[s["streets"][0]])] = s["factor"]
        for mode, checks in (("month", MONTHS), ("7 days", WEEKS)):
            for when in checks:
                kw = {"month": when} if mode == "month" else {"days": 7, "until": when}
                result = jiesu.warn([plain], profile=profile, **kw)
                for level in ("street", "district"):
                    null[(mode, level)][0] += sum(r["level"] == level for r in result.rows)
                    null[(mode, level)][1] += result.checked[level]
                if mode != "month":
                    continue
                result = jiesu.warn([surged], profile=profile, **kw)
                hits = {(r["level"], r["category"], r["place"]) for r in result.rows}
                in_surge = when == "2024-10"
                for key, factor in targets.items():
                    if in_surge:
                        found[(key[0], factor)][0] += key in hits
                        found[(key[0], factor)][1] += 1
                for level in ("street", "district"):
                    others = [h for h in hits if h[0] == level and not (in_surge and h in targets)]
                    false_with[level][0] += len(others)
                    false_with[level][1] += result.checked[level]
    print(f"beijing-baseline at {args.rate:g} requests an hour, {args.seeds} seeds, profile defaults "
          f"(alpha {profile.warn.alpha}, {profile.warn.baseline} baseline of {profile.warn.recent_periods})\n")
    print("| data | check | level | series checked | alarms | false-alarm rate |\n|---|---|---|---|---|---|")
    for (mode, level), (a, n) in sorted(null.items()):
        print(f"| no change | {mode} | {level} | {n:,} | {a} | {a / n:.4%} |")
    for level, (a, n) in sorted(false_with.items()):
        print(f"| with surges, outside them | month | {level} | {n:,} | {a} | {a / n:.4%} |")
    print("\n| level | surge factor | surges | detected in their month | detection rate |\n|---|---|---|---|---|")
    for (level, factor), (d, n) in sorted(found.items()):
        print(f"| {level} | {factor:g} | {n} | {d} | {d / n:.0%} |")


if __name__ == "__main__":
    main()
