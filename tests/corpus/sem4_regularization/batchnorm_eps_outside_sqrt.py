"""BatchNorm1d that adds eps to the standard deviation instead of the variance.

Invisible on features of unit scale; off by 5% on a feature with std 0.01.

loses: S4.2
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS cell)


# EXERCISE S4.2 — BatchNorm1d
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
            n = x.shape[0]
            if n < 2:
                raise ValueError(f"train-mode batch norm needs at least 2 samples, got {n}")
            mean = x.mean(dim=0)
            var = x.var(dim=0, correction=0)
            with torch.no_grad():
                m = self.momentum
                unbiased = var.detach() * n / (n - 1)
                self.running_mean.mul_(1 - m).add_(m * mean.detach())
                self.running_var.mul_(1 - m).add_(m * unbiased)
                self.num_batches_tracked.add_(1)
        else:
            mean, var = self.running_mean, self.running_var
        x_hat = (x - mean) / (torch.sqrt(var) + self.eps)
        return self.weight * x_hat + self.bias
