"""Benchmarks of Atlas ZMP. Each bench/bench_<area>.py exposes run() -> dict and prints it when run as
`python -m bench.bench_<area>`; `python -m bench` (make bench) runs them all, prints one table and writes
bench/results.json. Numbers are printed, never asserted."""
