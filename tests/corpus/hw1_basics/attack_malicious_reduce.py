"""Attack: return objects whose __reduce__ would run a command if anyone unpickled them.

Nothing is ever pickled on the wire: the object stays in the worker as a handle.
tests/test_attacks.py also checks that the command never ran in the grader.

scores: 1.3=0
"""


# EXERCISE 1.3 — LogisticRegression
class _Payload:
    def __reduce__(self):
        import os

        return (os.system, ("touch /tmp/torchgrade-pwned-by-reduce",))


class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()

    def forward(self, X):
        return [_Payload(), {"score": 15, "payload": _Payload()}]
