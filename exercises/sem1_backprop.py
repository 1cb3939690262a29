"""Seminar 1 — backpropagation by hand, NumPy only: your exercises.

``loss.backward()`` is not magic: every layer knows the derivative of its output with respect
to its input and to its parameters, and the chain rule strings them together, last layer
first. Here you write that machinery with NumPy alone (the lecture on backprop and optimizers,
and the lesson on perceptrons): activations and their derivatives, layers with a forward and a
backward pass, a numerically stable softmax cross-entropy, a numerical gradient check, a
network trained by stochastic gradient descent with weight decay, and Rosenblatt's perceptron.

Conventions. Arrays are ``np.ndarray``; a batch is a matrix ``X`` of shape ``(n, d)``, one
example per row. A layer follows the lecture's interface:

- ``forward(X)`` returns the output and stores what ``backward`` will need;
- ``backward(grad_out)`` takes ``dL/dY`` (the shape of the output) and returns ``dL/dX`` (the
  shape of the input); a layer with parameters also *adds* ``dL/dW`` to its gradient buffers
  (``dW += ...``), so gradients of two backward calls accumulate until ``zero_grad()``;
- ``parameters()`` lists ``(value, gradient)`` pairs of arrays, updated in place by the
  optimizer; ``zero_grad()`` sets every gradient buffer to 0.

No exercise modifies its input arrays. PyTorch is not allowed in the exercises: the point is to
see what autograd does for you (the hidden tests use it to check your gradients).

Replace every ``# TODO`` line and the ``raise NotImplementedError`` below it with your code;
keep the names, the signatures and the marker lines (``# EXERCISE S1.1 — ...``). Every chunk
that starts with a marker line becomes one notebook cell and is graded on its own: put any
helper you write (a name starting with ``_``) inside the chunk that uses it.
"""

# IMPORTS — sem1_backprop
from collections.abc import Callable

import numpy as np


# EXERCISE S1.1 — logistic
def logistic(z: np.ndarray) -> np.ndarray:
    """The logistic (sigmoid) function ``sigma(z) = 1 / (1 + exp(-z))``, elementwise.

    It squashes any real number into ``(0, 1)``; the multilayer perceptron of 1986 replaced the
    perceptron's step with it, because a step has no useful gradient. Stay finite for large
    ``|z|``: ``exp(-z)`` overflows for ``z < -710`` (a warning and ``inf``); use
    ``exp(z) / (1 + exp(z))`` where ``z < 0``, or clip ``z``.

    Args:
        z: an array of any shape.

    Returns:
        ``sigma(z)``, an array of the shape of ``z``, values in ``[0, 1]``.
    """
    # TODO(S1.1): 1 / (1 + exp(-z)) for z >= 0 and exp(z) / (1 + exp(z)) for z < 0.
    raise NotImplementedError("S1.1: logistic")


# EXERCISE S1.1 — logistic_derivative
def logistic_derivative(z: np.ndarray) -> np.ndarray:
    """``d sigma / dz = sigma(z) * (1 - sigma(z))``, elementwise.

    The derivative is largest at ``z = 0`` (0.25) and vanishes for large ``|z|``: a saturated
    sigmoid passes almost no gradient back (the vanishing-gradient problem).

    Args:
        z: an array of any shape (the *input* of the sigmoid, not its output).

    Returns:
        An array of the shape of ``z``.
    """
    # TODO(S1.1): s = logistic(z) (same section: you may call it), return s * (1 - s).
    raise NotImplementedError("S1.1: logistic_derivative")


# EXERCISE S1.1 — tanh
def tanh(z: np.ndarray) -> np.ndarray:
    """The hyperbolic tangent ``tanh(z) = 2 sigma(2z) - 1``, elementwise, values in ``(-1, 1)``.

    An S-shaped curve like the logistic, but centred at 0, which keeps a layer's outputs
    roughly centred and often speeds training up. ``np.tanh`` is allowed.

    Args:
        z: an array of any shape.

    Returns:
        An array of the shape of ``z``.
    """
    # TODO(S1.1): np.tanh does it (or 2 * sigma(2z) - 1).
    raise NotImplementedError("S1.1: tanh")


# EXERCISE S1.1 — tanh_derivative
def tanh_derivative(z: np.ndarray) -> np.ndarray:
    """``d tanh / dz = 1 - tanh(z)**2``, elementwise.

    Args:
        z: an array of any shape (the input of tanh).

    Returns:
        An array of the shape of ``z``.
    """
    # TODO(S1.1): 1 - tanh(z)**2.
    raise NotImplementedError("S1.1: tanh_derivative")


# EXERCISE S1.1 — relu
def relu(z: np.ndarray) -> np.ndarray:
    """The rectified linear unit ``ReLU(z) = max(0, z)``, elementwise.

    It does not saturate for positive inputs and is cheap to compute, which is why it became
    the default activation of hidden layers.

    Args:
        z: an array of any shape.

    Returns:
        An array of the shape of ``z``.
    """
    # TODO(S1.1): np.maximum(0, z).
    raise NotImplementedError("S1.1: relu")


# EXERCISE S1.1 — relu_derivative
def relu_derivative(z: np.ndarray) -> np.ndarray:
    """``d ReLU / dz``: 1 where ``z > 0``, 0 where ``z <= 0`` (at 0 we take 0, as PyTorch does).

    Args:
        z: an array of any shape (the input of the ReLU).

    Returns:
        An array of 0s and 1s of the shape of ``z``.
    """
    # TODO(S1.1): 1 where z > 0, else 0 (strictly greater: the derivative at 0 is 0).
    raise NotImplementedError("S1.1: relu_derivative")


# EXERCISE S1.1 — leaky_relu
def leaky_relu(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """Leaky ReLU ``max(alpha * z, z)``: ``z`` where ``z > 0``, ``alpha * z`` elsewhere.

    The small slope ``alpha`` for negative inputs keeps a unit that only receives negative
    inputs from "dying": a plain ReLU passes no gradient there, ever again.

    Args:
        z: an array of any shape.
        alpha: the slope for negative inputs (the "leak").

    Returns:
        An array of the shape of ``z``.
    """
    # TODO(S1.1): z where z > 0, alpha * z elsewhere (np.where).
    raise NotImplementedError("S1.1: leaky_relu")


# EXERCISE S1.1 — leaky_relu_derivative
def leaky_relu_derivative(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """``d LeakyReLU / dz``: 1 where ``z > 0``, ``alpha`` where ``z <= 0``.

    Args:
        z: an array of any shape (the input of the leaky ReLU).
        alpha: the slope for negative inputs.

    Returns:
        An array of the shape of ``z``.
    """
    # TODO(S1.1): 1 where z > 0, alpha elsewhere.
    raise NotImplementedError("S1.1: leaky_relu_derivative")


# EXERCISE S1.1 — step
def step(z: np.ndarray) -> np.ndarray:
    """The Heaviside step of the perceptron: 1 where ``z >= 0``, 0 where ``z < 0``.

    Args:
        z: an array of any shape.

    Returns:
        An array of 0s and 1s of the shape of ``z`` (note: ``step(0) = 1``).
    """
    # TODO(S1.1): 1 where z >= 0, else 0.
    raise NotImplementedError("S1.1: step")


# EXERCISE S1.1 — step_derivative
def step_derivative(z: np.ndarray) -> np.ndarray:
    """The derivative of the step: 0 everywhere (we take 0 at ``z = 0`` too, where it is undefined).

    Flat pieces only: gradient descent gets no signal through a step, which is why
    backpropagation needs smooth activations.

    Args:
        z: an array of any shape.

    Returns:
        Zeros of the shape of ``z``.
    """
    # TODO(S1.1): zeros of the shape of z.
    raise NotImplementedError("S1.1: step_derivative")


# EXERCISE S1.2 — Linear
class Linear:
    """A fully connected layer ``Y = X W + b``, with its backward pass.

    Shapes: ``X`` is ``(n, d_in)``, ``W`` is ``(d_in, d_out)``, ``b`` is ``(d_out,)`` (added to
    every row), ``Y`` is ``(n, d_out)``. With ``G = dL/dY`` of shape ``(n, d_out)``, the lecture
    derives, entry by entry, the batched formulas::

        dL/dX = G W^T           (n, d_in)
        dL/dW = X^T G           (d_in, d_out)   the sum over the batch of x_i^T g_i
        dL/db = sum_i G[i, :]   (d_out,)        every row of Y got the same b

    ``backward`` *adds* ``dL/dW`` and ``dL/db`` to ``dW`` and ``db`` (two backward calls
    without a ``zero_grad()`` in between give the sum of both gradients), and returns
    ``dL/dX``. It uses the ``X`` of the latest ``forward`` call, which it must keep (a
    reference is fine as long as you never modify it).

    The weights are drawn with He initialization (``N(0, 2 / d_in)``, good for ReLU networks)
    from ``rng``, the bias starts at 0; ``__init__`` is given.

    Args:
        in_features: ``d_in``.
        out_features: ``d_out``.
        rng: the random generator for ``W`` (default: ``np.random.default_rng()``).
        dtype: the dtype of ``W``, ``b`` and the gradients: ``np.float64`` or ``np.float32``,
            or its name (``"float32"``); outputs and gradients keep it.

    Attributes:
        W: ``(d_in, d_out)`` weights; b: ``(d_out,)`` bias.
        dW, db: the accumulated gradients, same shapes and dtype, zeros at first.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        rng: np.random.Generator | None = None,
        dtype: str | type = np.float64,
    ) -> None:
        rng = np.random.default_rng() if rng is None else rng
        scale = np.sqrt(2.0 / in_features)
        self.W = (scale * rng.standard_normal((in_features, out_features))).astype(dtype)
        self.b = np.zeros(out_features, dtype=dtype)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self.X: np.ndarray | None = None

    def forward(self, X: np.ndarray) -> np.ndarray:
        """``X``: ``(n, d_in)`` → ``Y = X W + b``: ``(n, d_out)``; keeps ``X`` for backward."""
        # TODO(S1.2): remember X, return X @ W + b.
        raise NotImplementedError("S1.2: Linear")

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """``grad_out = dL/dY``: ``(n, d_out)`` → ``dL/dX``: ``(n, d_in)``; adds to dW and db."""
        # TODO(S1.2): dW += X^T grad_out, db += grad_out summed over the batch, return grad_out W^T.
        raise NotImplementedError("S1.2: Linear")

    def zero_grad(self) -> None:
        """Set ``dW`` and ``db`` to zeros (same shapes and dtype)."""
        # TODO(S1.2): zero both gradient buffers.
        raise NotImplementedError("S1.2: Linear")

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``[(W, dW), (b, db)]``: each parameter with its gradient, for the optimizer."""
        return [(self.W, self.dW), (self.b, self.db)]


# EXERCISE S1.3 — ReLU
class ReLU:
    """The ReLU as a layer: ``Y = max(0, X)``, and ``dL/dX = dL/dY * [X > 0]``.

    The derivative is taken at *this layer's own input* from the latest ``forward`` (a network
    holds several ReLU layers, each with its own mask). No parameters.
    """

    def forward(self, X: np.ndarray) -> np.ndarray:
        """``X`` of any shape → ``max(0, X)`` of the same shape; keeps what backward needs."""
        # TODO(S1.3): store the mask X > 0 on self, return max(0, X).
        raise NotImplementedError("S1.3: ReLU")

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """``dL/dY`` (the shape of X) → ``dL/dX = dL/dY`` where X > 0, else 0."""
        # TODO(S1.3): let the gradient through where this layer's input was positive.
        raise NotImplementedError("S1.3: ReLU")

    def zero_grad(self) -> None:
        """Nothing to do: no parameters."""

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """No parameters: ``[]``."""
        return []


# EXERCISE S1.3 — Sigmoid
class Sigmoid:
    """The logistic function as a layer: ``Y = sigma(X)``, ``dL/dX = dL/dY * Y * (1 - Y)``.

    Keep the *output* ``Y`` in ``forward``: the derivative is cheapest written with it. Stay
    finite for large ``|X|`` (see ``logistic``). No parameters.
    """

    def forward(self, X: np.ndarray) -> np.ndarray:
        """``X`` of any shape → ``sigma(X)`` of the same shape and dtype; keeps the output."""
        # TODO(S1.3): compute sigma(X) stably, store it on self, return it.
        raise NotImplementedError("S1.3: Sigmoid")

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """``dL/dY`` → ``dL/dX = dL/dY * Y * (1 - Y)``."""
        # TODO(S1.3): use the stored output Y.
        raise NotImplementedError("S1.3: Sigmoid")

    def zero_grad(self) -> None:
        """Nothing to do: no parameters."""

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """No parameters: ``[]``."""
        return []


# EXERCISE S1.3 — Tanh
class Tanh:
    """``tanh`` as a layer: ``Y = tanh(X)``, ``dL/dX = dL/dY * (1 - Y**2)``. No parameters."""

    def forward(self, X: np.ndarray) -> np.ndarray:
        """``X`` of any shape → ``tanh(X)`` of the same shape and dtype; keeps the output."""
        # TODO(S1.3): store Y = np.tanh(X) on self and return it.
        raise NotImplementedError("S1.3: Tanh")

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """``dL/dY`` → ``dL/dX = dL/dY * (1 - Y**2)``."""
        # TODO(S1.3): use the stored output Y.
        raise NotImplementedError("S1.3: Tanh")

    def zero_grad(self) -> None:
        """Nothing to do: no parameters."""

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """No parameters: ``[]``."""
        return []


# EXERCISE S1.4 — softmax
def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax ``p_ij = exp(z_ij) / sum_k exp(z_ik)``, stable for large logits.

    Subtracting each row's maximum first changes nothing mathematically (it cancels between
    numerator and denominator) but keeps ``exp`` from overflowing: ``exp(1000)`` is ``inf``
    and ``inf / inf`` is NaN.

    Args:
        logits: ``(n, k)`` scores, one row per example.

    Returns:
        ``(n, k)`` probabilities: non-negative, each row sums to 1.
    """
    # TODO(S1.4): subtract the row max (keepdims=True), exponentiate, divide by the row sum.
    raise NotImplementedError("S1.4: softmax")


# EXERCISE S1.4 — softmax_cross_entropy
def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of the softmax of ``logits`` against labels ``y``, and its gradient.

    With ``p = softmax(z)`` row by row and ``n`` examples::

        L = -(1/n) sum_i log p_{i, y_i}
          = (1/n) sum_i (logsumexp(z_i) - z_{i, y_i})      (stable: no log of 0)
        dL/dz = (p - onehot(y)) / n                          (the 1/n of the mean!)

    This is ``nn.CrossEntropyLoss()`` (reduction ``"mean"``) with its backward. Finite for
    logits in the thousands: subtract each row's max before ``exp``.

    Args:
        logits: ``(n, k)`` scores.
        y: ``(n,)`` integer class labels in ``0 .. k-1``.

    Returns:
        ``(loss, grad)``: the loss as a Python float, and ``dL/dlogits`` of shape ``(n, k)``.
    """
    # TODO(S1.4): loss from logsumexp of the shifted logits, grad = (softmax - onehot) / n.
    raise NotImplementedError("S1.4: softmax_cross_entropy")


# EXERCISE S1.5 — numerical_gradient
def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """The gradient of a scalar function by central differences, one entry at a time::

        df/dx_j ~ (f(x + eps e_j) - f(x - eps e_j)) / (2 eps)

    The central difference is exact up to ``O(eps^2)``; the one-sided
    ``(f(x + eps e_j) - f(x)) / eps`` only up to ``O(eps)``. Slow (two calls of ``f`` per
    entry), but needs nothing but ``f`` itself: the trusted answer to compare backprop with.

    ``x`` may be nudged in place while you evaluate ``f``, but must hold its original values
    when the function returns (``f`` may read the very array you nudge, e.g. a layer's ``W``).

    Args:
        f: a function of ``x`` returning a number.
        x: a float64 array of any shape, the point at which to differentiate.
        eps: the step.

    Returns:
        An array of the shape of ``x``: the estimated gradient.
    """
    # TODO(S1.5): for each index (np.ndindex), nudge x by +eps and -eps, restore it.
    raise NotImplementedError("S1.5: numerical_gradient")


# EXERCISE S1.5 — gradient_check
def gradient_check(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    grad: np.ndarray,
    eps: float = 1e-6,
    tol: float = 1e-6,
) -> tuple[bool, float]:
    """Compare an analytic gradient with the numerical one.

    With ``g`` the numerical gradient of ``f`` at ``x`` (central differences, step ``eps``),
    the relative error is::

        err = ||grad - g|| / max(||grad|| + ||g||, 1e-12)        (Euclidean norms)

    about 1e-10 for a correct float64 gradient, about 1 for a wrong one. The check passes when
    ``err < tol``. ``x`` is left as it was.

    Args:
        f: a function of ``x`` returning a number.
        x: float64 array, the point.
        grad: the analytic gradient to check, the shape of ``x``.
        eps: the finite-difference step.
        tol: the largest relative error accepted.

    Returns:
        ``(ok, err)``: whether the gradient passes, and the relative error as a float.
    """
    # TODO(S1.5): g = numerical_gradient(f, x, eps), then err as above; ok = err < tol.
    raise NotImplementedError("S1.5: gradient_check")


# EXERCISE S1.6 — Sequential
class Sequential:
    """Layers applied in order; backward runs them in reverse, chaining the gradients.

    ``forward(X) = layers[-1].forward(... layers[0].forward(X))``; ``backward(G)`` passes
    ``G = dL/d(output)`` to the last layer, its result to the one before, and so on, and
    returns ``dL/dX``. Each layer accumulates its own parameter gradients on the way.

    Args:
        layers: objects with ``forward``, ``backward``, ``zero_grad`` and ``parameters``.

    Attributes:
        layers: the list of layers.
    """

    def __init__(self, layers: list) -> None:
        self.layers = list(layers)

    def forward(self, X: np.ndarray) -> np.ndarray:
        """The output of the last layer."""
        # TODO(S1.6): feed X through every layer in order.
        raise NotImplementedError("S1.6: Sequential")

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """``dL/d(output)`` → ``dL/dX``, through the layers in reverse order."""
        # TODO(S1.6): feed grad_out through layer.backward, last layer first.
        raise NotImplementedError("S1.6: Sequential")

    def zero_grad(self) -> None:
        """Zero the gradients of every layer."""
        # TODO(S1.6): call zero_grad on every layer.
        raise NotImplementedError("S1.6: Sequential")

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Every layer's ``(value, gradient)`` pairs, first layer first, in each layer's order."""
        # TODO(S1.6): concatenate layer.parameters() over the layers.
        raise NotImplementedError("S1.6: Sequential")


# EXERCISE S1.6 — sgd_fit
def sgd_fit(
    model: "Sequential",
    loss_fn: Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]],
    X: np.ndarray,
    y: np.ndarray,
    *,
    lr: float = 0.1,
    weight_decay: float = 1e-4,
    epochs: int = 30,
    batch_size: int = 32,
    seed: int = 0,
) -> list[float]:
    """Train ``model`` by mini-batch SGD with weight decay, by hand.

    Every epoch shuffles the examples with ``rng = np.random.default_rng(seed)`` (one generator
    for the whole run: ``order = rng.permutation(n)`` once per epoch) and walks through them in
    batches of ``batch_size`` (the last one may be smaller). For each batch::

        model.zero_grad()
        loss, grad = loss_fn(model.forward(X_batch), y_batch)
        model.backward(grad)
        for p, g in model.parameters():
            p -= lr * (g + weight_decay * p)        # in place: p is the model's own array

    which is ``torch.optim.SGD(lr=lr, weight_decay=weight_decay)``: the update of the loss
    plus the L2 penalty ``(weight_decay / 2) * ||p||^2`` on every parameter, biases included.

    Args:
        model: has ``forward``, ``backward``, ``zero_grad`` and ``parameters`` (a Sequential).
        loss_fn: ``(logits, y) -> (loss, dloss/dlogits)``, e.g. ``softmax_cross_entropy``.
        X: ``(n, d)`` inputs; y: ``(n,)`` labels.
        lr, weight_decay: the step size and the decay coefficient.
        epochs, batch_size, seed: as above.

    Returns:
        One float per epoch: the mean of the batch losses weighted by batch size (the mean
        loss over the training examples as they were seen during that epoch).
    """
    # TODO(S1.6): epochs x shuffled batches; zero_grad, forward, loss, backward, update in place.
    raise NotImplementedError("S1.6: sgd_fit")


# EXERCISE S1.7 — Perceptron
class Perceptron:
    """Rosenblatt's perceptron: one linear threshold unit trained by the perceptron rule.

    Prediction: ``y_hat = step(x . w + b)`` with the Heaviside step (``step(0) = 1``). Training
    visits the examples in their given order (no shuffling) and, for each one, applies::

        w <- w + lr * (y - y_hat) * x
        b <- b + lr * (y - y_hat)

    which changes nothing when the prediction is right and moves the boundary towards the
    example when it is wrong. ``w`` and ``b`` start at 0. An epoch is one pass; the number of
    mistakes in it is the number of examples with ``y_hat != y`` at the moment they were
    visited. Training stops after the first epoch without a mistake, or after ``max_epochs``.
    On linearly separable data it always stops (the perceptron convergence theorem); on data
    that no line separates (moons) it never does.

    Args:
        lr: the learning rate ``eta``.
        max_epochs: the most passes over the data.

    Attributes:
        w: ``(d,)`` float64 weights, b: the bias (a float); set by ``fit``.
    """

    def __init__(self, lr: float = 1.0, max_epochs: int = 100) -> None:
        self.lr = lr
        self.max_epochs = max_epochs
        self.w: np.ndarray | None = None
        self.b = 0.0

    def fit(self, X: np.ndarray, y: np.ndarray) -> list[int]:
        """Train on ``X``: ``(n, d)``, ``y``: ``(n,)`` of 0/1; returns the mistakes per epoch."""
        # TODO(S1.7): w = zeros(d), b = 0; per epoch visit examples in order, apply the rule.
        raise NotImplementedError("S1.7: Perceptron")

    def predict(self, X: np.ndarray) -> np.ndarray:
        """``(n, d)`` → ``(n,)`` predictions, 0 or 1: ``step(X w + b)``."""
        # TODO(S1.7): 1 where X @ w + b >= 0, else 0.
        raise NotImplementedError("S1.7: Perceptron")
