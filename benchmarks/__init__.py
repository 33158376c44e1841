"""The performance suite (not collected by pytest): `python -m benchmarks`."""
