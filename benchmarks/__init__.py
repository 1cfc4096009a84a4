"""Figures for docs/benchmarks.md: requests per sign-in, speed, and what the integration costs.

Run with `scripts/bench` (or `.venv/bin/python -m benchmarks`); see docs/benchmarks.md.
"""
