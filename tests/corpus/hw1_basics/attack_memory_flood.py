"""Attack: exhaust memory at import and in every call.

The address-space limit turns each attempt into the student's own MemoryError.

scores: 1.3=0
"""


# EXERCISE 1.3 — LogisticRegression
_hoard = []
try:
    while True:
        _hoard.append(bytearray(256 << 20))
except MemoryError:
    _hoard.clear()


class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.junk = torch.empty(64 << 30, dtype=torch.uint8)

    def forward(self, X):
        return torch.zeros(X.shape[0], 1)
