"""Homework 2 — segmentation and model acceleration: your exercises.

A segmentation network answers "which class?" for every pixel. You measure it the way papers do
(per-class IoU and Dice), train a small U-Net with a loss that cares about small classes (cross
entropy plus soft Dice), and then make the trained network cheaper to ship without losing what it
learned: fold its batch norms into the convolutions, prune small weights, store the weights in
int8, distil it into a narrower network, and time it properly.

Conventions: images are float32 ``(N, 1, H, W)``; masks are int64 ``(N, H, W)`` holding class
ids ``0..C-1``; a network returns logits ``(N, C, H, W)``. The data come from
``torchgrade.datasets.shapes.make_shapes`` (squares, rings and plus signs on noisy textures).

Replace every ``# TODO`` line and the ``raise NotImplementedError`` below it with your code;
keep the names, the signatures and the marker lines (``# EXERCISE 2.1 — ...``). Every chunk
that starts with a marker line becomes one notebook cell and is graded on its own: put any
helper you write (a name starting with ``_``) inside the chunk that uses it.
"""

# IMPORTS — hw2_segmentation
import copy
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import prune


# EXERCISE 2.1 — iou_per_class
def iou_per_class(pred: torch.Tensor, target: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Intersection over union of every class, computed by hand from two label maps.

    For class ``c``, with ``P_c`` the set of pixels predicted ``c`` and ``T_c`` the pixels whose
    true class is ``c`` (over all images of the batch together)::

        IoU_c = |P_c ∩ T_c| / |P_c ∪ T_c|

    Empty-class convention: a class that appears in neither ``pred`` nor ``target`` has
    ``0 / 0``: its IoU is ``NaN`` ("not measured"), never 0 or 1, so that the mean over classes
    can skip it. A class present in only one of the two has IoU 0.

    Args:
        pred: predicted class ids, int64 of any shape, e.g. ``(N, H, W)``.
        target: true class ids, the same shape.
        num_classes: ``C``; ids are in ``0..C-1``.

    Returns:
        float32 ``(C,)``: the IoU of every class, ``NaN`` for classes absent from both.
    """
    # TODO(2.1): per class, count intersection and union with boolean masks; 0/0 -> NaN.
    raise NotImplementedError("2.1: iou_per_class")


# EXERCISE 2.1 — dice_per_class
def dice_per_class(pred: torch.Tensor, target: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Dice coefficient (F1 score of the pixels) of every class, by hand.

    With ``P_c`` and ``T_c`` as in :func:`iou_per_class`::

        Dice_c = 2 |P_c ∩ T_c| / (|P_c| + |T_c|)

    Same empty-class convention: ``NaN`` for a class in neither ``pred`` nor ``target``.
    (Dice and IoU rank predictions alike: ``Dice = 2 IoU / (1 + IoU)``.)

    Args:
        pred: predicted class ids, int64 of any shape.
        target: true class ids, the same shape.
        num_classes: ``C``.

    Returns:
        float32 ``(C,)``.
    """
    # TODO(2.1): as iou_per_class, with 2|P∩T| / (|P| + |T|).
    raise NotImplementedError("2.1: dice_per_class")


# EXERCISE 2.1 — mean_iou
def mean_iou(pred: torch.Tensor, target: torch.Tensor, num_classes: int) -> float:
    """Mean IoU: the average of the per-class IoUs over the classes that were measured.

    ``mIoU = mean over classes c with IoU_c not NaN of IoU_c``. Every class weighs the same,
    however few pixels it has: a model that labels everything "background" scores well on pixel
    accuracy and badly here. (Not the IoU of all pixels pooled together.)

    Args:
        pred, target, num_classes: as in :func:`iou_per_class`.

    Returns:
        a Python float in ``[0, 1]``.
    """
    # TODO(2.1): average iou_per_class over its non-NaN entries (torch.nanmean).
    raise NotImplementedError("2.1: mean_iou")


# EXERCISE 2.2 — soft_dice_loss
def soft_dice_loss(logits: torch.Tensor, target: torch.Tensor, smooth: float = 1.0) -> torch.Tensor:
    """Soft Dice loss: one minus the mean over classes of a differentiable Dice.

    Hard labels have no gradient, so the prediction is replaced by the softmax probabilities
    ``p = softmax(logits, dim=1)`` and the target by its one-hot encoding ``t``. For every class
    ``c``, summing over all images and pixels of the batch::

        dice_c = (2 Σ p_c t_c + smooth) / (Σ p_c + Σ t_c + smooth)
        loss   = 1 - (1/C) Σ_c dice_c

    ``smooth`` keeps a class that is absent from the target and (almost) absent from the
    prediction at ``dice_c = smooth / smooth = 1`` instead of ``0 / 0``: the loss stays finite
    even when the softmax underflows to exactly 0.

    Args:
        logits: float32 ``(N, C, H, W)``.
        target: int64 ``(N, H, W)`` with ids ``0..C-1``.
        smooth: the additive smoothing, ``> 0``.

    Returns:
        a scalar tensor, in ``[0, 1]``, differentiable with respect to ``logits``.
    """
    # TODO(2.2): softmax over dim 1, one-hot target moved to (N, C, H, W), sums over dims 0, 2, 3.
    raise NotImplementedError("2.2: soft_dice_loss")


# EXERCISE 2.2 — ce_dice_loss
def ce_dice_loss(
    logits: torch.Tensor, target: torch.Tensor, dice_weight: float = 1.0, smooth: float = 1.0
) -> torch.Tensor:
    """Cross entropy plus weighted soft Dice: ``CE(logits, target) + dice_weight · soft_dice``.

    The cross entropy (mean over all pixels, ``F.cross_entropy``) gives every pixel a steady
    gradient; the Dice term weighs every class equally, which helps the small classes that the
    pixel average drowns in background.

    Args:
        logits: float32 ``(N, C, H, W)``.
        target: int64 ``(N, H, W)``.
        dice_weight: the weight of the Dice term.
        smooth: passed to :func:`soft_dice_loss`.

    Returns:
        a scalar tensor, differentiable with respect to ``logits``.
    """
    # TODO(2.2): F.cross_entropy(logits, target) + dice_weight * soft_dice_loss(...).
    raise NotImplementedError("2.2: ce_dice_loss")


# EXERCISE 2.3 — UNet
class UNet(nn.Module):
    """A small U-Net: an encoder that halves the resolution ``depth`` times, a decoder that
    doubles it back, and skip connections that hand every decoder stage the encoder's features
    of the same resolution (the fine detail the bottleneck lost).

    With ``c_i = width · 2**i`` and ``block(a, b)`` =
    ``nn.Sequential(Conv2d(a, b, 3, padding=1, bias=False), BatchNorm2d(b), ReLU(),
    Conv2d(b, b, 3, padding=1, bias=False), BatchNorm2d(b), ReLU())``, the attributes are,
    in this order and with these names (so that ``state_dict`` keys match the reference)::

        encoders    = nn.ModuleList([block(in_channels, c_0), block(c_0, c_1), ...])  # depth
        pool        = nn.MaxPool2d(2)
        bottleneck  = block(c_{depth-1}, c_depth)
        upsamplers  = nn.ModuleList([ConvTranspose2d(c_{i+1}, c_i, 2, stride=2)
                                     for i = depth-1, ..., 0])
        decoders    = nn.ModuleList([block(2 c_i, c_i) for i = depth-1, ..., 0])
        head        = nn.Conv2d(c_0, num_classes, 1)

    Forward: ``x → encoders[0] → (keep as skip 0) → pool → encoders[1] → (skip 1) → pool → …
    → bottleneck``; then for every level from the deepest up: ``up = upsamplers[k](x)``,
    ``x = decoders[k](torch.cat([skip, up], dim=1))`` — the skip first, concatenated along
    the *channel* axis; finally ``head``. The output has the input's height and width.

    Args:
        in_channels: channels of the input images.
        num_classes: ``C``, channels of the output logits.
        width: ``c_0``, channels of the first level.
        depth: number of poolings; ``H`` and ``W`` must be divisible by ``2**depth``.

    Shapes:
        ``(N, in_channels, H, W)`` → logits ``(N, num_classes, H, W)``, for any ``N >= 1``
        and any ``H, W`` divisible by ``2**depth``.
    """

    def __init__(
        self, in_channels: int = 1, num_classes: int = 4, width: int = 8, depth: int = 2
    ) -> None:
        super().__init__()
        # TODO(2.3): build encoders, pool, bottleneck, upsamplers, decoders, head as listed above.
        raise NotImplementedError("2.3: UNet")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, in_channels, H, W)`` → logits ``(N, num_classes, H, W)``."""
        # TODO(2.3): encode keeping the skips, decode with torch.cat([skip, up], dim=1), head.
        raise NotImplementedError("2.3: UNet")


def _block(a: int, b: int) -> nn.Sequential:
    """Two 3×3 convolutions, each followed by batch norm and ReLU (see ``UNet``)."""
    # TODO(2.3): nn.Sequential(conv, bn, relu, conv, bn, relu), convolutions without bias.
    raise NotImplementedError("2.3: UNet")


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

    Create one generator ``g = torch.Generator().manual_seed(seed)`` before the first epoch;
    every epoch visits the ``N`` images once in the order ``torch.randperm(N, generator=g)``, in
    batches of ``batch_size`` (the last one may be smaller), and each batch takes one Adam step
    (``lr``) on ``loss_fn(model(x), y)``. (A ``DataLoader`` draws other numbers from its generator
    and so gives other orders: index the tensors yourself.) The model trains in train mode and is
    left in eval mode.

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
    raise NotImplementedError("2.4: train_segmenter")


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
    raise NotImplementedError("2.4: predict_masks")


# EXERCISE 2.5 — fold_conv_bn
def fold_conv_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """One convolution that computes ``bn(conv(x))`` of an eval-mode batch norm.

    In eval mode a batch norm is an affine map per channel ``o``: with
    ``s_o = gamma_o / sqrt(running_var_o + eps)``::

        bn(conv(x))_o = s_o · (W_o * x + b_o - running_mean_o) + beta_o
        W'_o = s_o · W_o            b'_o = s_o · (b_o - running_mean_o) + beta_o

    (``b_o = 0`` when the convolution has no bias). Note the square root of the variance plus
    ``eps``: the standard deviation the layer divides by, not the variance.

    Args:
        conv: an ``nn.Conv2d`` (with or without bias); not modified.
        bn: the ``nn.BatchNorm2d`` that follows it; not modified.

    Returns:
        a new ``nn.Conv2d`` with the same ``in_channels``, ``out_channels``, ``kernel_size``,
        ``stride``, ``padding``, ``dilation`` and ``groups``, with a bias, and
        ``W'``, ``b'`` as above.
    """
    # TODO(2.5): scale = gamma / sqrt(var + eps); new conv with W * scale and folded bias.
    raise NotImplementedError("2.5: fold_conv_bn")


# EXERCISE 2.5 — fold_batchnorms
def fold_batchnorms(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in eval mode with every batch norm folded into its convolution.

    In every ``nn.Sequential`` inside ``model`` (at any depth), each ``nn.Conv2d`` that is
    immediately followed by an ``nn.BatchNorm2d`` is replaced by :func:`fold_conv_bn` of the
    two, and the batch norm is dropped: the ``Sequential`` gets one layer shorter per fold.
    In eval mode the copy computes what ``model`` computes (to float rounding) with one
    operation fewer per fold. ``model`` itself is not modified.

    Args:
        model: any module, e.g. a trained :class:`UNet`.

    Returns:
        the folded copy, in eval mode.
    """
    # TODO(2.5): copy.deepcopy, then rebuild every nn.Sequential from its children, pairwise.
    raise NotImplementedError("2.5: fold_batchnorms")


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
    raise NotImplementedError("2.6: prune_and_finetune")


# EXERCISE 2.7 — quantize_int8
def quantize_int8(model: nn.Module) -> nn.Module:
    """A copy of ``model`` whose convolution weights are stored in int8 (weight-only quantization).

    For every ``nn.Conv2d`` and ``nn.ConvTranspose2d``, per output channel ``o`` (symmetric,
    zero point 0)::

        scale_o = max |W_o| / 127            (1.0 for a channel of zeros, e.g. a pruned one)
        q_o     = clamp(round(W_o / scale_o), -127, 127)    as torch.int8
        W_o    ≈ q_o · scale_o                              (error at most scale_o / 2)

    The copy keeps ``q`` (int8) and ``scale`` (float32) as buffers instead of the float
    weight and dequantizes on the fly in ``forward``; biases and batch norms stay float32.
    Stored weights shrink about 4× (1 byte instead of 4). The output channels of a
    ``Conv2d`` weight ``(out, in, kH, kW)`` are axis 0; of a ``ConvTranspose2d`` weight
    ``(in, out, kH, kW)``, axis 1. (torch's own int8 path, ``torch.ao.quantization``, is
    deprecated in recent releases; this is the weight-only scheme that its successor also
    offers, written out.)

    The copy is returned in eval mode — ready for inference, batch norms using their running
    statistics — and ``model`` is not modified.

    Args:
        model: a trained network.

    Returns:
        the quantized copy, in eval mode; ``copy(x)`` ≈ ``model.eval()(x)``.
    """
    # TODO(2.7): deepcopy + eval, replace each conv by a module with int8 q and float scale.
    raise NotImplementedError("2.7: quantize_int8")


class _Int8Conv(nn.Module):
    """A convolution (or transposed convolution) with per-channel int8 weights.

    Buffers ``q`` (int8, the weight's shape) and ``scale`` (float32, one per output channel);
    ``bias`` stays a float parameter (or ``None``).
    """

    def __init__(self, conv: nn.Conv2d | nn.ConvTranspose2d) -> None:
        super().__init__()
        # TODO(2.7): register q (int8) and scale as buffers, keep bias and stride/padding/...
        raise NotImplementedError("2.7: quantize_int8")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Dequantize ``q · scale`` and convolve like the original layer."""
        # TODO(2.7): weight = q.float() * scale (broadcast on the output axis); F.conv2d / ...
        raise NotImplementedError("2.7: quantize_int8")


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
    raise NotImplementedError("2.8: distillation_loss")


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
    raise NotImplementedError("2.8: distill")


# EXERCISE 2.9 — measure_latency
def measure_latency(
    model: nn.Module,
    x: torch.Tensor,
    *,
    warmup: int = 3,
    repeats: int = 20,
    threads: int = 1,
) -> float:
    """The median wall-clock time of one forward pass, in seconds, measured fairly.

    - ``threads``: ``torch.set_num_threads(threads)`` for the measurement (a figure means
      nothing without the thread count), and the previous setting restored afterwards;
    - eval mode and ``torch.inference_mode()`` — no autograd bookkeeping, as in deployment;
    - ``warmup`` calls first, not timed (the first calls allocate memory and pick kernels);
    - then ``repeats`` calls, each timed on its own with ``time.perf_counter()``;
    - the median of those times: one slow call (another process, a page fault) moves the
      mean, not the median.

    Args:
        model: the network; put in eval mode.
        x: one input batch.
        warmup: untimed calls first, ``>= 0``.
        repeats: timed calls, ``>= 1``.
        threads: torch's intra-op threads during the measurement.

    Returns:
        the median time of one call in seconds, a Python float.
    """
    # TODO(2.9): set threads, eval, inference_mode, warm up, time each repeat, median, restore.
    raise NotImplementedError("2.9: measure_latency")
