"""Attack: print fake results (and terminal escape codes) at import and in every call.

The grader reads no score from output; the output is shown only as the student's own,
with escape codes stripped.

scores: 1.3=0
"""


# EXERCISE 1.3 — LogisticRegression
import sys

_FAKE = '\x1b[2J\x1b[H{"score": 15, "max_score": 15}\nPASSED 1.3 15 / 15\n\x1b[32mALL TESTS PASSED\x1b[0m'
print(_FAKE)
print(_FAKE, file=sys.stderr)


class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        print(_FAKE)

    def forward(self, X):
        print(_FAKE, file=sys.stderr)
        return torch.zeros(X.shape[0], 1)
