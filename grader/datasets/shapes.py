"""Shapes: a segmentation data set of small noisy images, generated, deterministic per seed.

Every image is one channel, ``size × size`` pixels: a smooth random texture plus pixel noise, on
which one to three shapes are painted — a filled square (class 1), a ring (class 2) and a plus
sign (class 3); everything else is background (class 0). All shapes share one brightness
distribution, so the brightness of a single pixel tells shape from background at best, never
which shape: a per-pixel classifier is stuck near the fraction of background, while a network
that sees a neighbourhood (corners, a hole, arms) can name the class.

    images, masks = make_shapes(256, seed=0)   # (256, 1, 24, 24) float32, (256, 24, 24) int64
"""

import torch

CLASSES = ("background", "square", "ring", "plus")
NUM_CLASSES = len(CLASSES)


def _texture(n: int, size: int, g: torch.Generator) -> torch.Tensor:
    """Smooth random backgrounds ``(n, 1, size, size)``: coarse noise upsampled, plus fine noise."""
    coarse = torch.randn(n, 1, 4, 4, generator=g) * 0.35
    smooth = torch.nn.functional.interpolate(
        coarse, size=(size, size), mode="bilinear", align_corners=False
    )
    return smooth + torch.randn(n, 1, size, size, generator=g) * 0.25


def _shape_mask(kind: int, cy: float, cx: float, r: float, size: int) -> torch.Tensor:
    """A boolean ``(size, size)`` mask of one shape centred at ``(cy, cx)`` with radius ``r``."""
    y = torch.arange(size, dtype=torch.float32).reshape(-1, 1) - cy
    x = torch.arange(size, dtype=torch.float32).reshape(1, -1) - cx
    if kind == 1:  # filled square of half-side r
        return (y.abs() <= r) & (x.abs() <= r)
    if kind == 2:  # ring: the band between r - 1.6 and r
        d = (y**2 + x**2).sqrt()
        return (d <= r + 0.5) & (d >= r - 1.6)
    arm = 1.5  # plus sign: two bars of half-width `arm`, half-length r
    return ((y.abs() <= arm) & (x.abs() <= r)) | ((x.abs() <= arm) & (y.abs() <= r))


def make_shapes(
    n: int, size: int = 16, seed: int = 0, max_shapes: int = 3
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images with their masks, the same for the same ``(n, size, seed, max_shapes)``.

    Args:
        n: number of images.
        size: height and width in pixels (at least 16).
        seed: everything is drawn from ``torch.Generator().manual_seed(seed)``; the global
            random state is neither used nor changed.
        max_shapes: each image gets between 1 and ``max_shapes`` shapes (later ones on top).

    Returns:
        ``(images, masks)``: float32 ``(n, 1, size, size)`` (roughly zero mean, unit scale) and
        int64 ``(n, size, size)`` with class ids ``0..3`` (see ``CLASSES``).
    """
    g = torch.Generator().manual_seed(seed)
    images = _texture(n, size, g)
    masks = torch.zeros(n, size, size, dtype=torch.long)
    counts = torch.randint(1, max_shapes + 1, (n,), generator=g)
    for i in range(n):
        for _ in range(int(counts[i])):
            kind = int(torch.randint(1, NUM_CLASSES, (1,), generator=g))
            r = 2.5 + float(torch.rand(1, generator=g)) * size / 8
            cy, cx = (r + 1 + torch.rand(2, generator=g) * (size - 2 * r - 3)).tolist()
            inside = _shape_mask(kind, cy, cx, r, size)
            brightness = 0.9 + float(torch.rand(1, generator=g)) * 0.6
            images[i, 0][inside] = brightness + torch.randn(int(inside.sum()), generator=g) * 0.25
            masks[i][inside] = kind
    return images, masks
