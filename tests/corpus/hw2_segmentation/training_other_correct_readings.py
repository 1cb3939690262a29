"""A correct loop written differently: a DataLoader whose sampler uses the seeded generator,
the epoch loss weighted by batch sizes, predictions in chunks.

loses: nothing
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
    generator = torch.Generator().manual_seed(seed)
    history = []
    model.train()
    for _ in range(epochs):
        total, batches = 0.0, 0
        loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(images, masks),
            batch_size=batch_size,
            shuffle=True,
            generator=generator,
        )
        for x, y in loader:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, batches = total + loss.item() * len(x), batches + len(x)
        history.append(total / batches)
    model.eval()
    return history


# EXERCISE 2.4 — predict_masks
def predict_masks(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Predicted class of every pixel: ``argmax`` of the logits over the class axis.

    Runs the model in eval mode (batch norm with its running statistics, so a prediction never
    depends on the other images of the batch) and without autograd; the model is left in eval
    mode.

    Args:
        model: maps ``(N, 1, H, W)`` to logits ``(N, C, H, W)``.
        images: float32 ``(N, 1, H, W)``.

    Returns:
        int64 ``(N, H, W)``.
    """
    # TODO(2.4): model.eval(), torch.no_grad(), argmax over dim 1.
    model.eval()
    with torch.no_grad():
        return torch.cat([model(chunk).argmax(1) for chunk in images.split(7)])
