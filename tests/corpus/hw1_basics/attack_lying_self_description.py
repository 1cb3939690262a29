"""Attack: an MLP with neither BatchNorm nor Dropout that describes itself as having both.

Its stand-in layers carry the library's class names and module paths (so the layer list a probe
reports matches), a batch norm's parameters and buffers that never move, and a "dropout" that
adds noise in train mode. It passed all of 1.6 while the tests read that self-description; 1.6
now judges what the model does (running statistics, eval outputs computed from its state,
dropout's masks, gradients), so it earns nothing there.

scores: 1.6=0
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.6 — make_mlp
class _FakeNorm(nn.Module):
    def __init__(self, num_features):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, 1e-5, 0.1
        self.affine, self.track_running_stats = True, True
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0))

    def forward(self, x):
        return x / (1 + self.eps) ** 0.5 * self.weight + self.bias


class _FakeDropout(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p, self.inplace = p, False

    def forward(self, x):
        return x + 1e-3 * torch.randn_like(x) if self.training else x


_FakeNorm.__name__ = _FakeNorm.__qualname__ = "BatchNorm1d"
_FakeNorm.__module__ = "torch.nn.modules.batchnorm"
_FakeDropout.__name__ = _FakeDropout.__qualname__ = "Dropout"
_FakeDropout.__module__ = "torch.nn.modules.dropout"


def make_mlp(in_features, hidden=(64, 64), out_features=1, p=0.2):
    layers = []
    width = in_features
    for h in hidden:
        layers += [nn.Linear(width, h), _FakeNorm(h), nn.ReLU(), _FakeDropout(p)]
        width = h
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)
