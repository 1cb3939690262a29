"""Attack: walk gc to find the worker's own harness and make it report anything.

The worker's encoder and server are patched to answer every request with a forged value.
Forged values are still judged in the grader, against inputs the worker never saw.

scores: 1.3=0
"""


# EXERCISE 1.3 — LogisticRegression
import gc


def _forge():
    for obj in gc.get_objects():
        if type(obj).__name__ == "Server" and hasattr(obj, "handle"):
            obj.handle = lambda request, buffers: ({"ok": True, "value": 0.5}, [])
    import torchgrade.protocol as protocol

    protocol.Encoder.encode = lambda self, value, depth=0: {"t": "float", "v": "nan"}


class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        _forge()

    def forward(self, X):
        return torch.zeros(X.shape[0], 1)
