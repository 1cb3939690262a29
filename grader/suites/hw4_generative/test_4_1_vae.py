"""4.1 VAE: the encoder's two heads, the decoder's logits, and the state_dict layout.

The forward pass samples z with ``reparameterize``, which is section 4.2: every test first
swaps the grader's own ``reparameterize`` into the submission's module, so a mistake there
costs 4.2 only.
"""

import pytest
import torch

from torchgrade import expect
from torchgrade.probes.hw4_generative import ProbeVAE, initial_values, with_values

pytestmark = pytest.mark.section("4.1")

PROBES = "torchgrade.probes.hw4_generative"


def _vae(student, *args):
    student.import_module(PROBES).use_trusted_vae_parts(student.hw4_generative)
    return student.hw4_generative.VAE(*args)


def _layout(student, model) -> dict[str, torch.Size]:
    params = student.probes.named_parameters(model)
    return {name: value.shape for name, value in params.items()}


def _with_reference_weights(student, model, args: tuple, seed: int) -> ProbeVAE:
    """Give the student's model the weights of a local ProbeVAE drawn from ``seed``."""
    values = initial_values(ProbeVAE, seed, *args)
    expected = {name: v.shape for name, v in values.items()}
    got = _layout(student, model)
    assert got == expected, (
        f"VAE{args}'s parameters should be {sorted(expected)} with the documented shapes; "
        f"got {sorted(got)}"
    )
    student.probes.set_parameters(model, values)
    return with_values(ProbeVAE(*args), values)


@pytest.mark.points(0.25)
@pytest.mark.public
def test_vae_shapes_and_attributes(student, seed):
    model = _vae(student, 64, 32, 3)
    x = torch.rand(7, 64)
    what = "VAE(64, 32, 3)"
    assert model.latent_dim == 3 and model.in_features == 64, (
        f"{what} should store latent_dim=3 and in_features=64 as attributes"
    )
    mu, logvar = model.encode(x)
    expect.tensor(mu, what=f"{what}.encode(x)[0] (mu) for x of shape (7, 64)", shape=(7, 3))
    expect.tensor(logvar, what=f"{what}.encode(x)[1] (logvar) for x of shape (7, 64)", shape=(7, 3))
    logits = model.decode(torch.randn(5, 3))
    expect.tensor(logits, what=f"{what}.decode(z) for z of shape (5, 3)", shape=(5, 64))
    out = model(x)
    assert isinstance(out, tuple) and len(out) == 3, (
        f"{what}(x) should return a tuple (logits, mu, logvar), got {expect.kind(out)}"
    )
    expect.tensor(out[0], what=f"the logits of {what}(x) for x of shape (7, 64)", shape=(7, 64))


@pytest.mark.points(0.25)
def test_vae_state_dict_layout(student, seed):
    g = torch.Generator().manual_seed(seed)
    args = (
        64,
        int(torch.randint(8, 40, (1,), generator=g)),
        int(torch.randint(1, 5, (1,), generator=g)),
    )
    model = _vae(student, *args)
    expected = {name: p.shape for name, p in ProbeVAE(*args).named_parameters()}
    got = _layout(student, model)
    assert got == expected, (
        f"VAE{args} should have exactly the parameters {sorted(expected)} "
        "(encoder.0, mu_head, logvar_head, decoder.0, decoder.2, weights and biases) with "
        f"nn.Linear's shapes; got {sorted(f'{k}{tuple(v)}' for k, v in got.items())}"
    )


@pytest.mark.points(0.25)
def test_encode_and_decode_match_reference(student, seed):
    g = torch.Generator().manual_seed(seed)
    args = (
        64,
        int(torch.randint(8, 40, (1,), generator=g)),
        int(torch.randint(1, 5, (1,), generator=g)),
    )
    n = int(torch.randint(3, 30, (1,), generator=g))
    model = _vae(student, *args)
    local = _with_reference_weights(student, model, args, seed)
    x = torch.rand(n, 64, generator=g)
    z = torch.randn(n, args[2], generator=g) * 2
    with torch.no_grad():
        mu, logvar = local.encode(x)
        logits = local.decode(z)
    got = model.encode(x)
    what = f"VAE{args}.encode(x) for x of shape ({n}, 64), with given weights"
    assert isinstance(got, tuple) and len(got) == 2, f"{what} should return (mu, logvar)"
    expect.close(got[0], mu, what=f"mu of {what}", rtol=1e-4, atol=1e-5)
    expect.close(
        got[1],
        logvar,
        what=f"logvar of {what} (the logvar_head's output, as is)",
        rtol=1e-4,
        atol=1e-5,
    )
    expect.close(
        model.decode(z),
        logits,
        what=f"VAE{args}.decode(z) with given weights",
        rtol=1e-4,
        atol=1e-5,
    )


@pytest.mark.points(0.25)
def test_forward_samples_from_the_generator_and_returns_logits(student, seed, worker_seed):
    """forward(x, generator) = decode(reparameterize(encode(x), generator)): logits, not
    probabilities (a sigmoid at the end of the decoder is the classic mistake)."""
    g = torch.Generator().manual_seed(seed)
    args = (64, 24, 2)
    model = _vae(student, *args)
    local = _with_reference_weights(student, model, args, seed)
    with torch.no_grad():  # push the logits well outside [0, 1]
        for layer in (local.decoder[2],):
            layer.bias.mul_(0).add_(torch.randn(64, generator=g) * 4)
    student.probes.set_parameters(model, {"decoder.2.bias": local.decoder[2].bias.detach()})
    x = torch.rand(9, 64, generator=g)
    out = model(x, student.import_module(PROBES).generator_with_seed(worker_seed))
    with torch.no_grad():
        expected = local(x, torch.Generator().manual_seed(worker_seed))
    what = "VAE(64, 24, 2)(x, generator) for x of shape (9, 64), with given weights"
    assert isinstance(out, tuple) and len(out) == 3, f"{what} should return (logits, mu, logvar)"
    expect.close(
        out[0],
        expected[0],
        what=f"the logits of {what} (z drawn with the generator; no sigmoid in the decoder)",
        rtol=1e-4,
        atol=1e-4,
    )
    expect.close(out[1], expected[1], what=f"mu of {what}", rtol=1e-4, atol=1e-5)
    expect.close(out[2], expected[2], what=f"logvar of {what}", rtol=1e-4, atol=1e-5)
