"""Seminar 4 — regularization from scratch: your exercises.

Dropout, batch norm, L1/L2 penalties, early stopping. hw1 used ``nn.Dropout``, ``nn.BatchNorm1d``
and ``weight_decay`` from the library; here you build them yourself and then watch, in the
notebook, what each does to an MLP that over-fits a few noisy moons (the PyTorch lecture and the
introductory lecture on neural networks).

Conventions, as in hw1: tensors are float32; the layers are ``nn.Module`` subclasses that
follow ``model.train()`` / ``model.eval()`` through ``self.training``; randomness comes from
torch's global generator, so ``torch.manual_seed`` makes a run reproducible.

Replace every ``# TODO`` line and the ``raise NotImplementedError`` below it with your code;
keep the names, the signatures and the marker lines (``# EXERCISE S4.1 — ...``). Every chunk
that starts with a marker line becomes one notebook cell and is graded on its own: put any
helper you write (a name starting with ``_``) inside the chunk that uses it.
"""

# IMPORTS — sem4_regularization
import torch
from torch import nn


# EXERCISE S4.1 — Dropout
class Dropout(nn.Module):
    """Inverted dropout: zero each element with probability ``p`` in train mode, rescale the rest.

    Train mode (``self.training`` is True)::

        m ~ Bernoulli(1 - p), elementwise, same shape as x   (1 = keep, 0 = drop)
        y = x * m / (1 - p)

    so that ``E[y] = x``. Eval mode: ``y = x`` (the identity, nothing to rescale).

    The PyTorch lecture: during training each neuron is switched off with probability ``p`` so that
    the network cannot put everything it knows into one neuron; at inference every neuron is on.
    The lecture's variant multiplies the outputs by ``1 - p`` at inference instead; the inverted
    form used here (and by ``nn.Dropout``) divides by ``1 - p`` during training, which gives the
    same expected signal and leaves inference untouched.

    Every element is dropped independently (each example of the batch gets its own mask), with a
    fresh mask on every call, drawn from torch's global random generator (``torch.rand_like``
    or ``torch.bernoulli``), so ``torch.manual_seed`` reproduces it. ``x`` itself is never
    modified in place. Edge cases: ``p = 0`` is the identity in both modes; ``p = 1`` returns
    zeros in train mode (never NaN: do not divide by ``1 - p = 0``).

    Args:
        p: probability of dropping (zeroing) an element, ``0 <= p <= 1``.

    Attributes:
        p: the drop probability, a float.

    Raises:
        ValueError: if ``p`` is outside ``[0, 1]``.
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        # TODO(S4.1): raise ValueError unless 0 <= p <= 1, then store self.p as a float.
        raise NotImplementedError("S4.1: Dropout")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` of any shape → a tensor of the same shape and dtype (see the class docstring)."""
        # TODO(S4.1): train mode: keep each element w.p. 1 - p, divide by 1 - p; mind p == 1.
        raise NotImplementedError("S4.1: Dropout")


# EXERCISE S4.2 — BatchNorm1d
class BatchNorm1d(nn.Module):
    """Batch normalization over a batch of feature vectors, written from scratch.

    For ``x`` of shape ``(N, C)``, per feature ``c`` (the introductory lecture on neural networks,
    Ioffe & Szegedy 2015)::

        train mode:  mu = mean of x[:, c] over the batch
                     var = (1/N) * sum_i (x[i, c] - mu)**2           (biased: divide by N)
        eval mode:   mu = running_mean[c],  var = running_var[c]
        y[:, c] = weight[c] * (x[:, c] - mu) / sqrt(var + eps) + bias[c]

    In train mode the running statistics are also updated, exactly as ``nn.BatchNorm1d``::

        running_mean = (1 - momentum) * running_mean + momentum * mu
        running_var  = (1 - momentum) * running_var  + momentum * var_unbiased  (divide by N - 1)
        num_batches_tracked += 1

    The PyTorch lecture: statistics over the whole training set are too expensive to recompute at
    every step, so training normalizes with the statistics of the current batch; for inference
    (maybe a single object, no batch at all) the layer uses the averages it accumulated while
    training. The learnable ``weight`` (gamma) and ``bias`` (beta) let the network undo the
    normalization where it does not help. Note torch's convention: ``momentum`` is the weight of
    the NEW batch.

    The running statistics are buffers, not parameters: they are updated without autograd
    (``torch.no_grad()`` and detached statistics) and never receive gradients, so
    ``loss.backward()`` works step after step. ``nn.BatchNorm1d`` and ``F.batch_norm`` are
    forbidden here; ``torch.mean`` and ``torch.var`` are fine.

    Args:
        num_features: ``C``, the number of features (the second dimension of the input).
        eps: added to the variance under the square root, for numerical stability.
        momentum: weight of the current batch in the running averages.

    Attributes:
        num_features, eps, momentum: the arguments.
        weight: ``nn.Parameter`` of shape ``(C,)``, initialised to ones (gamma).
        bias: ``nn.Parameter`` of shape ``(C,)``, initialised to zeros (beta).
        running_mean: buffer of shape ``(C,)``, initialised to zeros.
        running_var: buffer of shape ``(C,)``, initialised to ones.
        num_batches_tracked: buffer, a 0-dim ``torch.long`` tensor, initialised to 0.
        The names match ``nn.BatchNorm1d``, so the two modules share one ``state_dict`` layout.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        # TODO(S4.2): weight, bias as nn.Parameter; the running stats via self.register_buffer.
        raise NotImplementedError("S4.2: BatchNorm1d")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: ``(N, C)`` → ``(N, C)``.

        Raises:
            ValueError: in train mode when ``N < 2`` (no variance from one sample; torch too).
        """
        # TODO(S4.2): train: batch mean, biased var; update buffers under torch.no_grad().
        raise NotImplementedError("S4.2: BatchNorm1d")


# EXERCISE S4.3 — l1_penalty
def l1_penalty(model: nn.Module, C: float) -> torch.Tensor:
    """L1 penalty ``C * sum |theta|`` over ALL parameters of ``model`` (biases and gamma/beta too).

    The introductory lecture on neural networks: add it to the loss when you want a sparse model
    (many weights exactly 0, as in lasso regression). Its gradient is ``C * sign(theta)``: a
    constant push towards 0, however small the weight already is.

    Args:
        model: any ``nn.Module``; every tensor of ``model.parameters()`` counts.
        C: the regularization strength, ``C >= 0``.

    Returns:
        A 0-dim float32 tensor, differentiable with respect to every parameter; its gradient at
        ``theta = 0`` is 0 (the subgradient ``torch.abs`` gives, never NaN).
    """
    # TODO(S4.3): C times the sum of |p| over model.parameters(), a 0-dim tensor.
    raise NotImplementedError("S4.3: l1_penalty")


# EXERCISE S4.3 — l2_penalty
def l2_penalty(model: nn.Module, C: float) -> torch.Tensor:
    """L2 penalty ``C * sum theta**2`` over ALL parameters of ``model`` (as hw1's ``l2_penalty``).

    The PyTorch lecture: weight decay adds ``C * ||theta||^2`` to the loss, because large weights
    are a sign of over-fitting. No factor 1/2: the gradient is ``2 * C * theta``, so plain SGD on
    ``loss + l2_penalty(model, C)`` is SGD with ``weight_decay = 2 * C``. It shrinks every weight
    in proportion to its size (ridge regression) but rarely makes one exactly 0.

    Args:
        model: any ``nn.Module``; every tensor of ``model.parameters()`` counts.
        C: the regularization strength, ``C >= 0``.

    Returns:
        A 0-dim float32 tensor, differentiable with respect to every parameter.
    """
    # TODO(S4.3): C times the sum of p ** 2 over model.parameters(), a 0-dim tensor.
    raise NotImplementedError("S4.3: l2_penalty")


# EXERCISE S4.4 — EarlyStopping
class EarlyStopping:
    """Stop training when the validation loss has not improved for ``patience`` epochs.

    Use it once per epoch, after computing the validation loss::

        stopper = EarlyStopping(patience=20)
        for epoch in range(max_epochs):
            train_one_epoch(model)
            if stopper.step(validation_loss(model), model):
                break
        stopper.restore(model)   # back to the weights of the best epoch

    ``step(val_loss, model)`` appends ``val_loss`` to ``history``. The epoch improves when
    ``val_loss < best_loss - min_delta`` (strictly; the first call always improves). Then
    ``best_loss = val_loss``, ``best_epoch`` = the 0-based index of this call, ``bad_epochs = 0``,
    and ``best_state`` becomes a copy of ``model.state_dict()`` (parameters AND buffers, e.g. batch
    norm's running statistics): detached clones, so that later training steps cannot change it.
    Otherwise ``bad_epochs += 1``. ``step`` returns ``bad_epochs >= patience``: with no improvement
    after ``best_epoch``, the call with index ``best_epoch + patience`` is the first to return True.

    The introductory lecture on neural networks changes the optimization process to regularize;
    early stopping is the simplest such change: the validation split tells when the training set
    starts being memorized.

    Args:
        patience: number of epochs without improvement that stops training, ``>= 1``.
        min_delta: how much lower than ``best_loss`` a loss must be to count, ``>= 0``.

    Attributes:
        patience, min_delta: the arguments.
        history: ``list[float]``, every ``val_loss`` passed to ``step``, in order.
        best_loss: ``float``, the best validation loss so far (``float("inf")`` before any step).
        best_epoch: ``int``, index in ``history`` of ``best_loss`` (``-1`` before any step).
        bad_epochs: ``int``, calls since the last improvement.
        best_state: ``dict[str, torch.Tensor] | None``, the copy of ``model.state_dict()`` taken at
            ``best_epoch`` (``None`` before any step).

    Raises:
        ValueError: if ``patience < 1`` or ``min_delta < 0``.
    """

    def __init__(self, patience: int = 10, min_delta: float = 0.0) -> None:
        # TODO(S4.4): validate the arguments, then set every attribute listed above.
        raise NotImplementedError("S4.4: EarlyStopping")

    def step(self, val_loss: float, model: nn.Module) -> bool:
        """Record one epoch's validation loss (a float or a 0-dim tensor); True means stop now."""
        # TODO(S4.4): improved if val_loss < best_loss - min_delta: clone the state_dict.
        raise NotImplementedError("S4.4: EarlyStopping")

    def restore(self, model: nn.Module) -> None:
        """Load ``best_state`` into ``model`` (in place).

        Raises:
            RuntimeError: if ``step`` was never called.
        """
        # TODO(S4.4): load best_state into model; RuntimeError if there is none yet.
        raise NotImplementedError("S4.4: EarlyStopping")
