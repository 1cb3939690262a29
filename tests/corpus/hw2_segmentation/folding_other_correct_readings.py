"""Correct folding written differently: rsqrt, the folded weights built with torch.no_grad()
in a deep copy of the convolution given a new bias, and the Sequentials rebuilt in their
parents (setattr) instead of in place.

loses: nothing
"""
# ruff: noqa: F821 (torch, nn, copy come from the solution's IMPORTS cell)


# EXERCISE 2.5 — fold_conv_bn
def fold_conv_bn(conv, bn):
    folded = copy.deepcopy(conv)
    inv_std = torch.rsqrt(bn.running_var + bn.eps)
    with torch.no_grad():
        scale = bn.weight * inv_std
        old_bias = conv.bias if conv.bias is not None else 0.0
        folded.weight.mul_(scale[:, None, None, None])
        folded.bias = nn.Parameter(bn.bias + (old_bias - bn.running_mean) * scale)
    return folded


# EXERCISE 2.5 — fold_batchnorms
def fold_batchnorms(model):
    model = copy.deepcopy(model)

    def rebuild(seq):
        layers, i = [], 0
        children = list(seq)
        while i < len(children):
            a = children[i]
            b = children[i + 1] if i + 1 < len(children) else None
            if isinstance(a, nn.Conv2d) and isinstance(b, nn.BatchNorm2d):
                layers.append(fold_conv_bn(a, b))
                i += 2
            else:
                layers.append(a)
                i += 1
        return nn.Sequential(*layers)

    def walk(parent):
        for name, child in list(parent.named_children()):
            walk(child)
            if isinstance(child, nn.Sequential):
                setattr(parent, name, rebuild(child))

    walk(model)
    return model.eval()
