"""make_mlp puts batch norm after the activation: Linear → ReLU → BatchNorm1d → Dropout.

loses: 1.6
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.6 — make_mlp
def make_mlp(in_features, hidden=(64, 64), out_features=1, p=0.2):
    layers = []
    width = in_features
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU(), nn.BatchNorm1d(h), nn.Dropout(p)]
        width = h
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)
