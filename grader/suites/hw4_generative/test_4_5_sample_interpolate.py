"""4.5 sample and interpolate, on the grader's own ProbeVAE (a mistake in 4.1 costs 4.1 only)."""

import pytest
import torch

from torchgrade import expect
from torchgrade.probes.hw4_generative import ProbeVAE, initial_values, with_values

pytestmark = pytest.mark.section("4.5")

PROBES = "torchgrade.probes.hw4_generative"
ARGS = (64, 24, 3)


def _models(student, seed: int):
    values = initial_values(ProbeVAE, seed, *ARGS)
    remote = student.import_module(PROBES).probe_vae(values, ARGS[1], ARGS[2])
    return remote, with_values(ProbeVAE(*ARGS), values)


def _generator(student, seed: int):
    """``torch.Generator().manual_seed(seed)`` made in the worker: pass the worker seed, never
    the data seed."""
    return student.import_module(PROBES).generator_with_seed(seed)


def _pair(seed: int):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(64, generator=g), torch.rand(64, generator=g)


@pytest.mark.points(0.25)
@pytest.mark.public
def test_sample_shape_range_and_no_graph(student, seed, worker_seed):
    model, _ = _models(student, seed)
    what = "sample(model, 10, generator) for a VAE with 64 pixels"
    images = expect.tensor(
        student.hw4_generative.sample(model, 10, _generator(student, worker_seed)),
        what=what,
        shape=(10, 64),
    )
    assert bool(((images >= 0) & (images <= 1)).all()), (
        f"{what} should return pixel probabilities in [0, 1] (the sigmoid of the logits)"
    )
    assert not images.requires_grad, f"{what} should not record gradients (torch.no_grad)"


@pytest.mark.points(0.25)
def test_sample_matches_reference_with_the_generator(student, ref, seed, worker_seed):
    model, local = _models(student, seed)
    n = 3 + seed % 20
    what = f"sample(model, {n}, generator)"
    got = student.hw4_generative.sample(model, n, _generator(student, worker_seed))
    expected = ref.hw4_generative.sample(local, n, torch.Generator().manual_seed(worker_seed))
    expect.close(
        got,
        expected,
        what=f"{what}: z = torch.randn(n, latent_dim, generator=generator), then "
        "sigmoid(model.decode(z))",
        rtol=1e-4,
        atol=1e-5,
    )


@pytest.mark.points(0.25)
def test_interpolate_matches_reference(student, ref, seed):
    model, local = _models(student, seed)
    x_a, x_b = _pair(seed)
    steps = 2 + seed % 9
    what = f"interpolate(model, x_a, x_b, steps={steps}) for images of shape (64,)"
    got = expect.tensor(
        student.hw4_generative.interpolate(model, x_a, x_b, steps=steps),
        what=what,
        shape=(steps, 64),
    )
    expected = ref.hw4_generative.interpolate(local, x_a, x_b, steps=steps)
    expect.close(got, expected, what=what, rtol=1e-4, atol=1e-5)
    assert not got.requires_grad, f"{what} should not record gradients (torch.no_grad)"


@pytest.mark.points(0.25)
def test_interpolate_walks_between_the_means(student, seed):
    """Deterministic: the path starts at the decoded mean of x_a and ends at that of x_b; a
    path between sampled codes changes from call to call."""
    model, local = _models(student, seed)
    x_a, x_b = _pair(seed + 1)
    interpolate = student.hw4_generative.interpolate
    what = "interpolate(model, x_a, x_b, steps=5)"
    paths = []
    for global_seed in (1, 2):
        student.torch.manual_seed(global_seed)
        paths.append(expect.tensor(interpolate(model, x_a, x_b, steps=5), what=what, shape=(5, 64)))
    assert torch.allclose(paths[0], paths[1], atol=1e-6), (
        f"{what} changed between two calls: interpolate between the encoder's means, "
        "without sampling z"
    )
    with torch.no_grad():
        mu, _ = local.encode(torch.stack([x_a, x_b]))
        ends = torch.sigmoid(local.decode(mu))
    expect.close(
        paths[0][[0, -1]],
        ends,
        what=f"the first and last images of {what} (sigmoid(decode(mu_a)), sigmoid(decode(mu_b)))",
        rtol=1e-4,
        atol=1e-5,
    )
