"""1.7 SGD with weight decay: l2_penalty and fit.

fit is exercised on trusted probe networks (``small_net``, wrapped in a ``Recorder`` where the
test needs to see the batches), never on the student's make_mlp: a mistake in 1.6 costs 1.6.
"""

import copy

import pytest
import torch

from torchgrade import expect
from torchgrade.probes.hw1_basics import bce_with_logits, small_net

pytestmark = pytest.mark.section("1.7")

PROBES = "torchgrade.probes.hw1_basics"

# The weight-decay test's procedure; bench/thresholds.py runs the reference through it.
DECAY = {"lr": 0.1, "epochs": 20, "batch_size": 32, "weight_decay": 0.1}
DECAY_DATA = {"n": 200, "d": 2}
MAX_NORM_RATIO = 0.9  # ‖θ‖ with weight decay / ‖θ‖ without, same seed and start


def linear_data(seed: int, n: int, d: int):
    """Features and noisy labels of a linear rule (not separable)."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g)
    y = (X @ torch.randn(d, 1, generator=g)).reshape(-1) + torch.randn(n, generator=g) > 0
    return X, y.float()


def twin_values(seed: int, in_features: int, width: int, batch_norm: bool = False) -> dict:
    """Parameter values for ``small_net``, drawn from ``seed``."""
    g = torch.Generator().manual_seed(seed)
    shapes = {
        name: p.shape for name, p in small_net(in_features, width, batch_norm).named_parameters()
    }
    return {name: torch.randn(shape, generator=g) * 0.7 for name, shape in shapes.items()}


def local_net(values: dict, in_features: int, width: int, batch_norm: bool = False):
    net = small_net(in_features, width, batch_norm)
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.copy_(values[name])
    return net


def _remote_net(
    student, values: dict, in_features: int, width: int, batch_norm=False, record=False
):
    probes = student.import_module(PROBES)
    net = probes.small_net(in_features, width, batch_norm)
    student.probes.set_parameters(net, values)
    return probes.Recorder(net) if record else net


def _flat(params: dict) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for _, p in sorted(params.items())])


# ----------------------------------------------------------------------------- l2_penalty


@pytest.mark.points(0.25)
@pytest.mark.public
def test_l2_penalty_known_value(student):
    model = student.torch.nn.Linear(2, 1)
    student.probes.set_parameters(
        model, {"weight": torch.tensor([[1.0, -2.0]]), "bias": torch.tensor([3.0])}
    )
    for C, expected in ((0.5, 7.0), (2.0, 28.0)):
        what = f"l2_penalty(model, C={C}) for nn.Linear with weight [[1, -2]] and bias [3]"
        value = expect.scalar(student.hw1_basics.l2_penalty(model, C), what=what)
        expect.close(value, torch.tensor(expected), what=what + " (C · Σ θ² over all parameters)")


@pytest.mark.points(0.25)
def test_l2_penalty_value_and_gradient_match_reference(student, ref, seed):
    g = torch.Generator().manual_seed(seed)
    C = round(float(torch.rand(1, generator=g)) * 2 + 0.01, 3)
    values = twin_values(seed, 3, 5, batch_norm=True)
    local = local_net(values, 3, 5, batch_norm=True)
    model = _remote_net(student, values, 3, 5, batch_norm=True)
    expected = ref.hw1_basics.l2_penalty(local, C)
    expected.backward()
    what = f"l2_penalty(model, C={C}) for Linear(3, 5) → BatchNorm1d(5) → Tanh → Linear(5, 1)"
    result = student.probes.backward(student.hw1_basics.l2_penalty, model, C, params_of=model)
    value = expect.scalar(result["output"], what=what)
    expect.close(value, expected, what=what + " (all parameters, biases and γ, β included)")
    for name, param in local.named_parameters():
        grad = result["param_grads"].get(name)
        assert grad is not None, f"{what} should be differentiable with respect to {name}"
        expect.close(grad, param.grad, what=f"the gradient of {what} with respect to {name}")


@pytest.mark.points(0.25)
def test_weight_decay_2c_step_equals_step_on_loss_plus_l2_penalty(student, seed):
    g = torch.Generator().manual_seed(seed)
    C = round(float(torch.rand(1, generator=g)) * 0.5 + 0.01, 3)
    lr = round(float(torch.rand(1, generator=g)) * 0.5 + 0.05, 3)
    X, y = linear_data(seed, 30, 3)
    values = twin_values(seed, 3, 6, batch_norm=True)
    local = local_net(values, 3, 6, batch_norm=True)
    optimizer = torch.optim.SGD(local.parameters(), lr=lr, weight_decay=2 * C)
    bce_with_logits(local(X), y).backward()
    optimizer.step()
    model = _remote_net(student, values, 3, 6, batch_norm=True)
    got = student.import_module(PROBES).sgd_step_with_penalty(
        model, X, y, student.hw1_basics.l2_penalty, C, lr
    )
    for name, param in local.named_parameters():
        expect.close(
            got[name],
            param,
            what=(
                f"{name} after one SGD step (lr={lr}) on BCE + l2_penalty(model, C={C}), "
                f"which should equal one step with weight_decay=2C"
            ),
        )


# ----------------------------------------------------------------------------- fit


@pytest.mark.points(0.25)
@pytest.mark.public
def test_fit_trains_in_train_mode_and_leaves_eval_mode(student, seed, worker_seed):
    X, y = linear_data(seed, 50, 2)
    model = _remote_net(student, twin_values(seed, 2, 8), 2, 8, record=True)
    model.eval()  # fit must switch to train() itself
    what = "fit(model, X, y, epochs=4, batch_size=16) for X of shape (50, 2)"
    expect.losses(
        student.hw1_basics.fit(model, X, y, epochs=4, batch_size=16, seed=worker_seed), 4, what
    )
    batches = [training for training, size in model.calls() if size <= 16]
    assert batches, f"{what} never called the model on a mini-batch"
    assert all(batches), f"{what} should call model.train() before training on the mini-batches"
    assert not student.probes.is_training(model), f"{what} should leave the model in eval() mode"


@pytest.mark.points(0.25)
def test_fit_steps_and_losses_match_reference(student, ref, seed, worker_seed):
    """Two runs whose outcome does not depend on how the rows are shuffled.

    With batch_size >= n every epoch is one full-batch step: the weights after ``epochs``
    steps (with weight decay) must be the reference's, and the losses too, accepted as
    computed before each step (the docstring) or after it. With lr=0 the model never changes,
    so every epoch's mean loss over mini-batches (n a multiple of batch_size, so weighted and
    unweighted means agree) is the BCE of the whole data set: not a sum, not one batch's loss.
    """
    g = torch.Generator().manual_seed(seed)
    n, d = (
        int(torch.randint(20, 100, (1,), generator=g)),
        int(torch.randint(1, 5, (1,), generator=g)),
    )
    epochs = int(torch.randint(2, 7, (1,), generator=g))
    lr = round(float(torch.rand(1, generator=g)) * 0.4 + 0.1, 3)
    weight_decay = round(float(torch.rand(1, generator=g)) * 0.2 + 0.02, 3)
    batch_size = n + int(torch.randint(0, 50, (1,), generator=g))
    X, y = linear_data(seed, n, d)
    if seed % 2:
        y = y.reshape(n, 1)  # both label shapes, across runs
    values = twin_values(seed, d, 7)
    kwargs = {"lr": lr, "weight_decay": weight_decay, "batch_size": batch_size, "seed": worker_seed}
    model = _remote_net(student, values, d, 7)
    what = (
        f"fit(model, X, y, lr={lr}, weight_decay={weight_decay}, epochs={epochs}, "
        f"batch_size={batch_size}) for X of shape ({n}, {d})"
    )
    losses = expect.losses(
        student.hw1_basics.fit(model, X, y, epochs=epochs, **kwargs), epochs, what
    )
    local = local_net(values, d, 7)
    longer = copy.deepcopy(local)
    expected = ref.hw1_basics.fit(local, X, y, epochs=epochs, **kwargs)
    shifted = ref.hw1_basics.fit(longer, X, y, epochs=epochs + 1, **kwargs)[1:]
    params = student.probes.named_parameters(model)
    for name, param in local.named_parameters():
        expect.close(params[name], param, what=f"{name} after {what}", rtol=1e-4, atol=1e-5)
    got = torch.tensor(losses, dtype=torch.float64)
    assert any(
        torch.allclose(got, torch.tensor(e, dtype=torch.float64), rtol=1e-4, atol=1e-6)
        for e in (expected, shifted)
    ), (
        f"{what} should return each epoch's mean BCE with logits; "
        "the losses differ from the expected ones"
    )
    batch_size = int(torch.randint(4, 12, (1,), generator=g))
    n = batch_size * int(torch.randint(3, 8, (1,), generator=g))
    X, y = linear_data(seed + 1, n, d)
    model = _remote_net(student, values, d, 7)
    what = f"fit(model, X, y, lr=0.0, epochs=3, batch_size={batch_size}) for {n} rows"
    losses = expect.losses(
        student.hw1_basics.fit(
            model, X, y, lr=0.0, epochs=3, batch_size=batch_size, seed=worker_seed
        ),
        3,
        what,
    )
    with torch.no_grad():
        expected = bce_with_logits(local_net(values, d, 7)(X), y).item()
    assert all(abs(loss - expected) <= 1e-4 * abs(expected) + 1e-6 for loss in losses), (
        f"{what} (the model does not change) should return the mean BCE over all rows, "
        f"{expected:.6g}, for every epoch; got {[round(v, 6) for v in losses]}"
    )


@pytest.mark.points(0.25)
def test_fit_uses_mini_batches_of_batch_size(student, seed, worker_seed):
    g = torch.Generator().manual_seed(seed)
    batch_size = int(torch.randint(8, 33, (1,), generator=g))
    full = int(torch.randint(3, 8, (1,), generator=g))
    rest = int(torch.randint(2, batch_size, (1,), generator=g))  # never a 1-row last batch
    n, epochs = full * batch_size + rest, 3
    X, y = linear_data(seed, n, 2)
    model = _remote_net(student, twin_values(seed, 2, 6), 2, 6, record=True)
    what = f"fit(model, X, y, epochs={epochs}, batch_size={batch_size}) for {n} rows"
    student.hw1_basics.fit(model, X, y, epochs=epochs, batch_size=batch_size, seed=worker_seed)
    sizes = [size for training, size in model.calls() if training]
    assert sizes.count(batch_size) == epochs * full, (
        f"{what} should train on {full} batches of {batch_size} rows per epoch "
        f"({epochs * full} in all), got {sizes.count(batch_size)} "
        f"(batch sizes seen in train mode: {sorted(set(sizes)) or 'none'})"
    )
    others = sorted({size for size in sizes if size != batch_size})
    assert others in ([], [rest]) and sizes.count(rest) <= epochs, (
        f"{what}: besides the full batches, each epoch has one last batch of {rest} rows; "
        f"the model was also trained on batches of sizes {others}"
    )


@pytest.mark.points(0.25)
def test_fit_is_deterministic_for_a_seed(student, seed, worker_seed):
    """Two fits of identical models with the same ``seed`` give identical weights, and a
    different ``seed`` gives different ones. The global RNG is reset to the same state before
    each fit, so a fit that draws dropout masks from it is not penalised; a fit that ignores
    ``seed`` (or does not shuffle) gives the same weights for both seeds."""
    X, y = linear_data(seed, 90, 2)
    values = twin_values(seed, 2, 6)
    fit = student.hw1_basics.fit
    results = []
    for fit_seed in (worker_seed, worker_seed, worker_seed + 1):
        model = _remote_net(student, values, 2, 6)
        student.torch.manual_seed(12345)
        fit(model, X, y, lr=0.2, epochs=3, batch_size=16, seed=fit_seed)
        results.append(_flat(student.probes.named_parameters(model)))
    what = "fit(model, X, y, epochs=3, batch_size=16, seed=s)"
    assert torch.equal(results[0], results[1]), (
        f"{what} twice on identical models with the same seed should give identical weights"
    )
    # Not bitwise: one full-batch step per epoch sums the same rows in another order for
    # another seed, so its weights differ by rounding only, on some seeds and not on others.
    # Mini-batches in another order differ far more than this tolerance.
    assert not torch.allclose(results[0], results[2], rtol=1e-4, atol=1e-6), (
        f"{what} with two different seeds gave the same weights: the order of the rows should "
        "be shuffled every epoch, from the seed, into mini-batches"
    )


@pytest.mark.points(0.25)
def test_fit_weight_decay_shrinks_the_weights(student, seed, worker_seed):
    """The same fit (same start, same seed) with and without weight decay: the parameter norm
    with it must be at most MAX_NORM_RATIO of the norm without (bench/thresholds.py gives the
    reference's ratios over 100 seeds)."""
    X, y = linear_data(seed, **DECAY_DATA)
    values = twin_values(seed, DECAY_DATA["d"], 8)
    norms = []
    for weight_decay in (0.0, DECAY["weight_decay"]):
        model = _remote_net(student, values, DECAY_DATA["d"], 8)
        student.torch.manual_seed(12345)
        student.hw1_basics.fit(
            model, X, y, **{**DECAY, "weight_decay": weight_decay}, seed=worker_seed
        )
        norms.append(_flat(student.probes.named_parameters(model)).norm().item())
    ratio = norms[1] / norms[0]
    assert ratio <= MAX_NORM_RATIO, (
        f"fit with weight_decay={DECAY['weight_decay']} should end with smaller weights than "
        f"without: the parameter norm is {norms[1]:.3g} with it and {norms[0]:.3g} without"
    )
