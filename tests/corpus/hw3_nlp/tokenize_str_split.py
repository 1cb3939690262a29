"""tokenize with str.split: punctuation stays glued to the words ("плохой!").

loses: 3.1
"""
# ruff: noqa: F821 (torch, nn, F, re, Counter, ... come from the solution's IMPORTS cell)


# EXERCISE 3.1 — tokenize
def tokenize(text: str) -> list[str]:
    return text.lower().split()
