"""train_segmenter shuffles with torch's global generator: not the order the seed promises.

loses: 2.4
"""
# ruff: noqa: F821 (torch, nn, F, prune, copy, ... come from the solution's IMPORTS cell)


# EXERCISE 2.4 — train_segmenter
def train_segmenter(
    model: nn.Module,
    images: torch.Tensor,
    masks: torch.Tensor,
    *,
    epochs: int = 20,
    lr: float = 0.02,
    batch_size: int = 32,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    seed: int = 0,
) -> list[float]:
    """Train a segmentation network with Adam on shuffled mini-batches.

    Every epoch visits the ``N`` images once in a new random order drawn from
    ``torch.Generator().manual_seed(seed)`` (one generator for the whole run), in batches of
    ``batch_size`` (the last one may be smaller); each batch takes one Adam step (``lr``) on
    ``loss_fn(model(x), y)``. The model trains in train mode and is left in eval mode.

    Args:
        model: maps ``(B, 1, H, W)`` to logits ``(B, C, H, W)``; trained in place.
        images: float32 ``(N, 1, H, W)``.
        masks: int64 ``(N, H, W)``.
        epochs: passes over the data.
        lr: Adam's learning rate.
        batch_size: images per step.
        loss_fn: ``(logits, masks) -> scalar``; ``None`` means ``F.cross_entropy``.
        seed: seeds the shuffling.

    Returns:
        ``epochs`` Python floats: each epoch's mean of its batch losses.
    """
    # TODO(2.4): Adam, a seeded torch.Generator for torch.randperm, one step per batch, eval().
    loss_fn = F.cross_entropy if loss_fn is None else loss_fn
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    n = images.shape[0]
    history = []
    model.train()
    for _ in range(epochs):
        order = torch.randperm(n)
        total, batches = 0.0, 0
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            loss = loss_fn(model(images[idx]), masks[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, batches = total + loss.item(), batches + 1
        history.append(total / batches)
    model.eval()
    return history
