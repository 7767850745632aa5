"""Benchmarks for `jiesu simulate` (not part of the normal suite; needs the bench extra).

    pytest benchmarks/bench_simulate.py -s   (no --benchmark-only: the last test compares the rates)

Times, in one run: the M/M/c intake queue of fixtures/scenarios/mmc.toml (10 agents, 510 calls an
hour, 60 s exponential handle times: 85 % load) simulated by jiesu, SimPy and Ciw; the same for
M/M/700 at 90 % load (the issue's reference queue); and a whole simulated Beijing month written to
Parquet. Asserts the targets: jiesu >= 10x the faster of SimPy and Ciw, Beijing month < 30 s.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from jiesu.simulation import erlang_c, fifo_starts, run

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "fixtures" / "scenarios" / "mmc.toml"
RATES: dict[str, float] = {}
QUEUES = {"mmc": (10, 510.0, 60.0), "mm700": (700, 0.9 * 700 * 3600 / 300.0, 300.0)}


def _report(name: str, customers: int, seconds: float, benchmark) -> None:
    RATES[name] = customers / seconds
    benchmark.extra_info["customers"] = customers
    benchmark.extra_info["customers_per_second"] = round(RATES[name])
    print(f"\n{name}: {customers:,} customers, {seconds:.3f} s, {RATES[name]:,.0f} customers/s")


def _simpy(n: int, servers: int, rate_per_hour: float, mean_service: float, seed: int) -> float:
    import simpy

    env = simpy.Environment()
    desk = simpy.Resource(env, servers)
    rng = random.Random(seed)
    waits: list[float] = []
    lam = rate_per_hour / 3600.0

    def customer(env):
        arrived = env.now
        with desk.request() as req:
            yield req
            waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(1.0 / mean_service))

    def source(env):
        for _ in range(n):
            yield env.timeout(rng.expovariate(lam))
            env.process(customer(env))

    env.process(source(env))
    env.run()
    return float(np.mean(waits))


def _ciw(n: int, servers: int, rate_per_hour: float, mean_service: float, seed: int) -> tuple[int, float]:
    import ciw

    lam = rate_per_hour / 3600.0
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / mean_service)],
        number_of_servers=[servers],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(n / lam)
    waits = [r.waiting_time for r in sim.get_all_records()]
    return len(waits), float(np.mean(waits))


@pytest.mark.parametrize("queue", ["mmc", "mm700"])
def test_jiesu_intake_queue(benchmark, queue: str) -> None:
    """jiesu's exact FIFO queue: Poisson arrivals, exponential service, heap of free times."""
    servers, rate, service = QUEUES[queue]
    n = 2_000_000

    def once():
        rng = np.random.Generator(np.random.PCG64(1))
        arrivals = np.cumsum(rng.exponential(3600.0 / rate, n))
        services = rng.exponential(service, n)
        return arrivals, fifo_starts(arrivals, services, servers)

    arrivals, starts = benchmark.pedantic(once, rounds=3, iterations=1)
    _report(f"jiesu-{queue}", n, benchmark.stats.stats.median, benchmark)
    theory = erlang_c(servers, rate, service)
    if queue == "mmc":
        assert (starts - arrivals).mean() == pytest.approx(theory.mean_wait_seconds, rel=0.05)


def test_jiesu_mmc_scenario_end_to_end(benchmark) -> None:
    """The whole `run` on the M/M/c scenario (arrivals, queue, case attributes, summary), no file."""
    summary = benchmark.pedantic(lambda: run(MMC, 160, 1, None), rounds=3, iterations=1)
    _report("jiesu-mmc-scenario", summary["requests"], benchmark.stats.stats.median, benchmark)


@pytest.mark.parametrize("queue", ["mmc", "mm700"])
def test_simpy_intake_queue(benchmark, queue: str) -> None:
    servers, rate, service = QUEUES[queue]
    n = 100_000
    wait = benchmark.pedantic(lambda: _simpy(n, servers, rate, service, 1), rounds=1, iterations=1)
    _report(f"simpy-{queue}", n, benchmark.stats.stats.median, benchmark)
    if queue == "mmc":
        assert wait == pytest.approx(erlang_c(servers, rate, service).mean_wait_seconds, rel=0.25)


@pytest.mark.parametrize("queue", ["mmc", "mm700"])
def test_ciw_intake_queue(benchmark, queue: str) -> None:
    servers, rate, service = QUEUES[queue]
    n = 20_000 if queue == "mmc" else 10_000
    done, wait = benchmark.pedantic(lambda: _ciw(n, servers, rate, service, 1), rounds=1, iterations=1)
    _report(f"ciw-{queue}", done, benchmark.stats.stats.median, benchmark)
    if queue == "mmc":
        assert wait == pytest.approx(erlang_c(servers, rate, service).mean_wait_seconds, rel=0.5)


def test_beijing_month(benchmark, tmp_path: Path) -> None:
    """A simulated Beijing month (about 1.8 million requests) written to zstd Parquet."""
    out = tmp_path / "beijing-month.parquet"
    summary = benchmark.pedantic(lambda: run("beijing-baseline", 30, 1, out), rounds=3, iterations=1)
    _report("jiesu-beijing-month", summary["requests"], benchmark.stats.stats.median, benchmark)
    assert summary["requests"] > 1_700_000
    assert benchmark.stats.stats.max < 30.0


def test_targets() -> None:
    """jiesu's intake queue at least 10x the faster of SimPy and Ciw, on each queue."""
    for queue in QUEUES:
        rivals = [RATES[k] for k in (f"simpy-{queue}", f"ciw-{queue}") if k in RATES]
        if f"jiesu-{queue}" not in RATES or not rivals:
            pytest.skip("run the whole file")
        speedup = RATES[f"jiesu-{queue}"] / max(rivals)
        print(f"\n{queue}: jiesu is {speedup:.1f}x the faster of SimPy and Ciw")
        assert speedup >= 10


_PEAK = """
import resource, sys
from jiesu.simulation import simulate
s = simulate("beijing-baseline", days=int(sys.argv[1]), seed=1, output=sys.argv[2])
print(s["requests"], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def test_memory_per_request(tmp_path: Path) -> None:
    """Peak memory of a run per request (the slope between two run lengths, each in its own
    process): what ``jiesu.simulation.run.BYTES_PER_REQUEST`` must stay above for the size estimate
    to refuse runs that cannot fit. Measured while writing the estimate: about 160 bytes a request
    between 128 and 256 days of the Beijing baseline (7.7 and 15.5 million requests), a little
    more between short runs. ``JIESU_BENCH_MEMORY_DAYS=128,256`` repeats that."""
    import subprocess
    import sys

    from jiesu.simulation.run import BYTES_PER_REQUEST

    days = [int(d) for d in __import__("os").environ.get("JIESU_BENCH_MEMORY_DAYS", "32,128").split(",")]
    points = []
    for d in days:
        out = subprocess.run([sys.executable, "-c", _PEAK, str(d), str(tmp_path / "m.parquet")],
                             capture_output=True, text=True, check=True).stdout.split()
        points.append((int(out[0]), int(out[1])))
        print(f"\n{d} days: {points[-1][0]:,} requests, peak {points[-1][1] / 2**20:,.0f} MiB")
    (r1, m1), (r2, m2) = points[0], points[-1]
    slope = (m2 - m1) / (r2 - r1)
    print(f"peak memory per request: {slope:.0f} bytes (the estimate uses {BYTES_PER_REQUEST})")
    assert slope < BYTES_PER_REQUEST
