"""BN folded without eps: gamma / sqrt(var).

loses: 2.5
"""
# ruff: noqa: F821 (torch, nn, F, prune, copy, ... come from the solution's IMPORTS cell)


# EXERCISE 2.5 — fold_conv_bn
def fold_conv_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """One convolution that computes ``bn(conv(x))`` of an eval-mode batch norm.

    In eval mode a batch norm is an affine map per channel ``o``: with
    ``s_o = gamma_o / sqrt(running_var_o + eps)``::

        bn(conv(x))_o = s_o · (W_o * x + b_o - running_mean_o) + beta_o
        W'_o = s_o · W_o            b'_o = s_o · (b_o - running_mean_o) + beta_o

    (``b_o = 0`` when the convolution has no bias). Note the square root of the variance plus
    ``eps``: the standard deviation the layer divides by, not the variance.

    Args:
        conv: an ``nn.Conv2d`` (with or without bias); not modified.
        bn: the ``nn.BatchNorm2d`` that follows it; not modified.

    Returns:
        a new ``nn.Conv2d`` with the same ``in_channels``, ``out_channels``, ``kernel_size``,
        ``stride``, ``padding``, ``dilation`` and ``groups``, with a bias, and
        ``W'``, ``b'`` as above.
    """
    # TODO(2.5): scale = gamma / sqrt(var + eps); new conv with W * scale and folded bias.
    scale = bn.weight.detach() / torch.sqrt(bn.running_var)
    bias = conv.bias.detach() if conv.bias is not None else torch.zeros_like(bn.running_mean)
    folded = nn.Conv2d(
        conv.in_channels,
        conv.out_channels,
        conv.kernel_size,
        stride=conv.stride,
        padding=conv.padding,
        dilation=conv.dilation,
        groups=conv.groups,
        bias=True,
    )
    with torch.no_grad():
        folded.weight.copy_(conv.weight * scale.reshape(-1, 1, 1, 1))
        folded.bias.copy_((bias - bn.running_mean) * scale + bn.bias)
    return folded
