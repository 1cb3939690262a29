"""Attack: rewrite builtins (isinstance, len, all, any, float) in the worker during a call.

scores: 1.3=0
"""


# EXERCISE 1.3 — LogisticRegression
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        import builtins

        builtins.all = builtins.any = lambda *a, **k: True
        builtins.isinstance = lambda *a, **k: True
        builtins.len = lambda *a, **k: 1
        builtins.float = lambda *a, **k: 0.0

    def forward(self, X):
        return X
