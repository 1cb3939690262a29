"""Correct batch norm written differently: torch.var_mean, E[x²] - E[x]² for the running
variance, rsqrt, buffers updated through .data, a plain-int counter turned into a tensor.

loses: nothing
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS cell)


# EXERCISE S4.2 — BatchNorm1d
class BatchNorm1d(nn.Module):
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0))

    def forward(self, x):
        if self.training:
            n = len(x)
            if n <= 1:
                raise ValueError("need more than one sample per feature in train mode")
            var, mean = torch.var_mean(x, dim=0, unbiased=False)
            sq = (x.detach() ** 2).mean(0)
            unbiased = (sq - mean.detach() ** 2) * (n / (n - 1))
            self.running_mean.data = (
                1 - self.momentum
            ) * self.running_mean + self.momentum * mean.detach()
            self.running_var.data = (
                1 - self.momentum
            ) * self.running_var + self.momentum * unbiased
            self.num_batches_tracked.data += 1
            return (x - mean) * torch.rsqrt(var + self.eps) * self.weight + self.bias
        return (x - self.running_mean) * torch.rsqrt(
            self.running_var + self.eps
        ) * self.weight + self.bias
