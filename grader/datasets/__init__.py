"""Data sets that students and hidden tests share: generated per seed, never downloaded."""
