"""Seminar 2 — optimizers: your exercises.

SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam and NAdam, each a ``torch.optim.Optimizer``
subclass (the lecture on backpropagation and optimizers, and the lecture on training deep
networks). The base class does the bookkeeping that every optimizer shares, and you use it the
way ``torch.optim`` does:

- ``self.param_groups``: a list of dicts, one per parameter group, each with its ``"params"``
  (a list of tensors) and its own hyper-parameters (``group["lr"]``, ...). The keyword arguments
  of the constructor are the defaults (``self.defaults``) for every key a group leaves out, so
  ``Adam([{"params": w}, {"params": b, "lr": 0.1}], lr=1e-3)`` trains ``b`` ten times faster;
  read the hyper-parameters from the group inside ``step``, never from ``self``.
- ``self.state``: a dict that maps each parameter to ITS OWN dict of buffers (a velocity, a sum
  of squared gradients, a step count), created the first time the parameter takes a step.
  ``state_dict()`` / ``load_state_dict()`` save and restore exactly ``self.state`` and the
  groups, so whatever lives elsewhere (an attribute, a list) is lost by a checkpoint.
- ``zero_grad()`` comes with the base class.

Every ``step()`` runs under ``torch.no_grad()`` (the decorator ``@torch.no_grad()``): the update
is bookkeeping, not part of the model, and an in-place change of a leaf tensor that requires
grad is an error under autograd. It skips parameters whose ``.grad`` is None, never changes
``p.grad``, updates ``p`` in place, takes an optional ``closure`` (a function that re-evaluates
the loss and calls ``backward()``; it runs with gradients enabled) and returns the closure's
loss, or None without a closure.

Weight decay is the L2 penalty of the regularization lecture folded into the gradient, as
``torch.optim`` does it: ``g = p.grad + weight_decay * p``, computed from the parameter BEFORE
the update, and used in place of the gradient everywhere the rule below says ``g`` (momentum,
accumulators and all). Tensors are float32 throughout.

Replace every ``# TODO`` line and the ``raise NotImplementedError`` below it with your code;
keep the names, the signatures and the marker lines (``# EXERCISE S2.1 — ...``). Every chunk
that starts with a marker line becomes one notebook cell and is graded on its own: put any
helper you write (a name starting with ``_``) inside the chunk that uses it.
"""

# IMPORTS — sem2_optimizers
from collections.abc import Callable, Iterable

import torch
from torch.optim import Optimizer


# EXERCISE S2.1 — SGD
class SGD(Optimizer):
    """Plain (stochastic) gradient descent with weight decay.

    For every parameter ``p`` with a gradient, with its group's ``lr`` and ``weight_decay``::

        g = p.grad + weight_decay * p
        p = p - lr * g

    The lecture's "vanilla update" ``x += -learning_rate * dx``; it needs no memory of past
    steps. The same as ``torch.optim.SGD(params, lr, weight_decay=weight_decay)`` (no momentum).

    Args:
        params: an iterable of tensors, or of dicts (parameter groups) each with a ``"params"``
            entry and any of the hyper-parameters below.
        lr: the learning rate, ``>= 0``.
        weight_decay: the L2 coefficient, ``>= 0``.

    Raises:
        ValueError: if ``lr < 0`` or ``weight_decay < 0``.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, weight_decay: float = 0.0) -> None:
        # TODO(S2.1): ValueError if lr or weight_decay < 0; super().__init__(params, {"lr": lr,...})
        raise NotImplementedError("S2.1: SGD")

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One update of every parameter that has a gradient; returns the closure's loss."""
        # TODO(S2.1): closure under torch.enable_grad(); per group, per p with a grad: p -= lr * g.
        raise NotImplementedError("S2.1: SGD")


# EXERCISE S2.2 — Momentum
class Momentum(Optimizer):
    """Momentum in the lecture's form: a velocity that integrates the gradient steps.

    Per parameter ``p``, with its group's ``lr``, ``momentum`` (``mu``) and ``weight_decay``::

        g = p.grad + weight_decay * p
        v = mu * v - lr * g          # integrate velocity  (v starts at zeros)
        p = p + v                    # integrate position

    A ball rolling down the loss surface gathers speed along a consistent slope and averages out
    directions that flip sign; ``mu`` is the friction (0: plain SGD, close to 1: little friction).

    The velocity lives in ``self.state[p]["velocity"]``, a tensor shaped like ``p``.

    How this relates to ``torch.optim.SGD(momentum=mu)`` (with its default ``dampening=0``):
    torch keeps ``b = mu * b + g`` and steps ``p = p - lr * b``. While ``lr`` stays constant
    ``v = -lr * b`` and the two agree exactly. They differ when ``lr`` changes during training
    (a schedule): the lecture's velocity remembers the old learning rate, torch's buffer applies
    the new one to all past gradients at once. Follow the lecture's formula here.

    Args:
        params: tensors or parameter groups (dicts with ``"params"``), as for :class:`SGD`.
        lr: the learning rate, ``>= 0``.
        momentum: ``mu``, ``0 <= mu < 1``.
        weight_decay: the L2 coefficient, ``>= 0``.

    Raises:
        ValueError: if an argument is outside its range.
    """

    def __init__(
        self, params: Iterable, lr: float = 1e-3, momentum: float = 0.9, weight_decay: float = 0.0
    ) -> None:
        # TODO(S2.2): check the arguments, then super().__init__(params, defaults dict).
        raise NotImplementedError("S2.2: Momentum")

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One update of every parameter that has a gradient; returns the closure's loss."""
        # TODO(S2.2): v = mu * v - lr * g in self.state[p]["velocity"] (zeros at first), p += v.
        raise NotImplementedError("S2.2: Momentum")


# EXERCISE S2.3 — Nesterov
class Nesterov(Optimizer):
    """Nesterov's accelerated gradient, in the form ``torch.optim.SGD(nesterov=True)`` uses.

    Nesterov measures the gradient not at ``x`` but a little further along the momentum, at the
    look-ahead point ``x + mu * v``. Store that look-ahead point as the parameter,
    ``p = x + mu * v``: then the gradient the training loop computes at ``p`` is exactly the
    look-ahead gradient, and the lecture's update becomes, with ``b = -v / lr``::

        g = p.grad + weight_decay * p      # the gradient AT the look-ahead point p
        b = mu * b + g                     # the momentum buffer (b starts at zeros: b = g)
        p = p - lr * (g + mu * b)          # step along g, then look ahead along the NEW b

    The buffer lives in ``self.state[p]["momentum_buffer"]``, a tensor shaped like ``p`` (the
    name ``torch.optim.SGD`` uses). The trajectory equals ``torch.optim.SGD(params, lr,
    momentum=mu, nesterov=True, weight_decay=weight_decay)``, learning-rate changes included.

    Args:
        params: tensors or parameter groups (dicts with ``"params"``), as for :class:`SGD`.
        lr: the learning rate, ``>= 0``.
        momentum: ``mu``, ``0 <= mu < 1``.
        weight_decay: the L2 coefficient, ``>= 0``.

    Raises:
        ValueError: if an argument is outside its range.
    """

    def __init__(
        self, params: Iterable, lr: float = 1e-3, momentum: float = 0.9, weight_decay: float = 0.0
    ) -> None:
        # TODO(S2.3): check the arguments, then super().__init__(params, defaults dict).
        raise NotImplementedError("S2.3: Nesterov")

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One update of every parameter that has a gradient; returns the closure's loss."""
        # TODO(S2.3): b = mu * b + g in state["momentum_buffer"]; p -= lr * (g + mu * b).
        raise NotImplementedError("S2.3: Nesterov")


# EXERCISE S2.4 — AdaGrad
class AdaGrad(Optimizer):
    """AdaGrad: a learning rate per coordinate that shrinks with the gradients seen so far.

    Per parameter ``p``, with its group's ``lr``, ``eps`` and ``weight_decay``::

        g = p.grad + weight_decay * p
        s = s + g * g                          # the accumulator: ALL past squared gradients
        p = p - lr * g / (sqrt(s) + eps)       # eps outside the square root

    Steep directions (large gradients) get their steps shrunk faster than flat ones, which turns
    the ball towards the optimum early; but ``s`` only grows, so on long runs the steps vanish
    before the optimum is reached (the lecture: better not used for deep networks).

    The accumulator lives in ``self.state[p]["sum"]``, a tensor shaped like ``p`` that starts at
    ``initial_accumulator_value`` (the names of ``torch.optim.Adagrad``, whose trajectory this
    equals with its default ``lr_decay=0``).

    Args:
        params: tensors or parameter groups (dicts with ``"params"``), as for :class:`SGD`.
        lr: the learning rate, ``>= 0``.
        eps: added to ``sqrt(s)``, ``>= 0``.
        weight_decay: the L2 coefficient, ``>= 0``.
        initial_accumulator_value: the starting value of every entry of ``s``, ``>= 0`` (a
            constructor argument only: like torch, groups need not have their own).

    Raises:
        ValueError: if an argument is outside its range.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        eps: float = 1e-10,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
    ) -> None:
        # TODO(S2.4): check the arguments, then super().__init__(params, defaults dict).
        raise NotImplementedError("S2.4: AdaGrad")

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One update of every parameter that has a gradient; returns the closure's loss."""
        # TODO(S2.4): s += g * g in state["sum"] (created once); p -= lr * g / (sqrt(s) + eps).
        raise NotImplementedError("S2.4: AdaGrad")


# EXERCISE S2.5 — RMSProp
class RMSProp(Optimizer):
    """RMSProp: AdaGrad with a decaying average instead of a sum.

    Per parameter ``p``, with its group's ``lr``, ``alpha`` (the lecture's ``decay_rate``),
    ``eps`` and ``weight_decay``::

        g = p.grad + weight_decay * p
        s = alpha * s + (1 - alpha) * g * g    # s starts at zeros
        p = p - lr * g / (sqrt(s) + eps)       # eps outside the square root

    Only the recent gradients count (``alpha`` is usually 0.9 to 0.99), so the steps no longer
    die out as AdaGrad's do.

    The average lives in ``self.state[p]["square_avg"]``, a tensor shaped like ``p`` (the name of
    ``torch.optim.RMSprop``, whose trajectory this equals with ``momentum=0, centered=False``).

    Args:
        params: tensors or parameter groups (dicts with ``"params"``), as for :class:`SGD`.
        lr: the learning rate, ``>= 0``.
        alpha: the decay rate of the average, ``0 <= alpha < 1``.
        eps: added to ``sqrt(s)``, ``>= 0``.
        weight_decay: the L2 coefficient, ``>= 0``.

    Raises:
        ValueError: if an argument is outside its range.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        # TODO(S2.5): check the arguments, then super().__init__(params, defaults dict).
        raise NotImplementedError("S2.5: RMSProp")

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One update of every parameter that has a gradient; returns the closure's loss."""
        # TODO(S2.5): s = alpha * s + (1 - alpha) * g * g in state["square_avg"]; step as AdaGrad.
        raise NotImplementedError("S2.5: RMSProp")


# EXERCISE S2.6 — Adam
class Adam(Optimizer):
    """Adam: momentum (a first moment) and RMSProp (a second moment), both bias-corrected.

    Per parameter ``p``, with its group's ``lr``, ``betas = (beta1, beta2)``, ``eps`` and
    ``weight_decay``, at its ``t``-th step (``t = 1, 2, ...``)::

        g = p.grad + weight_decay * p
        m = beta1 * m + (1 - beta1) * g          # m, v start at zeros
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** t)             # bias correction: early m, v are too small
        v_hat = v / (1 - beta2 ** t)
        p = p - lr * m_hat / (sqrt(v_hat) + eps)

    Without the bias correction the first steps would be tiny (``m ≈ (1 - beta1) g``) or huge
    (``sqrt(v)`` even smaller). The lecture's update is the same without ``m_hat`` and ``v_hat``.

    ``self.state[p]`` holds ``"step"`` (``t``: how many steps THIS parameter has taken, an int or
    a 0-dim tensor), ``"exp_avg"`` (``m``) and ``"exp_avg_sq"`` (``v``), tensors shaped like
    ``p``: the names of ``torch.optim.Adam``, whose trajectory this equals (``amsgrad=False``).
    Weight decay is the L2 form of ``torch.optim.Adam``, not AdamW's decoupled decay.

    Args:
        params: tensors or parameter groups (dicts with ``"params"``), as for :class:`SGD`.
        lr: the learning rate, ``>= 0``.
        betas: ``(beta1, beta2)``, each in ``[0, 1)``.
        eps: added to ``sqrt(v_hat)``, ``>= 0``.
        weight_decay: the L2 coefficient, ``>= 0``.

    Raises:
        ValueError: if an argument is outside its range.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        # TODO(S2.6): check the arguments, then super().__init__(params, defaults dict).
        raise NotImplementedError("S2.6: Adam")

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One update of every parameter that has a gradient; returns the closure's loss."""
        # TODO(S2.6): per p: t += 1; update m and v in state; p -= lr * m_hat / (sqrt(v_hat) + eps).
        raise NotImplementedError("S2.6: Adam")


# EXERCISE S2.7 — NAdam
class NAdam(Optimizer):
    """NAdam: Adam with Nesterov's look-ahead, in ``torch.optim.NAdam``'s convention.

    Nesterov's trick applied to Adam: the step uses the first moment one step AHEAD (the next
    momentum applied to ``m``) plus the current gradient. Like ``torch.optim.NAdam`` (Dozat,
    2016), the momentum coefficient warms up over the steps: at step ``t`` (``t = 1, 2, ...``)::

        mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))    # rises towards beta1
        P_t = mu_1 * mu_2 * ... * mu_t                              # P_0 = 1

        g = p.grad + weight_decay * p
        m = beta1 * m + (1 - beta1) * g                             # m, v start at zeros
        v = beta2 * v + (1 - beta2) * g * g
        v_hat = v / (1 - beta2 ** t)
        p = p - lr * ((1 - mu_t) / (1 - P_t) * g
                      + mu_{t+1} / (1 - P_t * mu_{t+1}) * m) / (sqrt(v_hat) + eps)

    The first term is the bias-corrected contribution of the current gradient, the second the
    bias-corrected momentum of the NEXT step (the look-ahead). With a constant ``mu_t = beta1``
    this would be the textbook Nadam; ``momentum_decay`` is torch's schedule, kept here so the
    trajectory equals ``torch.optim.NAdam`` (default ``decoupled_weight_decay=False``).

    ``self.state[p]`` holds ``"step"`` (``t`` of this parameter, an int or a 0-dim tensor),
    ``"mu_product"`` (``P_t``, a float or a 0-dim tensor), ``"exp_avg"`` (``m``) and
    ``"exp_avg_sq"`` (``v``), tensors shaped like ``p``: the names of ``torch.optim.NAdam``.

    Args:
        params: tensors or parameter groups (dicts with ``"params"``), as for :class:`SGD`.
        lr: the learning rate, ``>= 0``.
        betas: ``(beta1, beta2)``, each in ``[0, 1)``.
        eps: added to ``sqrt(v_hat)``, ``>= 0``.
        weight_decay: the L2 coefficient, ``>= 0``.
        momentum_decay: ``psi`` in the schedule of ``mu_t``, ``>= 0``.

    Raises:
        ValueError: if an argument is outside its range.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
    ) -> None:
        # TODO(S2.7): check the arguments, then super().__init__(params, defaults dict).
        raise NotImplementedError("S2.7: NAdam")

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One update of every parameter that has a gradient; returns the closure's loss."""
        # TODO(S2.7): t += 1; mu_t, mu_{t+1}; P_t = P_{t-1} * mu_t in state; then the update.
        raise NotImplementedError("S2.7: NAdam")
