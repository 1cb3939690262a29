"""The soft term without the T² factor.

loses: 2.8
"""
# ruff: noqa: F821 (torch, nn, F, prune, copy, ... come from the solution's IMPORTS cell)


# EXERCISE 2.8 — distillation_loss
def distillation_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    target: torch.Tensor,
    T: float = 4.0,
    alpha: float = 0.5,
) -> torch.Tensor:
    """Knowledge distillation (Hinton et al., 2015) for every pixel.

    The teacher's probabilities softened by a temperature ``T`` carry what it knows about
    which wrong classes are *almost* right. With ``p^T = softmax(teacher / T)`` and
    ``q^T = softmax(student / T)`` over the class axis::

        KL(p^T ‖ q^T) = Σ_c p^T_c (log p^T_c - log q^T_c)        (per pixel)
        soft = T² · mean over pixels of KL(p^T ‖ q^T)
        hard = cross entropy of the student's logits (T = 1) with the true classes, mean over pixels
        loss = alpha · soft + (1 - alpha) · hard

    The ``T²`` keeps the soft term's gradients on the scale of the hard term's whatever the
    temperature (softening divides them by about ``T²``). "Mean over pixels" means over all
    ``N · H · W`` positions — not over the batch only (``F.kl_div``'s ``"batchmean"`` on a
    4-d tensor divides by ``N``). The teacher's logits are targets: no gradient flows into them.

    Args:
        student_logits: float32 ``(N, C, H, W)``.
        teacher_logits: float32 ``(N, C, H, W)``.
        target: int64 ``(N, H, W)``.
        T: the temperature, ``> 0``.
        alpha: the weight of the soft term, in ``[0, 1]``.

    Returns:
        a scalar tensor, differentiable with respect to ``student_logits``.
    """
    # TODO(2.8): log_softmax of both at T, KL summed over classes, mean over pixels, times T².
    log_q = F.log_softmax(student_logits / T, dim=1)
    log_p = F.log_softmax(teacher_logits.detach() / T, dim=1)
    kl = (log_p.exp() * (log_p - log_q)).sum(dim=1).mean()
    hard = F.cross_entropy(student_logits, target)
    return alpha * kl + (1 - alpha) * hard
