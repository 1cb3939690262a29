"""Attack: end the worker with os._exit(0) while the module loads.

The cell is blamed and skipped; the template restarts without it and the rest is graded.

scores: 1.3=0
"""


# EXERCISE 1.3 — LogisticRegression
import os

os._exit(0)
