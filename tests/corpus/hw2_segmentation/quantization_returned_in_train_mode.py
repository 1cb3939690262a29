"""The quantized copy returned in train mode: evaluated as returned, its batch norms use batch
statistics.

loses: 2.7
"""
# ruff: noqa: F821 (torch, nn, F, prune, copy, ... come from the solution's IMPORTS cell)


# EXERCISE 2.7 — quantize_int8
def quantize_int8(model: nn.Module) -> nn.Module:
    """A copy of ``model`` whose convolution weights are stored in int8 (weight-only quantization).

    For every ``nn.Conv2d`` and ``nn.ConvTranspose2d``, per output channel ``o`` (symmetric,
    zero point 0)::

        scale_o = max |W_o| / 127            (1.0 for a channel of zeros, e.g. a pruned one)
        q_o     = clamp(round(W_o / scale_o), -127, 127)    as torch.int8
        W_o    ≈ q_o · scale_o                              (error at most scale_o / 2)

    The copy keeps ``q`` (int8) and ``scale`` (float32) as buffers instead of the float
    weight and dequantizes on the fly in ``forward``; biases and batch norms stay float32.
    Stored weights shrink about 4× (1 byte instead of 4). The output channels of a
    ``Conv2d`` weight ``(out, in, kH, kW)`` are axis 0; of a ``ConvTranspose2d`` weight
    ``(in, out, kH, kW)``, axis 1. (torch's own int8 path, ``torch.ao.quantization``, is
    deprecated in recent releases; this is the weight-only scheme that its successor also
    offers, written out.)

    The copy is returned in eval mode — ready for inference, batch norms using their running
    statistics — and ``model`` is not modified.

    Args:
        model: a trained network.

    Returns:
        the quantized copy, in eval mode; ``copy(x)`` ≈ ``model.eval()(x)``.
    """
    # TODO(2.7): deepcopy + eval, replace each conv by a module with int8 q and float scale.
    quantized = copy.deepcopy(model).train()
    for parent in list(quantized.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, (nn.Conv2d, nn.ConvTranspose2d)):
                setattr(parent, name, _Int8Conv(child))
    return quantized


class _Int8Conv(nn.Module):
    """A convolution (or transposed convolution) with per-channel int8 weights.

    Buffers ``q`` (int8, the weight's shape) and ``scale`` (float32, one per output channel);
    ``bias`` stays a float parameter (or ``None``).
    """

    def __init__(self, conv: nn.Conv2d | nn.ConvTranspose2d) -> None:
        super().__init__()
        # TODO(2.7): register q (int8) and scale as buffers, keep bias and stride/padding/...
        self.transposed = isinstance(conv, nn.ConvTranspose2d)
        axis = 1 if self.transposed else 0
        w = conv.weight.detach().transpose(0, axis)  # output channels first
        scale = w.abs().amax(dim=(1, 2, 3)) / 127
        scale = torch.where(scale > 0, scale, torch.ones_like(scale))
        q = torch.round(w / scale.reshape(-1, 1, 1, 1)).clamp(-127, 127)
        self.register_buffer("q", q.to(torch.int8).transpose(0, axis).contiguous())
        self.register_buffer("scale", scale.float())
        self.bias = None if conv.bias is None else nn.Parameter(conv.bias.detach().clone())
        self.axis = axis
        self.options = {
            "stride": conv.stride,
            "padding": conv.padding,
            "dilation": conv.dilation,
            "groups": conv.groups,
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Dequantize ``q · scale`` and convolve like the original layer."""
        # TODO(2.7): weight = q.float() * scale (broadcast on the output axis); F.conv2d / ...
        shape = [1, 1, 1, 1]
        shape[self.axis] = -1
        weight = self.q.float() * self.scale.reshape(shape)
        if self.transposed:
            return F.conv_transpose2d(x, weight, self.bias, **self.options)
        return F.conv2d(x, weight, self.bias, **self.options)
