"""Seminar 3 — initialization, activations and training diagnostics: your exercises.

Why do deep networks stop learning? The lectures on training neural networks answer: the
signal (and its gradient) shrinks or grows by a constant factor in every layer, so after
fifty layers it has vanished or exploded. The fixes are weight initializations scaled to the
layer's fan (Glorot/Xavier, He, LeCun), activations that do not saturate (LeakyReLU, ELU,
SELU, Maxout) and preprocessed inputs; and the habits of "babysitting" a training run: make
sure the model can over-fit a tiny batch before anything else, and search hyper-parameters at
random rather than on a grid.

Conventions: tensors are float32 unless a docstring says otherwise; initializers fill a
weight in place and draw from torch's global random generator (``torch.manual_seed`` makes
them reproducible); functions that take a ``seed`` draw from their own ``torch.Generator``
and never touch the global one. ``torch.nn.init`` is off limits in the initializers, and the
library's activations in the activation modules.

Replace every ``# TODO`` line and the ``raise NotImplementedError`` below it with your code;
keep the names, the signatures and the marker lines (``# EXERCISE S3.1 — ...``). Every chunk
that starts with a marker line becomes one notebook cell and is graded on its own: put any
helper you write (a name starting with ``_``) inside the chunk that uses it.
"""

# IMPORTS — sem3_init
import math
from collections.abc import Callable, Sequence

import torch
from torch import nn


# EXERCISE S3.1 — fan_in_and_fan_out
def fan_in_and_fan_out(shape: Sequence[int]) -> tuple[int, int]:
    """The fans of a weight: inputs that feed one output unit, outputs that one input feeds.

    PyTorch stores a weight as ``(out_features, in_features)`` (``nn.Linear``) or
    ``(out_channels, in_channels, *kernel_size)`` (``nn.Conv1d/2d/3d``). With
    ``receptive = prod(kernel_size)`` (1 for a linear layer)::

        fan_in  = shape[1] * receptive
        fan_out = shape[0] * receptive

    Args:
        shape: the weight's shape, at least two dimensions (a ``torch.Size`` or a tuple).

    Returns:
        ``(fan_in, fan_out)``, two Python ints.

    Raises:
        ValueError: if ``shape`` has fewer than two dimensions (a bias has no fans).
    """
    # TODO(S3.1): receptive field = product of shape[2:]; mind the order (out, in, ...).
    raise NotImplementedError("S3.1: fan_in_and_fan_out")


# EXERCISE S3.1 — init_with_std_
def init_with_std_(weight: torch.Tensor, std: float, distribution: str = "normal") -> torch.Tensor:
    """Fill ``weight`` in place with zero-mean random values of standard deviation ``std``.

    ``"normal"``: ``w ~ N(0, std**2)``. ``"uniform"``: ``w ~ U(-a, a)`` with ``a = sqrt(3) * std``,
    because the variance of ``U(-a, a)`` is ``a**2 / 3``: the bound is NOT the standard deviation.

    Every initializer below is this function with a ``std`` computed from the fans. The values
    come from torch's global generator (``weight.normal_``, ``weight.uniform_``,
    ``torch.randn``...), so ``torch.manual_seed`` reproduces them. The write happens under
    ``torch.no_grad()`` so that it also works on an ``nn.Parameter`` (a leaf that requires
    grad), exactly like ``torch.nn.init`` (which you may not use here).

    Args:
        weight: the tensor to fill, any shape, float32; modified in place.
        std: the target standard deviation, ``>= 0``.
        distribution: ``"normal"`` or ``"uniform"``.

    Returns:
        ``weight`` itself (the same object, now filled).

    Raises:
        ValueError: for any other ``distribution``.
    """
    # TODO(S3.1): under torch.no_grad(): weight.normal_(0, std) or weight.uniform_(-a, a).
    raise NotImplementedError("S3.1: init_with_std_")


# EXERCISE S3.1 — xavier_
def xavier_(weight: torch.Tensor, gain: float = 1.0, distribution: str = "normal") -> torch.Tensor:
    """Glorot/Xavier initialization, in place: ``Var(w) = gain**2 * 2 / (fan_in + fan_out)``.

    Glorot and Bengio (2010) asked for the variance of a layer's outputs to equal that of its
    inputs (forward pass: ``Var(w) = 1 / fan_in``) and the same for the gradients (backward
    pass: ``Var(w) = 1 / fan_out``); the compromise is ``1 / fan_avg`` with
    ``fan_avg = (fan_in + fan_out) / 2``. It suits tanh, the logistic function, softmax and no
    activation at all. ``gain`` rescales the standard deviation for the activation that follows
    (``5/3`` for tanh, as ``torch.nn.init.calculate_gain`` says)::

        std = gain * sqrt(2 / (fan_in + fan_out))      normal:  N(0, std**2)
                                                       uniform: U(-sqrt(3) * std, sqrt(3) * std)

    Same result (in distribution) as ``torch.nn.init.xavier_normal_(weight, gain)`` and
    ``xavier_uniform_(weight, gain)``, which you may not use here. Build it from
    ``fan_in_and_fan_out`` and ``init_with_std_``.

    Args:
        weight: ``(out_features, in_features)`` or a conv weight ``(out, in, *kernel)``;
            filled in place (also an ``nn.Parameter``).
        gain: the scale factor on the standard deviation, ``> 0``.
        distribution: ``"normal"`` or ``"uniform"``.

    Returns:
        ``weight`` itself.
    """
    # TODO(S3.1): std from gain and both fans, then init_with_std_(weight, std, distribution).
    raise NotImplementedError("S3.1: xavier_")


# EXERCISE S3.1 — he_
def he_(
    weight: torch.Tensor,
    mode: str = "fan_in",
    gain: float = math.sqrt(2.0),
    distribution: str = "normal",
) -> torch.Tensor:
    """He (Kaiming) initialization, in place: ``Var(w) = gain**2 / fan`` with ``gain = sqrt(2)``.

    A ReLU zeroes half of its inputs, which halves the variance of the signal in every layer;
    He et al. (2015) double the weights' variance to compensate: ``Var(w) = 2 / fan_in``. It is
    the initialization for ReLU and its variants (for a LeakyReLU of slope ``a`` use
    ``gain = sqrt(2 / (1 + a**2))``). ``mode="fan_in"`` keeps the forward signal's variance,
    ``mode="fan_out"`` the backward gradient's::

        fan = fan_in or fan_out (by mode),   std = gain / sqrt(fan)
        normal: N(0, std**2)      uniform: U(-sqrt(3) * std, sqrt(3) * std)

    Same (in distribution) as ``torch.nn.init.kaiming_normal_(weight, mode=mode,
    nonlinearity="relu")`` for the default gain (``kaiming_uniform_`` for the uniform form).

    Args:
        weight: ``(out_features, in_features)`` or ``(out, in, *kernel)``; filled in place.
        mode: ``"fan_in"`` or ``"fan_out"``.
        gain: the scale factor on the standard deviation.
        distribution: ``"normal"`` or ``"uniform"``.

    Returns:
        ``weight`` itself.

    Raises:
        ValueError: for any other ``mode`` (or ``distribution``).
    """
    # TODO(S3.1): pick the fan by mode (ValueError otherwise); std = gain / sqrt(fan).
    raise NotImplementedError("S3.1: he_")


# EXERCISE S3.1 — lecun_
def lecun_(
    weight: torch.Tensor, mode: str = "fan_in", distribution: str = "normal"
) -> torch.Tensor:
    """LeCun initialization, in place: ``Var(w) = 1 / fan`` — He without the factor 2.

    The initialization that goes with SELU (the lecture's table: Glorot for tanh/logistic/none,
    He for ReLU and variants, LeCun for SELU): with it, SELU networks keep their activations at
    mean 0 and variance 1 by themselves::

        fan = fan_in or fan_out (by mode),   std = 1 / sqrt(fan)
        normal: N(0, std**2)      uniform: U(-sqrt(3) * std, sqrt(3) * std)

    Same (in distribution) as ``torch.nn.init.kaiming_normal_(weight, mode=mode,
    nonlinearity="linear")`` (and ``kaiming_uniform_``).

    Args:
        weight: ``(out_features, in_features)`` or ``(out, in, *kernel)``; filled in place.
        mode: ``"fan_in"`` or ``"fan_out"``.
        distribution: ``"normal"`` or ``"uniform"``.

    Returns:
        ``weight`` itself.

    Raises:
        ValueError: for any other ``mode`` (or ``distribution``).
    """
    # TODO(S3.1): he_ with gain 1 is LeCun.
    raise NotImplementedError("S3.1: lecun_")


# EXERCISE S3.2 — LeakyReLU
class LeakyReLU(nn.Module):
    """LeakyReLU: ``f(x) = x`` for ``x > 0``, ``negative_slope * x`` otherwise.

    A ReLU whose weighted input is negative for every training example outputs 0 and gets a zero
    gradient: it is dead and never recovers. The small slope on the left keeps a gradient
    flowing. Its derivative (use ``negative_slope`` at ``x = 0``, as autograd does)::

        f'(x) = 1 for x > 0,   negative_slope for x <= 0

    ``torch.nn.LeakyReLU`` and ``F.leaky_relu`` are forbidden here.

    Args:
        negative_slope: the slope ``a`` for negative inputs (0.01 by default).

    Attributes:
        negative_slope: the argument, a float. The module has no parameters.
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        # TODO(S3.2): store negative_slope as a float.
        raise NotImplementedError("S3.2: LeakyReLU")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` of any shape → ``f(x)``, same shape and dtype, differentiable in ``x``."""
        # TODO(S3.2): torch.where(x > 0, x, slope * x).
        raise NotImplementedError("S3.2: LeakyReLU")

    def derivative(self, x: torch.Tensor) -> torch.Tensor:
        """``f'(x)`` elementwise, same shape as ``x`` (a plain tensor, no autograd needed)."""
        # TODO(S3.2): 1 where x > 0, negative_slope elsewhere.
        raise NotImplementedError("S3.2: LeakyReLU")


# EXERCISE S3.2 — ELU
class ELU(nn.Module):
    """ELU: ``f(x) = x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Smooth where LeakyReLU has a kink; the outputs of negative inputs saturate at ``-alpha``,
    which pushes the mean activation towards 0 and makes the unit robust to noise. Derivative::

        f'(x) = 1 for x > 0,   alpha * exp(x) (= f(x) + alpha) for x <= 0

    Values and gradients must stay finite for large inputs (``|x|`` up to 100 in float32):
    ``exp(100)`` overflows to ``inf``, and even in the branch ``torch.where`` discards, an
    ``inf`` turns the gradient into NaN. Compute the exponential of ``min(x, 0)`` only.
    ``nn.ELU``, ``F.elu``, ``nn.CELU`` and ``F.celu`` are forbidden here.

    Args:
        alpha: the value the negative branch saturates to (``-alpha``), ``> 0``.

    Attributes:
        alpha: the argument, a float. The module has no parameters.
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        # TODO(S3.2): store alpha as a float.
        raise NotImplementedError("S3.2: ELU")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` of any shape → ``f(x)``, same shape and dtype, differentiable in ``x``."""
        # TODO(S3.2): where(x > 0, x, alpha * expm1(clamp(x, max=0))); alpha on the negatives!
        raise NotImplementedError("S3.2: ELU")

    def derivative(self, x: torch.Tensor) -> torch.Tensor:
        """``f'(x)`` elementwise, same shape as ``x``."""
        # TODO(S3.2): 1 where x > 0, alpha * exp(x) elsewhere (exp of clamped x).
        raise NotImplementedError("S3.2: ELU")


# EXERCISE S3.2 — SELU
class SELU(nn.Module):
    """SELU: ``f(x) = scale * ELU_alpha(x)`` with the constants of Klambauer et al. (2017).

    ::

        alpha = 1.6732632423543772,   scale = 1.0507009873554805
        f(x)  = scale * x                      for x > 0
                scale * alpha * (exp(x) - 1)   for x <= 0
        f'(x) = scale for x > 0,   scale * alpha * exp(x) for x <= 0

    With these constants a stack of dense layers initialized with LeCun's ``1 / fan_in`` keeps
    its activations near mean 0 and variance 1 by itself (self-normalization): the reason the
    lecture ranks SELU first. Finite values and gradients for ``|x|`` up to 100, as for ELU.
    ``nn.SELU``, ``F.selu``, ``torch.selu`` and the ELU functions are forbidden here.

    Attributes:
        alpha, scale: the two constants above, floats (class attributes are fine).
        The module has no parameters.
    """

    alpha = 1.6732632423543772
    scale = 1.0507009873554805

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` of any shape → ``f(x)``, same shape and dtype, differentiable in ``x``."""
        # TODO(S3.2): scale * where(x > 0, x, alpha * expm1(clamp(x, max=0))).
        raise NotImplementedError("S3.2: SELU")

    def derivative(self, x: torch.Tensor) -> torch.Tensor:
        """``f'(x)`` elementwise, same shape as ``x``."""
        # TODO(S3.2): scale where x > 0, scale * alpha * exp(x) elsewhere.
        raise NotImplementedError("S3.2: SELU")


# EXERCISE S3.2 — Maxout
class Maxout(nn.Module):
    """Maxout: each output unit is the largest of ``pieces`` affine functions of the input.

    For ``x`` of shape ``(n, in_features)`` and pieces ``k = 0 .. pieces-1``::

        z[k] = x @ weight[k].T + bias[k]          (n, out_features)
        y    = max over k of z[k]                 (n, out_features)

    With two pieces it contains ReLU (``z[1] = 0``) and LeakyReLU (``z[1] = a z[0]``) as special
    cases, never saturates and never dies; the price is ``pieces`` times the parameters.
    The gradient flows only into the piece that won the max (autograd does that for
    ``torch.max`` / ``amax``).

    Args:
        in_features: input size ``d``.
        out_features: number of output units ``m``.
        pieces: number of affine pieces ``k`` per unit, ``>= 1``.

    Attributes:
        in_features, out_features, pieces: the arguments.
        weight: ``nn.Parameter`` of shape ``(pieces, out_features, in_features)``,
            initialized like ``nn.Linear``: ``U(-1/sqrt(in_features), 1/sqrt(in_features))``.
        bias: ``nn.Parameter`` of shape ``(pieces, out_features)``, same distribution.
        No other parameters, so ``state_dict()`` holds exactly ``weight`` and ``bias``.
    """

    def __init__(self, in_features: int, out_features: int, pieces: int = 2) -> None:
        super().__init__()
        # TODO(S3.2): two nn.Parameter from torch.rand, rescaled to U(-1/sqrt(d), 1/sqrt(d)).
        raise NotImplementedError("S3.2: Maxout")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: ``(n, in_features)`` → ``(n, out_features)``."""
        # TODO(S3.2): z of shape (pieces, n, out) with torch.einsum or matmul, then amax(dim=0).
        raise NotImplementedError("S3.2: Maxout")


# EXERCISE S3.3 — activation_statistics
def activation_statistics(
    init: str,
    activation: str,
    *,
    depth: int = 50,
    width: int = 256,
    n_samples: int = 256,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The lecture's deep-stack experiment: mean and std of the activations, layer by layer.

    Feed ``X ~ N(0, 1)`` of shape ``(n_samples, width)`` through ``depth`` fully connected
    layers of ``width`` units (no bias), each followed by the activation::

        h_0 = X,    h_l = act(h_{l-1} @ W_l),   W_l of shape (width, width), l = 1 .. depth

    and record, per layer, the mean and the standard deviation of all ``n_samples * width``
    values of ``h_l`` (biased or unbiased std: the difference is invisible here).
    ``W_l`` is drawn from ``N(0, sigma**2)`` with, by ``init``::

        "normal": sigma = 1          "small": sigma = 0.01
        "xavier": sigma = sqrt(1 / width)   (Glorot, 1 / fan_avg, fan_in = fan_out = width)
        "he":     sigma = sqrt(2 / width)   (He, 2 / fan_in)

    ``activation`` is ``"tanh"`` or ``"relu"``. Everything is computed in float64 so that
    exploding activations (``N(0, 1)`` weights with ReLU reach ~1e50) show their size instead
    of overflowing float32 to ``inf``. All draws (``X`` first, then ``W_1``, ``W_2``, ...) come
    from one ``torch.Generator`` seeded with ``seed`` (pass ``generator=`` to ``torch.randn``),
    so the same ``seed`` gives the same numbers and the global generator is left alone.

    Args:
        init: ``"normal"``, ``"small"``, ``"xavier"`` or ``"he"``.
        activation: ``"tanh"`` or ``"relu"``.
        depth: number of layers.
        width: units per layer (and input features).
        n_samples: rows of ``X``.
        seed: seed of the generator.

    Returns:
        ``(means, stds)``: two float64 tensors of shape ``(depth,)``; entry ``l - 1`` describes
        ``h_l``, the output of layer ``l`` (the input ``X`` itself is not included).

    Raises:
        ValueError: for an unknown ``init`` or ``activation``.
    """
    # TODO(S3.3): a torch.Generator, sigma by init, then depth times h = act(h @ W); record stats.
    raise NotImplementedError("S3.3: activation_statistics")


# EXERCISE S3.4 — preprocess
def preprocess(
    X_train: torch.Tensor, X_test: torch.Tensor, *, scale: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean subtraction and (optionally) normalization, with the TRAIN set's statistics only.

    Per feature ``j``: ``mu_j`` and ``s_j`` are the mean and standard deviation of column ``j``
    of ``X_train`` (biased or unbiased std, both accepted). Both sets are transformed alike::

        scale=True:   X' = (X - mu) / s      (a feature with s_j = 0 is only centered: s_j := 1)
        scale=False:  X' = X - mu            (mean subtraction only, e.g. for pixels)

    The test set plays "data the model has never seen": its own statistics are unknown at
    training time, so normalizing it with them leaks information and shifts it differently from
    the data the model was trained on. The inputs are not modified in place.

    Args:
        X_train: ``(n_train, d)`` float32.
        X_test: ``(n_test, d)`` float32.
        scale: divide by the standard deviation too.

    Returns:
        ``(X_train', X_test')`` of shapes ``(n_train, d)`` and ``(n_test, d)``, float32.
    """
    # TODO(S3.4): mu and s from X_train only (dim=0); apply to both; guard s == 0.
    raise NotImplementedError("S3.4: preprocess")


# EXERCISE S3.5 — overfit_small_batch
def overfit_small_batch(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    n_samples: int = 20,
    epochs: int = 300,
    lr: float = 0.01,
) -> dict:
    """Sanity check before real training: can the model over-fit ``n_samples`` examples?

    A network that cannot reach 100 % training accuracy on 20 examples, without any
    regularization, has a bug (a detached tensor, a wrong loss, dead units, a too small
    learning rate) — no point in training it on everything. Procedure:

    1. keep the first ``n_samples`` rows of ``X`` and ``y`` (``y`` of 0./1., shape ``(n,)`` or
       ``(n, 1)``);
    2. ``model.train()``; ``epochs`` full-batch steps of
       ``torch.optim.Adam(model.parameters(), lr=lr)`` (no weight decay) on the mean binary
       cross-entropy with logits (``nn.functional.binary_cross_entropy_with_logits``) of
       ``model(X_small)`` (logits ``(n_samples, 1)`` or ``(n_samples,)``) against the labels;
       record each step's loss;
    3. ``model.eval()`` and, without gradients, the final loss and the accuracy of the
       predictions ``logit > 0`` on the same samples.

    The model is trained in place (and left in eval mode).

    Args:
        model: maps ``(n, d)`` to logits ``(n, 1)`` or ``(n,)``.
        X: ``(N, d)`` float32, ``N >= n_samples``.
        y: ``(N,)`` or ``(N, 1)`` of 0./1.
        n_samples: how many of the first rows to over-fit.
        epochs: number of Adam steps.
        lr: Adam's learning rate.

    Returns:
        ``{"overfits": bool, "train_accuracy": float, "final_loss": float,
        "losses": list[float]}``: ``overfits`` is True exactly when ``train_accuracy == 1.0``
        and ``final_loss < 0.1``; ``losses`` holds one Python float per epoch.
    """
    # TODO(S3.5): slice, Adam loop recording loss.item(), then eval + no_grad for the verdict.
    raise NotImplementedError("S3.5: overfit_small_batch")


# EXERCISE S3.6 — grid_search_points
def grid_search_points(
    lr_range: tuple[float, float], wd_range: tuple[float, float], n_trials: int
) -> list[tuple[float, float]]:
    """A log-spaced grid of ``n_trials`` (learning rate, weight decay) pairs.

    ``k = sqrt(n_trials)`` values per axis (``n_trials`` must be a perfect square), spaced
    evenly on a log scale with both ends included (``torch.logspace`` or
    ``10 ** torch.linspace(log10(low), log10(high), k)``); every combination, learning rate
    major: ``[(lr_0, wd_0), (lr_0, wd_1), ..., (lr_{k-1}, wd_{k-1})]``. With ``k = 1`` the
    single value is the lower end.

    Args:
        lr_range: ``(low, high)`` of the learning rate, ``0 < low < high``.
        wd_range: ``(low, high)`` of the weight decay, ``0 < low < high``.
        n_trials: number of points, a perfect square.

    Returns:
        A list of ``n_trials`` tuples of two Python floats.

    Raises:
        ValueError: if ``n_trials`` is not a positive perfect square.
    """
    # TODO(S3.6): k = math.isqrt(n_trials); k log-spaced values per axis; all pairs.
    raise NotImplementedError("S3.6: grid_search_points")


# EXERCISE S3.6 — random_search_points
def random_search_points(
    lr_range: tuple[float, float],
    wd_range: tuple[float, float],
    n_trials: int,
    seed: int = 0,
) -> list[tuple[float, float]]:
    """``n_trials`` (learning rate, weight decay) pairs drawn log-uniformly at random.

    Each coordinate independently: ``log10(value) ~ U(log10(low), log10(high))``, i.e.
    ``value = 10 ** u`` — a learning rate is as likely to fall in [1e-4, 1e-3] as in
    [1e-2, 1e-1]. Draw from a ``torch.Generator`` seeded with ``seed`` (the same seed gives the
    same points; the global generator is left alone).

    The lecture's argument: usually one hyper-parameter matters much more than the other. A
    grid of ``k * k`` trials tries only ``k`` distinct values of it; random search tries
    ``n_trials`` distinct values for the same budget.

    Args:
        lr_range: ``(low, high)``, ``0 < low < high``.
        wd_range: ``(low, high)``, ``0 < low < high``.
        n_trials: number of points, ``>= 1``.
        seed: seed of the generator.

    Returns:
        A list of ``n_trials`` tuples of two Python floats, each inside its range.
    """
    # TODO(S3.6): u = torch.rand(n_trials, 2, generator=g), mapped to the log ranges, 10 ** u.
    raise NotImplementedError("S3.6: random_search_points")


# EXERCISE S3.6 — run_search
def run_search(
    objective: Callable[[float, float], float], points: Sequence[tuple[float, float]]
) -> tuple[tuple[float, float], list[float]]:
    """Evaluate ``objective(lr, weight_decay)`` at every point: the best point and all scores.

    ``objective`` trains a model with those hyper-parameters and returns a validation score
    (higher is better, e.g. accuracy). Call it exactly once per point, in order.

    Args:
        objective: ``(lr, weight_decay) -> float``.
        points: the ``(lr, weight_decay)`` pairs to try, e.g. from ``grid_search_points``.

    Returns:
        ``(best_point, scores)``: the pair with the highest score (the first one on ties), as a
        tuple of two floats, and the list of scores as Python floats, in the order of ``points``.

    Raises:
        ValueError: if ``points`` is empty.
    """
    # TODO(S3.6): scores = [float(objective(lr, wd)) ...]; best = points[argmax] (first max).
    raise NotImplementedError("S3.6: run_search")
