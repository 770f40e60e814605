"""Benchmarks: `python -m bench.NAME --json` prints figures and ratios against the simple approach."""
