"""Benchmarks: ``make bench`` (or ``python -m bench``). Figures are recorded in docs/performance.md."""
