"""4.2 reparameterize: z = mu + exp(logvar / 2) * eps, eps ~ N(0, I) from the caller's generator.

The tests recover the noise from the student's own output, ``eps = (z - mu) / σ``, and judge
it: standard normal, reproducible from the generator, and the gradients the trick promises
(``dz/dmu = 1``, ``dz/dlogvar = (z - mu) / 2``). So any way of drawing ``eps`` from the
generator is accepted (``torch.randn``, ``torch.randn_like``, ``Tensor.normal_``), and the
classic mistakes fail by name: ``logvar`` used as σ or σ² (the noise is not standard normal),
a sample outside the graph or from ``torch.normal`` (no gradient to mu and logvar), the global
generator instead of the caller's.
"""

import math

import pytest
import torch

from torchgrade import expect
from torchgrade.remote import StudentError

pytestmark = pytest.mark.section("4.2")

PROBES = "torchgrade.probes.hw4_generative"


def _inputs(seed: int, n: int, k: int):
    g = torch.Generator().manual_seed(seed)
    mu = torch.randn(n, k, generator=g) * 2
    logvar = torch.rand(n, k, generator=g) * 4 - 2  # σ between e^-1 and e
    return mu, logvar


def _generator(student, seed: int):
    """``torch.Generator().manual_seed(seed)`` made in the worker: pass the worker seed (or a
    constant), never the data seed."""
    return student.import_module(PROBES).generator_with_seed(seed)


@pytest.mark.points(0.5)
@pytest.mark.public
def test_reparameterize_known_noise(student):
    """σ = exp(log 4 / 2) = 2: z - mu is twice the generator's first standard normal draws."""
    mu = torch.arange(15.0).reshape(5, 3)
    logvar = torch.full((5, 3), math.log(4.0))
    what = "reparameterize(mu, logvar, generator) for logvar = log 4, mu of shape (5, 3)"
    z = expect.tensor(
        student.hw4_generative.reparameterize(mu, logvar, _generator(student, 0)),
        what=what,
        shape=(5, 3),
    )
    eps = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    expect.close(
        z, mu + 2 * eps, what=f"{what} with torch.Generator().manual_seed(0)", rtol=1e-5, atol=1e-5
    )


@pytest.mark.points(0.5)
def test_reparameterize_noise_is_standard_normal(student, seed, worker_seed):
    """Thousands of draws with random mu and logvar: (z - mu) / exp(logvar / 2) ~ N(0, 1).

    Using logvar as σ (``mu + logvar * eps``) or as σ² (``mu + exp(logvar) * eps``) scales the
    noise wrongly and fails here."""
    mu, logvar = _inputs(seed, 400, 10)
    what = "(z - mu) / exp(logvar / 2) for z = reparameterize(mu, logvar) with logvar in (-2, 2)"
    z = expect.tensor(
        student.hw4_generative.reparameterize(mu, logvar, _generator(student, worker_seed)),
        what="reparameterize(mu, logvar, generator) for mu of shape (400, 10)",
        shape=(400, 10),
    )
    eps = (z.detach().double() - mu.double()) / torch.exp(0.5 * logvar.double())
    expect.standard_normal(eps, what)


@pytest.mark.points(0.5)
def test_reparameterize_gradients_reach_mu_and_logvar(student, seed, worker_seed):
    """The trick's whole point: z is a differentiable function of mu and logvar.

    For L = sum(u * z): dL/dmu = u and dL/dlogvar = u * (z - mu) / 2. A sample taken outside
    the graph (``Normal(mu, σ).sample()``, ``torch.no_grad``, ``.detach()``) has no gradient."""
    mu, logvar = _inputs(seed, 6, 4)
    upstream = torch.randn(6, 4, generator=torch.Generator().manual_seed(seed + 1))
    what = "reparameterize(mu, logvar, generator) for mu of shape (6, 4)"
    try:
        result = student.probes.backward(
            student.hw4_generative.reparameterize,
            mu,
            logvar,
            _generator(student, worker_seed),
            wrt=[0, 1],
            upstream=upstream,
        )
    except StudentError as exc:
        if "does not require grad" in exc.message or "grad_fn" in exc.message:
            raise AssertionError(
                f"{what} is not differentiable: z was sampled outside the graph, so no "
                "gradient reaches mu and logvar. Write z = mu + exp(logvar / 2) * eps."
            ) from None
        raise
    z = result["output"]
    grad_mu, grad_logvar = result["grads"]
    assert grad_mu is not None and grad_logvar is not None, (
        f"{what}: no gradient reaches {'mu' if grad_mu is None else 'logvar'}; "
        "z must be computed from mu and logvar (the reparameterization trick)"
    )
    assert grad_mu.abs().sum() > 0 or grad_logvar.abs().sum() > 0, (
        f"{what}: z requires grad, but the gradients to mu and logvar are zero. "
        "torch.normal does not backpropagate through the sample: "
        "write z = mu + exp(logvar / 2) * eps with eps drawn from the generator"
    )
    expect.close(
        grad_mu, upstream, what=f"the gradient of sum(u * z) for {what} with respect to mu"
    )
    expect.close(
        grad_logvar,
        upstream * (z - mu) / 2,
        what=f"the gradient of sum(u * z) for {what} with respect to logvar (u * σ * eps / 2)",
        rtol=1e-4,
        atol=1e-5,
    )


@pytest.mark.points(0.5)
def test_reparameterize_draws_from_the_callers_generator(student, seed, worker_seed):
    """Two generators seeded alike give the same z, whatever torch's global RNG did in between;
    another seed gives another z; without a generator, torch.manual_seed reproduces z."""
    mu, logvar = _inputs(seed, 8, 3)
    reparameterize = student.hw4_generative.reparameterize
    what = "reparameterize(mu, logvar, generator)"
    draws = []
    for global_seed, own_seed in ((1, worker_seed), (2, worker_seed), (1, worker_seed + 1)):
        student.torch.manual_seed(global_seed)
        draws.append(
            expect.tensor(
                reparameterize(mu, logvar, _generator(student, own_seed)), what=what, shape=(8, 3)
            )
        )
    assert torch.equal(draws[0], draws[1]), (
        f"{what} with two generators seeded alike should give the same z: draw eps from the "
        "generator (torch.randn(mu.shape, generator=generator)), not from torch's global RNG"
    )
    assert not torch.equal(draws[0], draws[2]), (
        f"{what} gave the same z for generators with different seeds: eps must be random"
    )
    plain = []
    for _ in range(2):
        student.torch.manual_seed(worker_seed)
        plain.append(expect.tensor(reparameterize(mu, logvar), what="reparameterize(mu, logvar)"))
    assert torch.equal(plain[0], plain[1]), (
        "reparameterize(mu, logvar) without a generator should use torch's global RNG, so "
        "that torch.manual_seed reproduces z"
    )
