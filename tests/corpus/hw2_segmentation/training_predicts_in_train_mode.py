"""predict_masks without model.eval(): batch norm uses the batch's statistics.

loses: 2.4
"""
# ruff: noqa: F821 (torch, nn, F, prune, copy, ... come from the solution's IMPORTS cell)


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
    with torch.no_grad():
        return model(images).argmax(dim=1)
