"""Benchmark harnesses (``python -m bench.<name>``): measurements, not timed tests."""
