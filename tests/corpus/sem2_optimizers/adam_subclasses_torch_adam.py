"""Adam that is torch.optim.Adam under another name: forbidden.

loses: S2.6
"""
# ruff: noqa: F821 (torch, Optimizer, Callable and Iterable come from the IMPORTS cell)

# EXERCISE S2.6 — Adam
class Adam(torch.optim.Adam):
    pass
