"""4.4 train_vae: Adam on -elbo in shuffled mini-batches, all randomness from one generator.

Every test first swaps the grader's ``reparameterize``, ``kl_divergence`` and ``elbo`` into the
submission's module and trains the grader's own ``ProbeVAE``: a mistake in 4.1-4.3 costs those
sections only. The trained model comes back as weights and is judged here, on digits the
training never saw. The data and the initial weights come from the data seed, here; the
worker gets the training images, the weights and, as ``train_vae``'s own seed, the worker seed:
nothing from which the held-out draw (``heldout_gain``'s z) follows.
"""

import pytest
import torch
from torch.nn import functional as F

from torchgrade import expect
from torchgrade.datasets.digits import digits_split
from torchgrade.probes.hw4_generative import ProbeVAE, elbo, initial_values, with_values

pytestmark = pytest.mark.section("4.4")

PROBES = "torchgrade.probes.hw4_generative"
# The outcome test's model and the reference's figures: bench/thresholds_hw4_generative.py.
ARCH = (64, 128, 2)
MIN_GAIN = 0.8  # held-out ELBO minus the best pixel-independent model's log-likelihood, nats


def _isolated(student):
    student.import_module(PROBES).use_trusted_vae_parts(student.hw4_generative)
    return student.hw4_generative


def _remote_vae(student, values: dict, args: tuple):
    return student.import_module(PROBES).probe_vae(values, args[1], args[2])


def baseline_log_likelihood(X_train: torch.Tensor, X_test: torch.Tensor) -> float:
    """Mean held-out log-likelihood of the best model without a latent code: every pixel an
    independent Bernoulli with its training-set mean."""
    p = X_train.mean(dim=0).clamp(1e-4, 1 - 1e-4).logit().expand_as(X_test)
    return -F.binary_cross_entropy_with_logits(p, X_test, reduction="sum").item() / len(X_test)


def heldout_gain(values: dict, X_train: torch.Tensor, X_test: torch.Tensor, seed: int) -> float:
    """Held-out ELBO (one z per image, from ``seed``) of a ProbeVAE with ``values``, minus
    :func:`baseline_log_likelihood`: what the latent code buys, in nats per image."""
    model = with_values(ProbeVAE(*ARCH), values)
    with torch.no_grad():
        bound = elbo(X_test, *model(X_test, torch.Generator().manual_seed(seed))).item()
    return bound - baseline_log_likelihood(X_train, X_test)


def _small_run(seed: int, run_seed: int):
    """Small random data and settings from the data ``seed``; ``run_seed`` (the worker seed) is
    the one passed to ``train_vae``."""
    g = torch.Generator().manual_seed(seed)
    batch_size = int(torch.randint(8, 20, (1,), generator=g))
    n = batch_size * int(torch.randint(2, 5, (1,), generator=g))
    X = torch.rand(n, 64, generator=g)
    beta = round(float(torch.rand(1, generator=g)) * 2 + 1.5, 3)
    lr = round(float(torch.rand(1, generator=g)) * 0.02 + 0.005, 4)
    return X, {"epochs": 2, "batch_size": batch_size, "lr": lr, "beta": beta, "seed": run_seed}


@pytest.mark.points(0.25)
@pytest.mark.public
def test_train_vae_returns_a_loss_per_epoch_and_learns(student, seed, worker_seed):
    hw = _isolated(student)
    args = (64, 32, 2)
    values = initial_values(ProbeVAE, seed, *args)
    model = _remote_vae(student, values, args)
    X = digits_split(0)[0][:256]
    what = "train_vae(model, X, epochs=4, batch_size=32) for 256 digits"
    losses = expect.losses(
        hw.train_vae(model, X, epochs=4, batch_size=32, seed=worker_seed), 4, what
    )
    assert losses[-1] < losses[0], f"{what}: the loss (-elbo) should go down, got {losses}"
    after = student.probes.named_parameters(model)
    assert any(not torch.equal(after[k], v) for k, v in values.items()), (
        f"{what} did not change the model's parameters"
    )


@pytest.mark.points(0.5)
def test_train_vae_matches_reference(student, ref, seed, worker_seed):
    """The documented procedure replayed: same start, same data, same seed, so the same
    shuffles, the same z and the same Adam steps; beta != 1 so that it must be passed on."""
    X, kwargs = _small_run(seed, worker_seed)
    args = (64, 16, 2)
    values = initial_values(ProbeVAE, seed, *args)
    model = _remote_vae(student, values, args)
    what = "train_vae(model, X, {}) for X of shape {}".format(
        ", ".join(f"{k}={v}" for k, v in kwargs.items()), expect.shape_text(X.shape)
    )
    losses = expect.losses(_isolated(student).train_vae(model, X, **kwargs), 2, what)
    local = with_values(ProbeVAE(*args), values)
    expected = ref.hw4_generative.train_vae(local, X, **kwargs)
    got = student.probes.named_parameters(model)
    for name, param in local.named_parameters():
        expect.close(got[name], param, what=f"{name} after {what}", rtol=1e-3, atol=1e-5)
    assert torch.allclose(
        torch.tensor(losses, dtype=torch.float64),
        torch.tensor(expected, dtype=torch.float64),
        rtol=1e-4,
        atol=1e-4,
    ), (
        f"{what} should return each epoch's mean of -elbo over its batches: "
        f"expected {[round(v, 4) for v in expected]}, got {[round(v, 4) for v in losses]}"
    )


@pytest.mark.points(0.25)
def test_train_vae_is_deterministic_for_a_seed(student, seed, worker_seed):
    """The same seed gives the same weights whatever torch's global RNG did before; another seed
    gives other weights (the shuffles and z come from the seeded generator)."""
    X, kwargs = _small_run(seed, worker_seed)
    args = (64, 16, 2)
    values = initial_values(ProbeVAE, seed, *args)
    hw = _isolated(student)
    results = []
    for global_seed, run_seed in ((1, worker_seed), (2, worker_seed), (1, worker_seed + 1)):
        model = _remote_vae(student, values, args)
        student.torch.manual_seed(global_seed)
        hw.train_vae(model, X, **{**kwargs, "seed": run_seed})
        params = student.probes.named_parameters(model)
        results.append(torch.cat([params[k].reshape(-1) for k in sorted(params)]))
    what = "train_vae(model, X, seed=s)"
    assert torch.equal(results[0], results[1]), (
        f"{what} twice from the same start with the same seed should give identical weights: "
        "draw the shuffles and z from torch.Generator().manual_seed(seed), not the global RNG"
    )
    assert not torch.equal(results[0], results[2]), (
        f"{what} with two different seeds gave identical weights: shuffle every epoch and draw "
        "z from the seeded generator"
    )


@pytest.mark.points(1)
@pytest.mark.timeout(120)
def test_train_vae_reaches_a_heldout_elbo_on_digits(student, seed, worker_seed):
    """train_vae with its defaults on 1497 digits; the ELBO on 300 held-out digits must beat
    the best latent-free model by MIN_GAIN nats per image (the bench gives the reference's
    worst, mean and best gain over 100 seeds)."""
    X_train, X_test, _, _ = digits_split(seed)
    values = initial_values(ProbeVAE, seed, *ARCH)
    model = _remote_vae(student, values, ARCH)
    what = f"train_vae(model, X_train) for a VAE{ARCH} and {len(X_train)} digits"
    expect.losses(_isolated(student).train_vae(model, X_train, seed=worker_seed), 20, what)
    trained = student.probes.named_parameters(model)
    gain = heldout_gain(trained, X_train, X_test, seed)
    assert gain >= MIN_GAIN, (
        f"after {what}, the held-out ELBO is only {gain:.2f} nats per image above a model that "
        f"ignores z; at least {MIN_GAIN} was expected"
    )
