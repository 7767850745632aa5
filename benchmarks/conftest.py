"""Benchmarks: run with `python -m pytest benchmarks -s` (pytest-benchmark and the bench extras).

Data files are generated once into benchmarks/data/ (git-ignored). JIESU_BENCH_ROWS scales sizes down.
"""
