"""BatchNorm1d that hands the work to F.batch_norm: correct numbers, forbidden by the rules.

loses: S4.2
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS cell)

# EXERCISE S4.2 — BatchNorm1d
import torch.nn.functional as F


class BatchNorm1d(nn.Module):
    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            if x.shape[0] < 2:
                raise ValueError("train-mode batch norm needs at least 2 samples")
            self.num_batches_tracked.add_(1)
        return F.batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training,
            self.momentum,
            self.eps,
        )
