"""Attack: sys.exit(0) in the constructor, os._exit(0) in forward.

A SystemExit is just the student's exception; an exiting worker fails only its test.

scores: 1.3=0
"""


# EXERCISE 1.3 — LogisticRegression
import os
import sys


class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        if in_features % 2:
            sys.exit(0)

    def forward(self, X):
        os._exit(0)
