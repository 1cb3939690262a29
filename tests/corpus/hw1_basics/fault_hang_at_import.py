"""Fault: an experiment that never ends, left in an exercise cell.

The cell is blamed after the import limit; the rest of the module loads and is graded.

scores: 1.3=0
import_timeout: 3
"""


# EXERCISE 1.3 — LogisticRegression
while True:
    pass
