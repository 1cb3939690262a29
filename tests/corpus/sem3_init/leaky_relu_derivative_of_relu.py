"""LeakyReLU whose derivative is ReLU's: 0 on the negative side instead of the slope.

loses: S3.2
"""
# ruff: noqa: F821 (torch, nn and math come from the solution's IMPORTS cell)


# EXERCISE S3.2 — LeakyReLU
class LeakyReLU(nn.Module):
    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x):
        return torch.where(x > 0, x, self.negative_slope * x)

    def derivative(self, x):
        return (x > 0).float()
