"""A correct U-Net written differently: F.max_pool2d instead of self.pool, in-place ReLUs,
the skips popped from a list.

loses: nothing
"""
# ruff: noqa: F821 (torch, nn, F, prune, copy, ... come from the solution's IMPORTS cell)


# EXERCISE 2.3 — UNet
class UNet(nn.Module):
    """A small U-Net: an encoder that halves the resolution ``depth`` times, a decoder that
    doubles it back, and skip connections that hand every decoder stage the encoder's features
    of the same resolution (the fine detail the bottleneck lost).

    With ``c_i = width · 2**i`` and ``block(a, b)`` =
    ``nn.Sequential(Conv2d(a, b, 3, padding=1, bias=False), BatchNorm2d(b), ReLU(),
    Conv2d(b, b, 3, padding=1, bias=False), BatchNorm2d(b), ReLU())``, the attributes are,
    in this order and with these names (so that ``state_dict`` keys match the reference)::

        encoders    = nn.ModuleList([block(in_channels, c_0), block(c_0, c_1), ...])  # depth
        pool        = nn.MaxPool2d(2)
        bottleneck  = block(c_{depth-1}, c_depth)
        upsamplers  = nn.ModuleList([ConvTranspose2d(c_{i+1}, c_i, 2, stride=2)
                                     for i = depth-1, ..., 0])
        decoders    = nn.ModuleList([block(2 c_i, c_i) for i = depth-1, ..., 0])
        head        = nn.Conv2d(c_0, num_classes, 1)

    Forward: ``x → encoders[0] → (keep as skip 0) → pool → encoders[1] → (skip 1) → pool → …
    → bottleneck``; then for every level from the deepest up: ``up = upsamplers[k](x)``,
    ``x = decoders[k](torch.cat([skip, up], dim=1))`` — the skip first, concatenated along
    the *channel* axis; finally ``head``. The output has the input's height and width.

    Args:
        in_channels: channels of the input images.
        num_classes: ``C``, channels of the output logits.
        width: ``c_0``, channels of the first level.
        depth: number of poolings; ``H`` and ``W`` must be divisible by ``2**depth``.

    Shapes:
        ``(N, in_channels, H, W)`` → logits ``(N, num_classes, H, W)``, for any ``N >= 1``
        and any ``H, W`` divisible by ``2**depth``.
    """

    def __init__(
        self, in_channels: int = 1, num_classes: int = 4, width: int = 8, depth: int = 2
    ) -> None:
        super().__init__()
        # TODO(2.3): build encoders, pool, bottleneck, upsamplers, decoders, head as listed above.
        widths = [width * 2**i for i in range(depth + 1)]
        self.encoders = nn.ModuleList(
            [_block(in_channels if i == 0 else widths[i - 1], widths[i]) for i in range(depth)]
        )
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = _block(widths[depth - 1], widths[depth])
        levels = list(reversed(range(depth)))
        self.upsamplers = nn.ModuleList(
            [nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2) for i in levels]
        )
        self.decoders = nn.ModuleList([_block(2 * widths[i], widths[i]) for i in levels])
        self.head = nn.Conv2d(widths[0], num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, in_channels, H, W)`` → logits ``(N, num_classes, H, W)``."""
        # TODO(2.3): encode keeping the skips, decode with torch.cat([skip, up], dim=1), head.
        skips = []
        for encoder in self.encoders:
            x = encoder(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottleneck(x)
        for up, decoder in zip(self.upsamplers, self.decoders, strict=True):
            x = decoder(torch.cat((skips.pop(), up(x)), 1))
        return self.head(x)


def _block(a: int, b: int) -> nn.Sequential:
    """Two 3×3 convolutions, each followed by batch norm and ReLU (see ``UNet``)."""
    # TODO(2.3): nn.Sequential(conv, bn, relu, conv, bn, relu), convolutions without bias.
    return nn.Sequential(
        nn.Conv2d(a, b, 3, padding=1, bias=False),
        nn.BatchNorm2d(b),
        nn.ReLU(inplace=True),
        nn.Conv2d(b, b, 3, padding=1, bias=False),
        nn.BatchNorm2d(b),
        nn.ReLU(inplace=True),
    )
