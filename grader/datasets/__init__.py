"""Data sets that notebooks, hidden tests and benchmarks share: generated, deterministic."""
