"""Data sets that students and hidden tests share: generated, deterministic per seed."""
