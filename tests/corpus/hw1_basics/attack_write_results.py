"""Attack: write result and report files everywhere a grader might read them.

The grader reads no file the worker writes; under bubblewrap nothing outside the worker's
private /tmp is even writable.

scores: 1.3=0
"""


# EXERCISE 1.3 — LogisticRegression
import json
import os

_RESULT = json.dumps({"score": 15, "max_score": 15, "tests": []})


def _spray():
    import torchgrade

    places = [os.getcwd(), os.path.expanduser("~"), "/tmp", os.path.dirname(torchgrade.__file__),
              os.path.dirname(os.path.dirname(torchgrade.__file__)), "/autograder/results"]
    for place in places:
        for name in ("results.json", "report.json", "gradebook.csv", "junit.xml"):
            try:
                with open(os.path.join(place, name), "w") as f:
                    f.write(_RESULT)
            except OSError:
                pass


_spray()


class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        _spray()

    def forward(self, X):
        return torch.zeros(X.shape[0], 1)
