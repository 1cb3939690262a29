"""Homework 1 — PyTorch basics, classification and regularization: reference solutions.

The PyTorch lecture (lesson plan "Introduction to PyTorch"): logistic regression on the moons toy
data set, written by hand as an ``nn.Module``, with a numerically stable binary cross-entropy;
then an MLP with the three regularization techniques of the lesson — weight decay, dropout
and batch normalization. The lecture on training neural networks adds the preprocessing
(standardization) and the habit of watching the loss curve.

Every chunk below that starts with a marker line becomes one notebook cell. Each exercise
chunk runs on its own, so it may only use the imports chunk, its own private helpers and
the public names of the homework that the contract tells it to build on.
"""

# IMPORTS — hw1_basics
import torch
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split
from torch import nn


# EXERCISE 1.1 — load_moons
def load_moons(
    n_samples: int = 1000,
    noise: float = 0.2,
    test_size: float = 0.25,
    random_state: int = 0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Two interleaving half-moons, split into a train and a test set.

    ``sklearn.datasets.make_moons`` draws ``n`` points on two half circles (class 0 and
    class 1) and adds Gaussian noise of standard deviation ``noise``;
    ``sklearn.model_selection.train_test_split`` holds out a fraction ``test_size`` of them.
    The same ``random_state`` seeds both calls, so the result is reproducible.

    Args:
        n_samples: total number of points ``n``, train and test together.
        noise: standard deviation of the Gaussian noise added to the points.
        test_size: fraction of the points held out for the test set.
        random_state: seed of both ``make_moons`` and ``train_test_split``.

    Returns:
        ``(X_train, X_test, y_train, y_test)``, all float32 tensors:

        - ``X_train: (n_train, 2)``, ``X_test: (n_test, 2)``: the points;
        - ``y_train: (n_train,)``, ``y_test: (n_test,)``: the labels, ``0.`` or ``1.``;

        with ``n_test = ceil(test_size * n)`` and ``n_train = n - n_test``
        (``train_test_split``'s rule).
    """
    # TODO(1.1): make_moons, then train_test_split, both with random_state; float32 tensors.
    # BEGIN SOLUTION
    X, y = make_moons(n_samples=n_samples, noise=noise, random_state=random_state)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=random_state
    )
    # NumPy gives float64 points and int64 labels; the course works in float32 throughout.
    return tuple(
        torch.as_tensor(a, dtype=torch.float32) for a in (X_train, X_test, y_train, y_test)
    )
    # END SOLUTION


# EXERCISE 1.1 — standardize
def standardize(X_train: torch.Tensor, X_test: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Standardize every feature with the statistics of the training set.

    ``x' = (x - μ) / σ``, where ``μ`` and ``σ`` are the per-feature (per-column) mean and
    standard deviation of ``X_train``. The test set is transformed with the *train*
    statistics: at prediction time we cannot look at the test data, so its mean and spread
    must not leak into the preprocessing (the lecture on training neural networks: subtract the
    mean, divide by the std).

    Either standard deviation is accepted: the population one (divide by ``n``, used here)
    or the sample one (divide by ``n - 1``). A feature with ``σ = 0`` is only centred, as
    ``sklearn.preprocessing.StandardScaler`` does.

    Args:
        X_train: ``(n_train, d)`` training features.
        X_test: ``(n_test, d)`` test features.

    Returns:
        ``(X_train_s, X_test_s)`` of shapes ``(n_train, d)`` and ``(n_test, d)``;
        every column of ``X_train_s`` has mean 0 and standard deviation 1.
    """
    # TODO(1.1): mean and std over the rows (dim=0) of X_train only; apply both to both sets.
    # BEGIN SOLUTION
    mean = X_train.mean(dim=0, keepdim=True)  # (1, d): broadcasts over the rows
    std = X_train.std(dim=0, keepdim=True, correction=0)  # population std (divide by n)
    # A constant column would divide by zero; leave its scale alone instead.
    std = torch.where(std > 0, std, torch.ones_like(std))
    return (X_train - mean) / std, (X_test - mean) / std
    # END SOLUTION


# EXERCISE 1.2 — LinearRegression
class LinearRegression(nn.Module):
    """Linear regression ``f(X) = X @ w + b``, written without ``nn.Linear``.

    ``nn.Parameter`` marks a tensor as trainable: it shows up in ``model.parameters()``, so
    an optimizer updates it, and autograd tracks every operation on it.

    Args:
        in_features: number of input features ``d``.

    Attributes:
        w: ``nn.Parameter`` of shape ``(d, 1)``, initialised with ``torch.randn``.
        b: ``nn.Parameter`` of shape ``(1,)``, initialised with zeros.
    """

    def __init__(self, in_features: int) -> None:
        super().__init__()
        # TODO(1.2): register w (randn, shape (d, 1)) and b (zeros, (1,)) as nn.Parameter.
        # BEGIN SOLUTION
        self.w = nn.Parameter(torch.randn(in_features, 1))
        self.b = nn.Parameter(torch.zeros(1))
        # END SOLUTION

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Predictions of shape ``(n, 1)`` for ``X`` of shape ``(n, d)``."""
        # TODO(1.2): a matrix product plus the bias, shape (n, 1).
        # BEGIN SOLUTION
        return X @ self.w + self.b  # (n, d) @ (d, 1) -> (n, 1); b broadcasts over rows
        # END SOLUTION


# EXERCISE 1.2 — mse_loss
def mse_loss(y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error ``MSE = (1/n) Σ_i (ŷ_i - y_i)²``.

    The classic bug: ``y_pred`` of shape ``(n, 1)`` minus ``y`` of shape ``(n,)`` broadcasts
    to an ``(n, n)`` matrix of every prediction against every target, and the mean of that
    is a wrong number without any error. Reshape explicitly before subtracting.

    Args:
        y_pred: ``(n, 1)`` or ``(n,)`` predictions.
        y: ``(n,)`` or ``(n, 1)`` targets, ``n`` values like ``y_pred``.

    Returns:
        Scalar tensor (shape ``()``), differentiable with respect to ``y_pred``.
    """
    # TODO(1.2): reshape y to y_pred's shape first (an (n, 1) - (n,) difference is (n, n)!).
    # BEGIN SOLUTION
    # reshape (not broadcasting) so that a size mismatch raises instead of averaging n² pairs
    y = y.reshape(y_pred.shape).to(y_pred.dtype)
    return ((y_pred - y) ** 2).mean()
    # END SOLUTION


# EXERCISE 1.3 — LogisticRegression
class LogisticRegression(nn.Module):
    """Logistic regression without the sigmoid: ``f(X) = X @ w``.

    The PyTorch lecture: write ``nn.Linear`` yourself (it is forbidden here) — one weight vector, no
    bias, initialised from N(0, 1). The module returns logits ``z = X @ w``, not
    probabilities: the loss is computed from the logits, which is both simpler and
    numerically safer (1.4), and ``σ(z)`` is applied outside when probabilities are needed.

    Args:
        in_features: number of input features ``d``.

    Attributes:
        w: ``nn.Parameter`` of shape ``(d, 1)``, initialised with ``torch.randn``.
    """

    def __init__(self, in_features: int) -> None:
        super().__init__()
        # TODO(1.3): register w = nn.Parameter(torch.randn(in_features, 1)).
        # BEGIN SOLUTION
        self.w = nn.Parameter(torch.randn(in_features, 1))
        # END SOLUTION

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Logits of shape ``(n, 1)`` for ``X`` of shape ``(n, d)``; no sigmoid here."""
        # TODO(1.3): return the logits X @ w.
        # BEGIN SOLUTION
        return X @ self.w
        # END SOLUTION


# EXERCISE 1.4 — sigmoid
def sigmoid(z: torch.Tensor) -> torch.Tensor:
    """The logistic function ``σ(z) = 1 / (1 + e^{-z})``, elementwise, written by hand.

    ``σ`` maps a logit to a probability in ``[0, 1]``. Written literally, ``e^{-z}``
    overflows to ``inf`` for ``z < -88`` in float32: the value still comes out as 0, but the
    backward pass multiplies ``0 · inf`` and the gradient is NaN. Multiplying numerator and
    denominator by the same factor changes nothing mathematically; choose it so that ``exp``
    never sees a positive argument, and values and gradients stay finite for any ``|z|``
    (``σ(-z) = 1 - σ(z)`` is another way to see it). ``torch.sigmoid`` and friends are
    forbidden here.

    Args:
        z: tensor of any shape, e.g. logits ``(n, 1)``.

    Returns:
        Tensor of the same shape and dtype as ``z``, values in ``[0, 1]``.
    """
    # TODO(1.4): e^(-z) overflows for z << 0; rewrite σ so that no exp gets a positive argument.
    # BEGIN SOLUTION
    # σ(z) = e^{z-m} / (e^{-m} + e^{z-m}) for any m; m = max(z, 0) makes both exponents
    # <= 0 and the denominator lies in [1, 2]. The shift cancels mathematically, so it is a
    # constant for autograd (detach): the gradient is exactly σ(z)(1 - σ(z)), also at z = 0.
    m = z.clamp(min=0).detach()
    top = torch.exp(z - m)  # e^z / e^m, in (0, 1]
    return top / (torch.exp(-m) + top)
    # END SOLUTION


# EXERCISE 1.4 — bce_loss
def bce_loss(X: torch.Tensor, w: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy of logistic regression, computed stably from the logits.

    With logits ``z = X @ w`` and probabilities ``p = σ(z)``::

        BCE = -(1/n) Σ_i [ y_i log p_i + (1 - y_i) log(1 - p_i) ]

    Since ``log σ(z) = -softplus(-z)`` and ``log(1 - σ(z)) = -softplus(z)``, where
    ``softplus(z) = log(1 + e^z)``, each term simplifies to ``softplus(z_i) - y_i z_i``:
    work with the logits, never with ``p``. Computing ``p`` first and then ``log p`` fails for
    large logits: ``σ(-100)`` rounds to 0 and ``log 0 = -inf``. Clamping ``p`` to
    ``[ε, 1 - ε]`` hides the ``inf`` but is wrong: the loss saturates at ``-log ε`` instead
    of ``100`` and the gradient vanishes exactly where the model is most wrong. ``softplus``
    itself must not overflow either (``e^{100}`` is ``inf`` in float32): the log-sum-exp
    trick — factor the larger of ``e^0`` and ``e^z`` out of the sum — keeps it exact and
    finite for any logit. ``F.binary_cross_entropy*``, ``nn.BCELoss`` and
    ``nn.BCEWithLogitsLoss`` are forbidden here.

    Args:
        X: ``(n, d)`` features.
        w: ``(d, 1)`` weights (e.g. ``model.w``); ``(d,)`` works too.
        y: ``(n,)`` or ``(n, 1)`` labels, ``0.`` or ``1.``.

    Returns:
        Scalar tensor (shape ``()``): the mean BCE, differentiable with respect to ``w``.
    """
    # TODO(1.4): BCE = softplus(z) - y·z; write softplus without overflow (log-sum-exp), no clamp.
    # BEGIN SOLUTION
    z = X @ w  # (n, 1) logits, or (n,) for a (d,) weight vector
    y = y.reshape(z.shape).to(z.dtype)  # explicit: (n,) vs (n, 1) must not broadcast to (n, n)
    # softplus(z) = log(e^0 + e^z) = m + log(e^{-m} + e^{z-m}) with m = max(z, 0): both
    # exponents are <= 0, the sum lies in [1, 2]. The shift cancels mathematically, so it is
    # a constant for autograd (detach) and the gradient is exactly σ(z) - y, even at z = 0,
    # where max(z, 0) + log1p(e^{-|z|}) would give the subgradient -y instead.
    m = z.clamp(min=0).detach()
    softplus = m + torch.log(torch.exp(-m) + torch.exp(z - m))
    return (softplus - y * z).mean()
    # END SOLUTION


# EXERCISE 1.5 — train_logreg
def train_logreg(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    lr: float = 0.1,
    epochs: int = 200,
) -> list[float]:
    """Train a :class:`LogisticRegression` by full-batch gradient descent on :func:`bce_loss`.

    One epoch is one step ``w ← w - lr · ∇_w BCE(X, w, y)`` on the whole training set, made
    by ``torch.optim.SGD``: ``zero_grad`` (gradients accumulate otherwise), forward,
    ``backward``, ``step``.

    Args:
        model: a model with a weight parameter ``model.w`` of shape ``(d, 1)``.
        X: ``(n, d)`` training features.
        y: ``(n,)`` or ``(n, 1)`` labels, ``0.`` or ``1.``.
        lr: learning rate.
        epochs: number of gradient steps.

    Returns:
        ``epochs`` Python floats: the loss of every epoch, evaluated *before* that epoch's
        step (so the first entry is the loss of the initial weights).
    """
    # TODO(1.5): once per epoch: zero_grad, loss, backward, step; store loss.item().
    # BEGIN SOLUTION
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = bce_loss(X, model.w, y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())  # .item(): a float, so the graph is not kept alive
    return losses
    # END SOLUTION


# EXERCISE 1.5 — predict_proba
def predict_proba(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """Probabilities of class 1: ``p = σ(model(X))``.

    Runs under ``torch.no_grad()``: prediction needs no graph. The model's mode is left as
    it is; call ``model.eval()`` first for a model with dropout or batch norm.

    Args:
        model: a module mapping ``(n, d)`` features to ``(n, 1)`` logits.
        X: ``(n, d)`` features.

    Returns:
        ``(n,)`` probabilities in ``[0, 1]``.
    """
    # TODO(1.5): under torch.no_grad(): logits -> probabilities, then flatten to (n,).
    # BEGIN SOLUTION
    with torch.no_grad():
        # torch.sigmoid is allowed outside 1.4; it keeps this section independent of it.
        return torch.sigmoid(model(X)).reshape(-1)
    # END SOLUTION


# EXERCISE 1.5 — predict
def predict(model: nn.Module, X: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """Class labels: ``1.`` where ``σ(model(X)) >= threshold``, else ``0.``.

    Args:
        model: a module mapping ``(n, d)`` features to ``(n, 1)`` logits.
        X: ``(n, d)`` features.
        threshold: probability from which class 1 is predicted.

    Returns:
        ``(n,)`` float tensor of ``0.`` and ``1.``.
    """
    # TODO(1.5): compare the probabilities with threshold; booleans -> float.
    # BEGIN SOLUTION
    with torch.no_grad():
        return (predict_proba(model, X) >= threshold).float()
    # END SOLUTION


# EXERCISE 1.5 — accuracy
def accuracy(y_pred: torch.Tensor, y_true: torch.Tensor) -> float:
    """Fraction of correct predictions, ``(1/n) Σ_i [ŷ_i = y_i]``.

    Args:
        y_pred: ``(n,)`` or ``(n, 1)`` predicted labels.
        y_true: ``(n,)`` or ``(n, 1)`` true labels.

    Returns:
        A Python float in ``[0, 1]``.
    """
    # TODO(1.5): flatten both, compare elementwise, average, and return a Python float.
    # BEGIN SOLUTION
    y_pred, y_true = y_pred.reshape(-1), y_true.reshape(-1)
    if y_pred.numel() != y_true.numel():
        raise ValueError(f"{y_pred.numel()} predictions for {y_true.numel()} labels")
    return (y_pred == y_true).float().mean().item()
    # END SOLUTION


# EXERCISE 1.6 — make_mlp
def make_mlp(
    in_features: int,
    hidden: tuple[int, ...] = (64, 64),
    out_features: int = 1,
    p: float = 0.2,
) -> nn.Sequential:
    """A multilayer perceptron with batch normalization and dropout.

    One block per hidden width ``h``: ``Linear → BatchNorm1d(h) → ReLU → Dropout(p)``, then
    a final ``Linear`` to ``out_features`` logits (no sigmoid: the loss takes logits).
    The PyTorch lecture: batch norm standardizes every neuron's output over the batch and rescales
    it with learnt ``γ`` and ``β``; dropout switches off each neuron with probability ``p``
    during training so no single neuron becomes indispensable. Both behave differently in
    ``train()`` and ``eval()`` mode.

    Args:
        in_features: number of input features ``d``.
        hidden: widths of the hidden layers; ``(64, 64)`` gives two blocks.
        out_features: number of output logits.
        p: dropout probability of every ``Dropout`` layer.

    Returns:
        A flat ``nn.Sequential`` of ``4 · len(hidden) + 1`` layers, e.g. for the defaults
        ``Linear(d, 64), BatchNorm1d(64), ReLU, Dropout(0.2), Linear(64, 64), BatchNorm1d(64),
        ReLU, Dropout(0.2), Linear(64, 1)``, mapping ``(n, d)`` to ``(n, out_features)``.
    """
    # TODO(1.6): a list of layers, one 4-layer block per width in hidden, then nn.Sequential.
    # BEGIN SOLUTION
    layers: list[nn.Module] = []
    width = in_features
    for h in hidden:
        layers += [nn.Linear(width, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(p)]
        width = h
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)
    # END SOLUTION


# EXERCISE 1.7 — l2_penalty
def l2_penalty(model: nn.Module, C: float) -> torch.Tensor:
    """The weight-decay term of the PyTorch lecture: ``C · ‖θ‖² = C · Σ θ²`` over all parameters.

    ``θ`` is the vector of *all* parameters of the model (weights, biases, batch-norm ``γ``
    and ``β``). Its gradient is ``2Cθ``, so minimizing ``L + C‖θ‖²`` with SGD is the same as
    ``torch.optim.SGD(..., weight_decay=2 * C)`` on ``L``: every step shrinks the weights by
    a factor ``1 - 2·lr·C`` before the usual update.

    Args:
        model: any module.
        C: regularization strength, a hyperparameter chosen before training.

    Returns:
        Scalar tensor (shape ``()``), differentiable with respect to the parameters.
    """
    # TODO(1.7): sum (param ** 2).sum() over model.parameters(), times C.
    # BEGIN SOLUTION
    total = torch.zeros(())
    for param in model.parameters():
        total = total + (param**2).sum()
    return C * total
    # END SOLUTION


# EXERCISE 1.7 — fit
def fit(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    lr: float = 0.1,
    weight_decay: float = 0.0,
    epochs: int = 100,
    batch_size: int = 64,
    seed: int = 0,
) -> list[float]:
    """Train a binary classifier with shuffled mini-batch SGD and weight decay.

    Every epoch shuffles the rows, cuts them into batches of ``batch_size`` and makes one
    ``torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)`` step per batch
    on the binary cross-entropy with logits. ``weight_decay = 2C`` is the same as adding
    :func:`l2_penalty` ``(model, C)`` to the loss. The model trains in ``train()`` mode
    (dropout active, batch norm on batch statistics) and is left in ``eval()`` mode.

    Details:

    - A last batch of a single row (when ``n % batch_size == 1``, ``n > batch_size``) is
      skipped: ``BatchNorm1d`` cannot compute a batch variance from one value in training
      mode. The rows are reshuffled every epoch, so no row is left out for good.
    - Deterministic for a given ``seed``: draw the order from a local
      ``torch.Generator().manual_seed(seed)``; never reseed the global RNG, it belongs to
      the caller. Dropout masks come from the global RNG; the reference also draws them
      inside ``torch.random.fork_rng()`` seeded with ``seed`` (optional for you), which
      restores the caller's RNG state afterwards.

    Args:
        model: a module mapping ``(n, d)`` features to ``(n, 1)`` logits.
        X: ``(n, d)`` training features.
        y: ``(n,)`` or ``(n, 1)`` labels, ``0.`` or ``1.``.
        lr: learning rate.
        weight_decay: L2 coefficient of ``torch.optim.SGD`` (``2C`` in the PyTorch lecture's
        notation). epochs: number of passes over the data.
        batch_size: rows per batch.
        seed: seed of the shuffling (and of the dropout masks).

    Returns:
        ``epochs`` Python floats: each epoch's mean training loss, i.e. the batch losses
        (computed in train mode, before each step) averaged with the batch sizes as weights.
    """
    # TODO(1.7): train(); shuffle with a local Generator; a step per slice; eval() at the end.
    # BEGIN SOLUTION
    n = X.shape[0]
    y = y.reshape(n, -1)  # (n, 1): one row per sample, whatever shape y came in
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)
    order = torch.Generator().manual_seed(seed)
    losses = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # dropout's RNG, restored when the block ends
        model.train()
        for _ in range(epochs):
            perm = torch.randperm(n, generator=order)
            total, seen = 0.0, 0
            for start in range(0, n, batch_size):
                idx = perm[start : start + batch_size]
                if len(idx) == 1 and start > 0:
                    continue  # a 1-row remainder: BatchNorm1d cannot estimate its variance
                logits = model(X[idx])
                target = y[idx].reshape(logits.shape).to(logits.dtype)
                loss = nn.functional.binary_cross_entropy_with_logits(logits, target)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(idx)
                seen += len(idx)
            losses.append(total / seen)
    model.eval()
    return losses
    # END SOLUTION
