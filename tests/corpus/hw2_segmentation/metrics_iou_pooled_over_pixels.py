"""mean_iou as one IoU of all pixels pooled together (intersections and unions summed over the
classes), not the mean of the per-class IoUs: the background dominates.

loses: 2.1
"""


# EXERCISE 2.1 — mean_iou
def mean_iou(pred, target, num_classes):
    inter = sum(((pred == c) & (target == c)).sum() for c in range(num_classes))
    union = sum(((pred == c) | (target == c)).sum() for c in range(num_classes))
    return (inter / union).item()
