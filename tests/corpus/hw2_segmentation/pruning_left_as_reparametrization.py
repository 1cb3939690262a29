"""Pruning never made permanent: weight_orig and weight_mask stay, with a forward pre-hook.

loses: 2.6
"""
# ruff: noqa: F821 (torch, nn, F, prune, copy, ... come from the solution's IMPORTS cell)


# EXERCISE 2.6 — prune_and_finetune
def prune_and_finetune(
    model: nn.Module,
    amount: float,
    images: torch.Tensor,
    masks: torch.Tensor,
    *,
    epochs: int = 3,
    lr: float = 0.003,
    seed: int = 0,
) -> nn.Module:
    """Magnitude pruning: zero the smallest weights of every convolution, fine-tune, make it stick.

    1. For every ``nn.Conv2d`` and ``nn.ConvTranspose2d`` in ``model``, zero the fraction
       ``amount`` of its ``weight`` entries with the smallest absolute value, layer by layer:
       ``torch.nn.utils.prune.l1_unstructured(module, "weight", amount)``. (Biases and batch
       norms stay.) prune keeps the original in ``weight_orig`` and a 0/1 ``weight_mask``
       and recomputes ``weight = weight_orig * weight_mask`` before every forward.
    2. Fine-tune while the masks are in place, so the pruned weights stay at zero and the
       others recover what pruning cost: ``train_segmenter(model, images, masks,
       epochs=epochs, lr=lr, seed=seed)`` from 2.4 (``epochs=0``: no fine-tuning).
    3. Make the pruning permanent: ``prune.remove(module, "weight")`` for every pruned module,
       so that ``weight`` is a plain parameter again (with its zeros), ``weight_orig`` and
       ``weight_mask`` are gone, the ``state_dict`` has the keys of an unpruned model and no
       forward pre-hook is left.

    Args:
        model: a trained network; modified in place.
        amount: fraction of each layer's weights to zero, in ``[0, 1)``.
        images, masks: the training data for the fine-tune.
        epochs, lr, seed: passed to ``train_segmenter``.

    Returns:
        ``model``, in eval mode.
    """
    # TODO(2.6): prune.l1_unstructured per conv layer, train_segmenter, then prune.remove.
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    for layer in layers:
        prune.l1_unstructured(layer, "weight", amount=amount)
    if epochs > 0:
        train_segmenter(model, images, masks, epochs=epochs, lr=lr, seed=seed)
    return model.eval()
