"""4.3 kl_divergence and elbo: the closed-form KL to N(0, I) and the Bernoulli ELBO.

Values and gradients against the reference on random inputs, known values, and one test per
classic mistake: a KL with the wrong sign or averaged over the latent dimensions, a
reconstruction term averaged over the pixels or an ELBO summed over the batch, ``beta``
ignored, and ``log(sigmoid(...))`` that overflows where the loss from logits stays exact.
"""

import math

import pytest
import torch
from torch.nn import functional as F

from torchgrade import expect

pytestmark = pytest.mark.section("4.3")


def _latents(g: torch.Generator, n: int, k: int):
    return torch.randn(n, k, generator=g) * 1.5, torch.randn(n, k, generator=g)


def _batch(seed: int):
    g = torch.Generator().manual_seed(seed)
    n = int(torch.randint(3, 40, (1,), generator=g))
    d = int(torch.randint(5, 70, (1,), generator=g))
    k = int(torch.randint(2, 6, (1,), generator=g))
    x = torch.rand(n, d, generator=g)
    logits = torch.randn(n, d, generator=g) * 3
    mu, logvar = _latents(g, n, k)
    beta = round(float(torch.rand(1, generator=g)) * 3 + 0.2, 3)
    return n, d, k, x, logits, mu, logvar, beta


# ----------------------------------------------------------------------------- KL


@pytest.mark.points(0.25)
@pytest.mark.public
def test_kl_known_values(student):
    mu = torch.tensor([[0.0, 0.0], [1.0, 2.0], [0.0, 0.0]])
    logvar = torch.tensor([[0.0, 0.0], [0.0, 0.0], [math.log(2.0), 0.0]])
    what = "kl_divergence(mu, logvar) for mu = [[0, 0], [1, 2], [0, 0]]"
    kl = expect.tensor(student.hw4_generative.kl_divergence(mu, logvar), what=what, shape=(3,))
    expected = torch.tensor([0.0, 2.5, 0.5 * (2.0 - 1.0 - math.log(2.0))])
    expect.close(kl, expected, what=f"{what}, logvar = [[0, 0], [0, 0], [log 2, 0]]")


@pytest.mark.points(0.25)
def test_kl_sums_over_latent_dimensions(student, seed):
    """KL of a diagonal Gaussian is the SUM of per-dimension KLs: shift mu by 1 in every one of
    k dimensions and the KL grows by k / 2, not 1 / 2 (the mean over dimensions)."""
    k = 2 + seed % 5
    mu = torch.ones(4, k)
    logvar = torch.zeros(4, k)
    what = f"kl_divergence(mu, logvar) for mu = ones(4, {k}), logvar = zeros(4, {k})"
    kl = expect.tensor(student.hw4_generative.kl_divergence(mu, logvar), what=what, shape=(4,))
    expect.close(kl, torch.full((4,), k / 2), what=f"{what} (a sum over the {k} dimensions)")


@pytest.mark.points(0.25)
def test_kl_is_never_negative(student, seed):
    """A divergence is >= 0 and 0 only at the prior; the wrong sign makes it negative."""
    g = torch.Generator().manual_seed(seed)
    mu, logvar = _latents(g, 50, 3)
    what = "kl_divergence(mu, logvar) for random mu and logvar of shape (50, 3)"
    kl = expect.tensor(student.hw4_generative.kl_divergence(mu, logvar), what=what, shape=(50,))
    assert bool((kl >= 0).all()), (
        f"{what} has negative values (the smallest is {kl.min().item():.3g}): "
        "KL = 0.5 * sum(mu² + exp(logvar) - 1 - logvar) is never negative; check the sign"
    )


@pytest.mark.points(0.25)
def test_kl_value_and_gradient_match_reference(student, ref, seed):
    n, _, k, _, _, mu, logvar, _ = _batch(seed)
    what = f"kl_divergence(mu, logvar) for mu, logvar of shape ({n}, {k})"
    upstream = torch.rand(n, generator=torch.Generator().manual_seed(seed + 1))
    result = student.probes.backward(
        student.hw4_generative.kl_divergence, mu, logvar, wrt=[0, 1], upstream=upstream
    )
    mu_l, logvar_l = mu.clone().requires_grad_(), logvar.clone().requires_grad_()
    expected = ref.hw4_generative.kl_divergence(mu_l, logvar_l)
    (expected * upstream).sum().backward()
    expect.close(result["output"], expected, what=what, rtol=1e-4, atol=1e-5)
    for got, want, name in zip(
        result["grads"], (mu_l.grad, logvar_l.grad), ("mu", "logvar"), strict=True
    ):
        assert got is not None, f"{what} should be differentiable with respect to {name}"
        expect.close(
            got, want, what=f"the gradient of {what} with respect to {name}", rtol=1e-4, atol=1e-5
        )


# ----------------------------------------------------------------------------- ELBO


def _elbo(student, x, logits, mu, logvar, beta=None):
    hw = student.hw4_generative
    if beta is None:
        return hw.elbo(x, logits, mu, logvar)
    return hw.elbo(x, logits, mu, logvar, beta=beta)


@pytest.mark.points(0.25)
@pytest.mark.public
def test_elbo_known_value(student):
    """Logits 0 (every pixel 50/50) and the prior itself as q: ELBO = -d · log 2 per image."""
    x = torch.rand(5, 64, generator=torch.Generator().manual_seed(0))
    what = "elbo(x, logits=0, mu=0, logvar=0) for x of shape (5, 64)"
    value = expect.scalar(
        _elbo(student, x, torch.zeros(5, 64), torch.zeros(5, 2), torch.zeros(5, 2)), what=what
    )
    expect.close(
        value,
        torch.tensor(-64 * math.log(2.0)),
        what=f"{what} (the bound itself, summed over pixels: higher is better)",
        rtol=1e-5,
        atol=1e-4,
    )


@pytest.mark.points(0.5)
def test_elbo_value_and_gradients_match_reference(student, ref, seed):
    n, d, k, x, logits, mu, logvar, beta = _batch(seed)
    what = f"elbo(x, logits, mu, logvar, beta={beta}) for x of shape ({n}, {d}), mu ({n}, {k})"
    result = student.probes.backward(
        student.hw4_generative.elbo, x, logits, mu, logvar, beta=beta, wrt=[1, 2, 3]
    )
    leaves = [t.clone().requires_grad_() for t in (logits, mu, logvar)]
    expected = ref.hw4_generative.elbo(x, *leaves, beta=beta)
    expected.backward()
    value = expect.scalar(result["output"], what=what)
    expect.close(value, expected, what=what, rtol=1e-4, atol=1e-4)
    for got, leaf, name in zip(result["grads"], leaves, ("logits", "mu", "logvar"), strict=True):
        assert got is not None, f"{what} should be differentiable with respect to {name}"
        expect.close(
            got,
            leaf.grad,
            what=f"the gradient of {what} with respect to {name}",
            rtol=1e-4,
            atol=1e-6,
        )


@pytest.mark.points(0.5)
def test_elbo_sums_over_pixels_and_averages_over_the_batch(student, ref, seed):
    n, d, _k, x, logits, mu, logvar, _ = _batch(seed)
    what = f"elbo(x, logits, mu, logvar) for x of shape ({n}, {d})"
    value = expect.scalar(_elbo(student, x, logits, mu, logvar), what=what).item()
    expected = ref.hw4_generative.elbo(x, logits, mu, logvar).item()
    if abs(value - expected) <= 1e-4 * abs(expected) + 1e-4:
        return
    log_px = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    kl = ref.hw4_generative.kl_divergence(mu, logvar)
    readings = {
        "averages the reconstruction over the pixels": (log_px.mean(dim=1) - kl).mean(),
        "sums over the batch instead of averaging": (log_px.sum(dim=1) - kl).sum(),
        "averages over every pixel of the batch": log_px.mean() - kl.mean(),
    }
    for reading, alt in readings.items():
        if abs(value - alt.item()) <= 1e-4 * abs(alt.item()) + 1e-4:
            raise AssertionError(
                f"{what} {reading}: the ELBO sums log p(x | z) over the {d} pixels of an image "
                f"(nats per image) and averages over the {n} images of the batch"
            )
    raise AssertionError(f"{what} is {value:.6g}, expected {expected:.6g}")


@pytest.mark.points(0.5)
def test_elbo_is_exact_for_large_logits(student):
    """From logits, log p(x | z) is exact where log(sigmoid(l)) gives -inf: a pixel x = 1
    with logit -200 costs 200 nats, one with logit +200 costs nothing."""
    x = torch.tensor([[1.0, 0.0, 1.0, 0.0]])
    logits = torch.tensor([[-200.0, 200.0, 200.0, -200.0]])
    zeros = torch.zeros(1, 2)
    what = "elbo(x, logits, mu=0, logvar=0) for x = [1, 0, 1, 0], logits = [-200, 200, 200, -200]"
    value = expect.scalar(_elbo(student, x, logits, zeros, zeros), what=what)
    assert torch.isfinite(value), (
        f"{what} is not finite: compute log p(x | z) from the logits "
        "(F.binary_cross_entropy_with_logits or softplus), not as log(sigmoid(logits))"
    )
    expect.close(value, torch.tensor(-400.0), what=what, rtol=1e-4, atol=1e-3)


@pytest.mark.points(0.25)
def test_elbo_beta_weights_the_kl(student, ref, seed):
    n, d, _k, x, logits, mu, logvar, _ = _batch(seed)
    kl = ref.hw4_generative.kl_divergence(mu, logvar).mean().item()
    values = {}
    for beta in (0.0, 2.5):
        what = f"elbo(x, logits, mu, logvar, beta={beta}) for x of shape ({n}, {d})"
        values[beta] = expect.scalar(_elbo(student, x, logits, mu, logvar, beta), what=what).item()
    gap = values[0.0] - values[2.5]
    assert abs(gap - 2.5 * kl) <= 1e-4 * abs(kl) + 1e-3, (
        f"elbo(..., beta=0) - elbo(..., beta=2.5) should be 2.5 times the batch's mean KL "
        f"({2.5 * kl:.5g}); got {gap:.5g}: beta multiplies the KL term"
    )
