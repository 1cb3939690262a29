"""Correct metrics written differently: a confusion matrix from torch.bincount, float64
results, NaN by division, a mean over the finite entries by masking.

loses: nothing
"""
# ruff: noqa: F821 (torch, nn, F, prune, ... come from the solution's IMPORTS cell)


# EXERCISE 2.1 — iou_per_class
def iou_per_class(pred, target, num_classes):
    k = num_classes
    cm = torch.bincount(target.reshape(-1) * k + pred.reshape(-1), minlength=k * k).reshape(k, k)
    inter = cm.diag().double()
    union = cm.sum(0).double() + cm.sum(1).double() - inter
    return inter / union  # 0 / 0 = NaN: not measured


# EXERCISE 2.1 — dice_per_class
def dice_per_class(pred, target, num_classes):
    k = num_classes
    cm = torch.bincount(target.reshape(-1) * k + pred.reshape(-1), minlength=k * k).reshape(k, k)
    return 2 * cm.diag().double() / (cm.sum(0) + cm.sum(1)).double()


# EXERCISE 2.1 — mean_iou
def mean_iou(pred, target, num_classes):
    iou = iou_per_class(pred, target, num_classes)
    return float(iou[~torch.isnan(iou)].mean())
