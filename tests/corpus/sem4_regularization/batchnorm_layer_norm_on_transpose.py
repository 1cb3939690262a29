"""BatchNorm1d as layer norm over the transposed batch: normalizing each row of x.T over the
batch is batch norm's forward pass. The running statistics are done by hand; the rules forbid
the normalization layers all the same.

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
        if not self.training:
            x_hat = (x - self.running_mean) / torch.sqrt(self.running_var + self.eps)
            return self.weight * x_hat + self.bias
        n = x.shape[0]
        if n < 2:
            raise ValueError("train-mode batch norm needs at least 2 samples")
        with torch.no_grad():
            m = self.momentum
            self.running_mean.mul_(1 - m).add_(m * x.mean(0))
            self.running_var.mul_(1 - m).add_(m * x.var(0, correction=1))
            self.num_batches_tracked.add_(1)
        x_hat = torch.nn.functional.layer_norm(x.T, (n,), eps=self.eps).T
        return self.weight * x_hat + self.bias
