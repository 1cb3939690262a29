"""4.7 gan_step and train_gan: alternating updates, detach, zero_grad, two optimizers.

Every test first swaps the grader's losses into the submission's module and trains the
grader's own networks: a mistake in 4.6 costs 4.6 only. ``gan_step`` runs with optimizers that
record, at every ``step()``, which network they update and the gradients they see; the
expected gradients and weights are computed here. The outcome test trains on the ring of
eight Gaussians and counts, here, the modes the generator reaches. Data, initial weights and
the samples' z come from the data seed, here; ``train_gan``'s own seed is the worker seed.
"""

import pytest
import torch

from torchgrade import expect
from torchgrade.datasets.toy2d import eight_gaussians, mode_report
from torchgrade.probes.hw4_generative import (
    ProbeDiscriminator,
    ProbeGenerator,
    discriminator_loss,
    generator_loss,
    initial_values,
    with_values,
)

pytestmark = pytest.mark.section("4.7")

PROBES = "torchgrade.probes.hw4_generative"
SMALL = {"latent_dim": 2, "hidden": 8}
# The outcome test: train_gan's defaults on 2000 ring points, judged on 2000 samples.
RING_POINTS = 2000
# GAN training is chaotic: over 100 seeds the reference reaches about 7 of the 8 modes on average
# but only 4 in its worst run (a longer training does not remove such runs), and its worst
# quality moves from draw to draw (0.30, then 0.22), so the bounds separate a GAN that learns
# from one that does not (an untrained generator: 0 modes, no sample near one), with a margin
# below the reference's worst seed (see the bench).
MIN_MODES = 3  # of 8, each with at least 2% of the samples near its centre
MIN_QUALITY = 0.1  # share of samples within 0.4 (a fifth of the radius) of a centre


def _isolated(student):
    student.import_module(PROBES).use_trusted_gan_losses(student.hw4_generative)
    return student.hw4_generative


def _values(seed: int, latent_dim: int, hidden: int) -> tuple[dict, dict]:
    return (
        initial_values(ProbeGenerator, seed, latent_dim, hidden),
        initial_values(ProbeDiscriminator, seed + 1, hidden),
    )


def _local(values_G: dict, values_D: dict, latent_dim: int, hidden: int):
    return (
        with_values(ProbeGenerator(latent_dim, hidden), values_G),
        with_values(ProbeDiscriminator(hidden), values_D),
    )


def _batch(seed: int, latent_dim: int):
    g = torch.Generator().manual_seed(seed + 2)
    m = int(torch.randint(4, 20, (1,), generator=g))
    real = eight_gaussians(m, seed=seed)
    return real, torch.randn(m, latent_dim, generator=g)


def _grads(loss: torch.Tensor, module: torch.nn.Module) -> dict[str, torch.Tensor]:
    names, params = zip(*module.named_parameters(), strict=True)
    return dict(zip(names, torch.autograd.grad(loss, params, allow_unused=True), strict=True))


def _expected_steps(values_G, values_D, real, z, lr: float, steps: int) -> list[tuple]:
    """Replay gan_step by hand (plain SGD): per step the pure gradients of d_loss w.r.t. D and
    of g_loss w.r.t. G, then the weights after all steps."""
    G, D = _local(values_G, values_D, **SMALL)
    log = []
    for _ in range(steps):
        fake = G(z)
        d_grads = _grads(discriminator_loss(D(real), D(fake.detach())), D)
        with torch.no_grad():
            for name, p in D.named_parameters():
                p -= lr * d_grads[name]
        g_grads = _grads(generator_loss(D(fake)), G)
        with torch.no_grad():
            for name, p in G.named_parameters():
                p -= lr * g_grads[name]
        log += [("opt_D", d_grads), ("opt_G", g_grads)]
    return log, G, D


def _run_gan_step(student, seed: int, steps: int, lr: float = 0.05) -> tuple:
    values_G, values_D = _values(seed, **SMALL)
    real, z = _batch(seed, SMALL["latent_dim"])
    hw = _isolated(student)
    got = student.import_module(PROBES).run_gan_step(
        hw.gan_step, values_G, values_D, real, z, lr=lr, steps=steps, **SMALL
    )
    return got, _expected_steps(values_G, values_D, real, z, lr, steps), len(real)


@pytest.mark.points(0.25)
@pytest.mark.public
def test_gan_step_returns_two_floats_and_updates_both_networks(student, seed):
    got, _, m = _run_gan_step(student, seed, steps=1)
    what = f"gan_step(G, D, opt_G, opt_D, real, z) for a batch of {m} points"
    result = got["losses"][0]
    assert isinstance(result, tuple | list) and len(result) == 2, (
        f"{what} should return (d_loss, g_loss), got {expect.kind(result)}"
    )
    for value, name in zip(result, ("d_loss", "g_loss"), strict=True):
        assert isinstance(value, float), (
            f"{what} should return {name} as a Python float (.item()), got {expect.kind(value)}"
        )
    stepped = [name for name, _ in got["log"]]
    assert sorted(stepped) == ["opt_D", "opt_G"], (
        f"{what} should call opt_D.step() and opt_G.step() once each; the calls were {stepped}"
    )


@pytest.mark.points(0.25)
def test_gan_step_alternates_discriminator_then_generator(student, seed):
    got, _, _ = _run_gan_step(student, seed, steps=2)
    stepped = [name for name, _ in got["log"]]
    assert stepped == ["opt_D", "opt_G", "opt_D", "opt_G"], (
        "two calls of gan_step should step the discriminator, then the generator, each time "
        f"(opt_D, opt_G, opt_D, opt_G); the optimizers stepped in the order {stepped}"
    )


def _check_gradients(got_log, expected_log, who: str, hint: str) -> None:
    for index, ((name, grads), (_, expected)) in enumerate(
        zip(got_log, expected_log, strict=False)
    ):
        if name != who:
            continue
        for param, want in expected.items():
            have = grads.get(param)
            what = f"the gradient of {param} when {who}.step() was called (call {index // 2 + 1})"
            assert have is not None, f"{what} is missing: {hint}"
            expect.close(have, want, what=f"{what} ({hint})", rtol=1e-4, atol=1e-6)


@pytest.mark.points(0.5)
def test_discriminator_step_does_not_train_the_generator(student, seed):
    """The generator's optimizer must see the gradient of g_loss alone. Without
    ``fake.detach()`` in the discriminator step (or with opt_G's gradients zeroed before it),
    the generator is also pushed to help the discriminator."""
    got, (expected_log, _, _), _ = _run_gan_step(student, seed, steps=2)
    _check_gradients(
        got["log"],
        expected_log,
        "opt_G",
        "it should be the gradient of generator_loss(D(fake)) only: detach the fakes in the "
        "discriminator step and zero opt_G's gradients just before the generator's backward",
    )


@pytest.mark.points(0.25)
def test_discriminator_gradients_are_zeroed_before_its_step(student, seed):
    """The generator's backward leaves gradients in D; opt_D must zero them before the next
    discriminator backward, or they accumulate into its update."""
    got, (expected_log, _, _), _ = _run_gan_step(student, seed, steps=2)
    _check_gradients(
        got["log"],
        expected_log,
        "opt_D",
        "it should be the gradient of discriminator_loss(D(real), D(fake.detach())) only: "
        "call opt_D.zero_grad() before its backward",
    )


@pytest.mark.points(0.5)
def test_gan_step_matches_reference(student, seed):
    got, (_, G, D), m = _run_gan_step(student, seed, steps=2)
    what = f"two calls of gan_step(G, D, opt_G, opt_D, real, z) with SGD, for {m} points"
    for prefix, local in (("G", G), ("D", D)):
        for name, param in local.named_parameters():
            expect.close(
                got[prefix][name], param, what=f"{prefix}.{name} after {what}", rtol=1e-4, atol=1e-6
            )


def _train_kwargs(seed: int, run_seed: int) -> dict:
    """Small settings from the data ``seed``; ``run_seed`` (the worker seed) is train_gan's."""
    g = torch.Generator().manual_seed(seed)
    return {
        "steps": int(torch.randint(3, 7, (1,), generator=g)),
        "batch_size": int(torch.randint(8, 24, (1,), generator=g)),
        "lr": round(float(torch.rand(1, generator=g)) * 0.02 + 0.005, 4),
        "seed": run_seed,
    }


@pytest.mark.points(0.5)
def test_train_gan_two_optimizers_match_reference(student, ref, seed, worker_seed):
    """The documented loop replayed: the batch indices, then z, from the seeded generator; one
    Adam per network (a single optimizer over both would also move D in the generator step)."""
    kwargs = _train_kwargs(seed, worker_seed)
    values_G, values_D = _values(seed, **SMALL)
    data = eight_gaussians(64, seed=seed)
    probes = student.import_module(PROBES)
    G, D = probes.probe_gan(values_G, values_D, SMALL["latent_dim"], SMALL["hidden"])
    what = "train_gan(G, D, data, {}) for 64 ring points".format(
        ", ".join(f"{k}={v}" for k, v in kwargs.items())
    )
    history = _isolated(student).train_gan(G, D, data, **kwargs)
    G_local, D_local = _local(values_G, values_D, **SMALL)
    expected = ref.hw4_generative.train_gan(G_local, D_local, data, **kwargs)
    for prefix, remote, local in (("G", G, G_local), ("D", D, D_local)):
        got = student.probes.named_parameters(remote)
        for name, param in local.named_parameters():
            expect.close(
                got[name], param, what=f"{prefix}.{name} after {what}", rtol=1e-4, atol=1e-6
            )
    assert isinstance(history, dict) and set(history) >= {"d_loss", "g_loss"}, (
        f"{what} should return a dict with the lists 'd_loss' and 'g_loss', "
        f"got {expect.kind(history)}"
    )
    for key in ("d_loss", "g_loss"):
        losses = expect.losses(history[key], kwargs["steps"], f"{what}['{key}']")
        assert torch.allclose(
            torch.tensor(losses, dtype=torch.float64),
            torch.tensor(expected[key], dtype=torch.float64),
            rtol=1e-4,
            atol=1e-5,
        ), f"{what}['{key}'] should hold the {key} of every step"


@pytest.mark.points(0.25)
def test_train_gan_calls_on_step_after_every_step(student, seed):
    values_G, values_D = _values(seed, **SMALL)
    probes = student.import_module(PROBES)
    G, D = probes.probe_gan(values_G, values_D, SMALL["latent_dim"], SMALL["hidden"])
    calls = probes.CallLog()
    steps = 3 + seed % 4
    _isolated(student).train_gan(
        G, D, eight_gaussians(64, seed=seed), steps=steps, batch_size=8, on_step=calls
    )
    got = calls.calls
    assert got == [[step] for step in range(1, steps + 1)], (
        f"train_gan(..., steps={steps}, on_step=f) should call f(1), ..., f({steps}), once after "
        f"each step; the calls were {got[:10]}"
    )


def ring_outcome(values_G: dict, seed: int) -> dict:
    """Mode coverage and sample quality of a ProbeGenerator with ``values_G`` (2000 samples)."""
    G = with_values(ProbeGenerator(2, 64), values_G)
    with torch.no_grad():
        samples = G(torch.randn(2000, 2, generator=torch.Generator().manual_seed(seed)))
    return mode_report(samples)


@pytest.mark.points(0.5)
@pytest.mark.timeout(120)
def test_train_gan_covers_the_ring(student, seed, worker_seed):
    """train_gan with its defaults on the ring: at least MIN_MODES of 8 modes reached and a
    share MIN_QUALITY of the samples close to a centre (bench: the reference on 100 seeds)."""
    values_G, values_D = _values(seed, 2, 64)
    G, D = student.import_module(PROBES).probe_gan(values_G, values_D, 2, 64)
    data = eight_gaussians(RING_POINTS, seed=seed)
    what = "train_gan(G, D, data) with its defaults on 2000 points of the ring of 8 Gaussians"
    history = _isolated(student).train_gan(G, D, data, seed=worker_seed)
    assert isinstance(history, dict), f"{what} should return a dict, got {expect.kind(history)}"
    report = ring_outcome(student.probes.named_parameters(G), seed)
    assert report["modes"] >= MIN_MODES, (
        f"after {what}, the generator reaches {report['modes']} of the 8 modes "
        f"(samples per mode: {report['counts']}); at least {MIN_MODES} were expected"
    )
    assert report["quality"] >= MIN_QUALITY, (
        f"after {what}, {report['quality']:.0%} of the generator's samples lie near a mode; "
        f"at least {MIN_QUALITY:.0%} were expected"
    )
