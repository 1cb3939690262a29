"""LeakyReLU through F.leaky_relu: right numbers, forbidden API.

loses: S3.2
"""
# ruff: noqa: F821 (torch, nn and math come from the solution's IMPORTS cell)


# EXERCISE S3.2 — LeakyReLU
class LeakyReLU(nn.Module):
    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x):
        return torch.nn.functional.leaky_relu(x, self.negative_slope)

    def derivative(self, x):
        return torch.where(x > 0, torch.ones_like(x), torch.full_like(x, self.negative_slope))
