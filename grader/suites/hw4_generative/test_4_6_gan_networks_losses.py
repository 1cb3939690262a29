"""4.6 Generator, Discriminator, discriminator_loss and generator_loss.

The networks: shapes, ``state_dict`` layout, outputs with given weights (the discriminator
returns logits). The losses: known values, the reference's values and gradients, and a test per
classic mistake: the saturating generator loss ``log(1 - D(G(z)))`` (no gradient where the
generator needs one most), and ``log(sigmoid(...))`` that overflows where a loss from logits
stays exact.
"""

import math

import pytest
import torch

from torchgrade import expect
from torchgrade.probes.hw4_generative import (
    ProbeDiscriminator,
    ProbeGenerator,
    initial_values,
    with_values,
)

pytestmark = pytest.mark.section("4.6")


def _layout(student, model) -> dict[str, tuple]:
    return {k: tuple(v.shape) for k, v in student.probes.named_parameters(model).items()}


@pytest.mark.points(0.25)
@pytest.mark.public
def test_generator_and_discriminator_shapes(student):
    hw = student.hw4_generative
    G, D = hw.Generator(3, 16), hw.Discriminator(16)
    assert G.latent_dim == 3, "Generator(3, 16) should store latent_dim = 3 (train_gan reads it)"
    points = expect.tensor(
        G(torch.randn(11, 3)), what="Generator(3, 16)(z) for z of shape (11, 3)", shape=(11, 2)
    )
    expect.tensor(D(points), what="Discriminator(16)(x) for x of shape (11, 2)", shape=(11, 1))


@pytest.mark.points(0.25)
def test_networks_state_dict_layout(student):
    hw = student.hw4_generative
    for name, remote, local in (
        ("Generator(3, 16)", hw.Generator(3, 16), ProbeGenerator(3, 16)),
        ("Discriminator(16)", hw.Discriminator(16), ProbeDiscriminator(16)),
    ):
        expected = {k: tuple(v.shape) for k, v in local.named_parameters()}
        got = _layout(student, remote)
        assert got == expected, (
            f"{name} should have the parameters {sorted(expected)} (net = nn.Sequential of "
            f"Linear, LeakyReLU, Linear, LeakyReLU, Linear); got {sorted(got)}"
        )


def _with_weights(student, remote, local_cls, args, seed):
    values = initial_values(local_cls, seed, *args)
    expected = {k: tuple(v.shape) for k, v in values.items()}
    got = _layout(student, remote)
    assert got == expected, (
        f"the network's parameters should be {sorted(expected)}, got {sorted(got)}"
    )
    student.probes.set_parameters(remote, values)
    return with_values(local_cls(*args), values)


@pytest.mark.points(0.25)
def test_generator_matches_reference_with_given_weights(student, seed):
    k = 1 + seed % 4
    G = student.hw4_generative.Generator(k, 12)
    local = _with_weights(student, G, ProbeGenerator, (k, 12), seed)
    z = torch.randn(40, k, generator=torch.Generator().manual_seed(seed)) * 3
    with torch.no_grad():
        expected = local(z)
    expect.close(
        G(z),
        expected,
        what=f"Generator({k}, 12)(z) with given weights (LeakyReLU(0.2), no output activation)",
        rtol=1e-4,
        atol=1e-5,
    )


@pytest.mark.points(0.25)
def test_discriminator_returns_logits(student, seed):
    D = student.hw4_generative.Discriminator(12)
    local = _with_weights(student, D, ProbeDiscriminator, (12,), seed)
    with torch.no_grad():
        local.net[4].bias.add_(5.0)  # logits well above 1: a sigmoid would show
    student.probes.set_parameters(D, {"net.4.bias": local.net[4].bias.detach()})
    x = torch.randn(40, 2, generator=torch.Generator().manual_seed(seed)) * 2
    with torch.no_grad():
        expected = local(x)
    expect.close(
        D(x),
        expected,
        what="Discriminator(12)(x) with given weights (logits: no sigmoid at the end)",
        rtol=1e-4,
        atol=1e-5,
    )


@pytest.mark.points(0.5)
@pytest.mark.public
def test_losses_known_values(student):
    hw = student.hw4_generative
    zero = torch.zeros(4, 1)
    what = "discriminator_loss(real_logits=0, fake_logits=0)"
    expect.close(
        expect.scalar(hw.discriminator_loss(zero, zero), what=what),
        torch.tensor(2 * math.log(2.0)),
        what=f"{what} (log 2 for the real plus log 2 for the fake)",
    )
    what = "generator_loss(fake_logits=0)"
    expect.close(
        expect.scalar(hw.generator_loss(zero), what=what), torch.tensor(math.log(2.0)), what=what
    )
    real, fake = torch.tensor([[3.0], [1.0]]), torch.tensor([[-1.0], [2.0], [0.0]])
    sp = torch.nn.functional.softplus
    what = "discriminator_loss(real_logits=[3, 1], fake_logits=[-1, 2, 0])"
    expect.close(
        expect.scalar(hw.discriminator_loss(real, fake), what=what),
        sp(-real).mean() + sp(fake).mean(),
        what=f"{what} (mean over the real plus mean over the fake)",
    )
    what = "generator_loss(fake_logits=[-1, 2, 0])"
    expect.close(
        expect.scalar(hw.generator_loss(fake), what=what),
        sp(-fake).mean(),
        what=f"{what} (the mean of -log D(G(z)))",
    )


@pytest.mark.points(0.5)
def test_discriminator_loss_value_and_gradients_match_reference(student, ref, seed):
    g = torch.Generator().manual_seed(seed)
    n, m = (
        int(torch.randint(2, 50, (1,), generator=g)),
        int(torch.randint(2, 50, (1,), generator=g)),
    )
    real, fake = torch.randn(n, 1, generator=g) * 3, torch.randn(m, generator=g) * 3
    what = f"discriminator_loss(real_logits, fake_logits) for shapes ({n}, 1) and ({m},)"
    result = student.probes.backward(
        student.hw4_generative.discriminator_loss, real, fake, wrt=[0, 1]
    )
    leaves = [real.clone().requires_grad_(), fake.clone().requires_grad_()]
    expected = ref.hw4_generative.discriminator_loss(*leaves)
    expected.backward()
    expect.close(
        expect.scalar(result["output"], what=what), expected, what=what, rtol=1e-5, atol=1e-5
    )
    for got, leaf, name in zip(
        result["grads"], leaves, ("real_logits", "fake_logits"), strict=True
    ):
        assert got is not None, f"{what} should be differentiable with respect to {name}"
        expect.close(got, leaf.grad, what=f"the gradient of {what} with respect to {name}")


@pytest.mark.points(0.5)
def test_generator_loss_is_non_saturating(student, seed):
    """Where the discriminator rejects the fakes (logits from -12 to -4, D(G(z)) < 2%), the
    non-saturating loss -log D(G(z)) still has gradient ≈ -1/m per fake; the saturating
    log(1 - D(G(z))) has almost none, so the generator would not learn."""
    g = torch.Generator().manual_seed(seed)
    m = int(torch.randint(5, 40, (1,), generator=g))
    fake = -4 - 8 * torch.rand(m, 1, generator=g)
    what = f"generator_loss(fake_logits) for {m} logits between -12 and -4"
    result = student.probes.backward(student.hw4_generative.generator_loss, fake, wrt=[0])
    value = expect.scalar(result["output"], what=what)
    grad = result["grads"][0]
    assert grad is not None, f"{what} should be differentiable with respect to fake_logits"
    expected_grad = -torch.sigmoid(-fake) / m
    if grad.abs().sum() < 0.1 * expected_grad.abs().sum():
        raise AssertionError(
            f"{what}: the gradient almost vanishes (the saturating loss log(1 - D(G(z)))); "
            "minimize -log D(G(z)) instead, the non-saturating loss"
        )
    expect.close(
        value,
        torch.nn.functional.softplus(-fake).mean(),
        what=f"{what} (-log D(G(z)))",
        rtol=1e-5,
        atol=1e-5,
    )
    expect.close(grad, expected_grad, what=f"the gradient of {what}", rtol=1e-4, atol=1e-7)


@pytest.mark.points(0.5)
def test_losses_are_exact_for_large_logits(student):
    """From logits, a confident wrong answer costs 200 nats; log(sigmoid(...)) gives inf."""
    hw = student.hw4_generative
    real, fake = torch.tensor([[-200.0], [200.0]]), torch.tensor([[200.0], [-200.0]])
    for what, call, expected in (
        (
            "discriminator_loss(real_logits=[-200, 200], fake_logits=[200, -200])",
            lambda: hw.discriminator_loss(real, fake),
            200.0,
        ),
        ("generator_loss(fake_logits=[200, -200])", lambda: hw.generator_loss(fake), 100.0),
    ):
        value = expect.scalar(call(), what=what)
        assert torch.isfinite(value), (
            f"{what} is not finite: compute the loss from the logits "
            "(F.binary_cross_entropy_with_logits, F.softplus or F.logsigmoid), "
            "not as log(sigmoid(logits))"
        )
        expect.close(value, torch.tensor(expected), what=what, rtol=1e-4, atol=1e-3)
