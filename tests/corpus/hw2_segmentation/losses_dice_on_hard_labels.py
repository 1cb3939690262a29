"""Dice loss of the arg-max prediction: the value is a Dice, but nothing flows back to the logits.

loses: 2.2
"""
# ruff: noqa: F821 (torch, nn, F, prune, ... come from the solution's IMPORTS cell)


# EXERCISE 2.2 — soft_dice_loss
def soft_dice_loss(logits, target, smooth=1.0):
    k = logits.shape[1]
    pred = F.one_hot(logits.argmax(dim=1), k).permute(0, 3, 1, 2).float()
    one_hot = F.one_hot(target, k).permute(0, 3, 1, 2).float()
    inter = (pred * one_hot).sum((0, 2, 3))
    total = pred.sum((0, 2, 3)) + one_hot.sum((0, 2, 3))
    return 1 - ((2 * inter + smooth) / (total + smooth)).mean() + 0 * logits.sum()
