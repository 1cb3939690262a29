"""distill runs the teacher in train mode: its targets use batch statistics and its running
statistics move.

loses: 2.8
"""
# ruff: noqa: F821 (torch, nn, F, prune, copy, ... come from the solution's IMPORTS cell)


# EXERCISE 2.8 — distill
def distill(
    student: nn.Module,
    teacher: nn.Module,
    images: torch.Tensor,
    masks: torch.Tensor,
    *,
    T: float = 4.0,
    alpha: float = 0.5,
    epochs: int = 20,
    lr: float = 0.02,
    batch_size: int = 32,
    seed: int = 0,
) -> list[float]:
    """Train ``student`` on :func:`distillation_loss` against a frozen ``teacher``.

    The teacher runs in eval mode without autograd (its batch norms must not move, it is not
    trained); the student is trained exactly as in :func:`train_segmenter` (Adam, ``lr``,
    shuffled batches from ``torch.Generator().manual_seed(seed)``) and left in eval mode.

    Args:
        student: the network to train, in place.
        teacher: a trained network with the same output classes; not modified.
        images: float32 ``(N, 1, H, W)``.
        masks: int64 ``(N, H, W)``.
        T, alpha: passed to :func:`distillation_loss`.
        epochs, lr, batch_size, seed: as in :func:`train_segmenter`.

    Returns:
        ``epochs`` Python floats: each epoch's mean of its batch losses.
    """
    # TODO(2.8): teacher.eval() + torch.no_grad() for its logits; the 2.4 loop on the student.
    optimizer = torch.optim.Adam(student.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    n = images.shape[0]
    history = []
    student.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        total, batches = 0.0, 0
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            with torch.no_grad():
                teacher_logits = teacher(images[idx])
            loss = distillation_loss(student(images[idx]), teacher_logits, masks[idx], T, alpha)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, batches = total + loss.item(), batches + 1
        history.append(total / batches)
    student.eval()
    return history
