"""Attack: fetch an answer over the network.

If any connection worked this class would be correct and score; the worker has no network.

scores: 1.3=0
requires: bubblewrap
"""


# EXERCISE 1.3 — LogisticRegression
import socket


def _online():
    for host, port in (("1.1.1.1", 53), ("8.8.8.8", 53), ("pypi.org", 443), ("127.0.0.1", 22)):
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return True
        except OSError:
            continue
    return False


class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        if _online():
            self.w = nn.Parameter(torch.randn(in_features, 1))

    def forward(self, X):
        return X @ self.w if hasattr(self, "w") else torch.zeros(X.shape[0], 1)
