"""Probes for hw4_generative: trusted models, losses and optimizers that tests run in the worker.

A test of one section must not fail because another exercise is wrong, so the tests never build
on the student's own networks or losses outside the section they grade: they use
:class:`ProbeVAE`, :class:`ProbeGenerator` and :class:`ProbeDiscriminator` (the homework's
architectures, written here), swap trusted losses into the submission's module before a
training exercise runs (:func:`use_trusted_vae_parts`, :func:`use_trusted_gan_losses`), and
hand ``gan_step`` optimizers that record what they see (:class:`RecordingSGD`). The trusted
process imports this module too, to rebuild a trained network from the weights that came back
and judge it. Like every probe they are not secret and decide nothing.
"""

from types import ModuleType
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

# ----------------------------------------------------------------------------- trusted parts


def reparameterize(
    mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """``mu + exp(logvar / 2) * eps`` with ``eps = torch.randn(mu.shape, generator=generator)``."""
    return mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=generator)


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, σ²) ‖ N(0, I))`` per example, ``(n,)``."""
    # The library's Normal-Normal KL (what the students' exercise forbids), same value.
    posterior = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    prior = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    return torch.distributions.kl_divergence(posterior, prior).sum(dim=-1)


def log_likelihood(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """Bernoulli ``log p(x | z)`` per example, summed over pixels: ``(n,)``."""
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)


def elbo(
    x: torch.Tensor, logits: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, beta=1.0
) -> torch.Tensor:
    """Mean over the batch of ``log p(x | z) - beta * KL``."""
    return (log_likelihood(x, logits) - beta * kl_divergence(mu, logvar)).mean()


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The library's binary cross-entropy from logits: real labelled 1, fake 0."""
    bce = F.binary_cross_entropy_with_logits
    return bce(real_logits, torch.ones_like(real_logits)) + bce(
        fake_logits, torch.zeros_like(fake_logits)
    )


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating: the fakes labelled real."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def use_trusted_vae_parts(module: ModuleType) -> None:
    """Give the submission's module trusted ``reparameterize``, ``kl_divergence`` and ``elbo``.

    Tests of 4.4 call this first, so that ``train_vae`` is judged on its own: a mistake in 4.2
    or 4.3 (or a missing cell) costs those sections only.
    """
    module.reparameterize = reparameterize
    module.kl_divergence = kl_divergence
    module.elbo = elbo


def use_trusted_gan_losses(module: ModuleType) -> None:
    """Give the submission's module trusted ``discriminator_loss`` and ``generator_loss`` (4.7)."""
    module.discriminator_loss = discriminator_loss
    module.generator_loss = generator_loss


# ----------------------------------------------------------------------------- networks


class ProbeVAE(nn.Module):
    """The homework's VAE architecture (same attribute and ``state_dict`` names), trusted."""

    def __init__(self, in_features: int = 64, hidden: int = 128, latent_dim: int = 2) -> None:
        super().__init__()
        self.in_features, self.latent_dim = in_features, latent_dim
        # Registered in the contract's order (it fixes the random initialisation).
        parts = {
            "encoder": lambda: nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU()),
            "mu_head": lambda: nn.Linear(hidden, latent_dim),
            "logvar_head": lambda: nn.Linear(hidden, latent_dim),
            "decoder": lambda: nn.Sequential(
                nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, in_features)
            ),
        }
        for name, build in parts.items():
            self.add_module(name, build())

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(x)
        return tuple(head(hidden) for head in (self.mu_head, self.logvar_head))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar, generator)), mu, logvar


def _mlp(in_features: int, hidden: int, out_features: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(in_features, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, out_features),
    )


class ProbeGenerator(nn.Module):
    """The homework's generator: ``net`` = MLP ``k → hidden → hidden → 2``, LeakyReLU(0.2)."""

    def __init__(self, latent_dim: int = 2, hidden: int = 64) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.net = _mlp(latent_dim, hidden, 2)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class ProbeDiscriminator(nn.Module):
    """The homework's discriminator: ``net`` = MLP ``2 → hidden → hidden → 1`` (logits)."""

    def __init__(self, hidden: int = 64) -> None:
        super().__init__()
        self.net = _mlp(2, hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def initial_values(cls: type[nn.Module], seed: int, *args: Any) -> dict[str, torch.Tensor]:
    """The parameters of ``cls(*args)`` under torch's default initialization, drawn from
    ``seed`` (the caller's RNG is left as it was). Used by the trusted side and the bench."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module = cls(*args)
    return {name: p.detach().clone() for name, p in module.named_parameters()}


def with_values(module: nn.Module, values: dict[str, Any]) -> nn.Module:
    """``module`` with its parameters overwritten by name (shapes must match); returns it."""
    params = dict(module.named_parameters())
    with torch.no_grad():
        for name, value in values.items():
            params[name].copy_(value)
    return module


def probe_vae(values: dict[str, torch.Tensor], hidden: int, latent_dim: int) -> ProbeVAE:
    """A :class:`ProbeVAE` for 64-pixel images with the given parameter values."""
    return with_values(ProbeVAE(64, hidden, latent_dim), values)


def probe_gan(values_G: dict, values_D: dict, latent_dim: int, hidden: int) -> tuple:
    """A :class:`ProbeGenerator` and a :class:`ProbeDiscriminator` with the given values."""
    G = with_values(ProbeGenerator(latent_dim, hidden), values_G)
    D = with_values(ProbeDiscriminator(hidden), values_D)
    return G, D


# ----------------------------------------------------------------------------- recording


class RecordingSGD(torch.optim.SGD):
    """Plain SGD that appends ``(name, {param name: gradient before the update})`` to a shared
    ``log`` at every ``step()``: which optimizer stepped, in which order, on which gradients."""

    def __init__(self, module: nn.Module, name: str, lr: float, log: list) -> None:
        self._names = {id(p): n for n, p in module.named_parameters()}
        super().__init__(module.parameters(), lr=lr)
        self._label = name
        self._log = log

    @torch.no_grad()
    def step(self, closure=None):
        grads = {}
        for group in self.param_groups:
            for p in group["params"]:
                name = self._names.get(id(p), "?")
                grads[name] = None if p.grad is None else p.grad.detach().clone()
        self._log.append((self._label, grads))
        return super().step(closure)


def run_gan_step(
    gan_step: Any,
    values_G: dict,
    values_D: dict,
    real: torch.Tensor,
    z: torch.Tensor,
    *,
    lr: float,
    latent_dim: int,
    hidden: int,
    steps: int = 1,
) -> dict:
    """Call the submission's ``gan_step`` ``steps`` times on probe networks, with recording SGD.

    Returns:
        ``{"losses": what each call returned, "G": parameters, "D": parameters,
        "log": [(optimizer name, gradients at its step), ...]}``.
    """
    G, D = probe_gan(values_G, values_D, latent_dim, hidden)
    log: list = []
    opt_G = RecordingSGD(G, "opt_G", lr, log)
    opt_D = RecordingSGD(D, "opt_D", lr, log)
    losses = [gan_step(G, D, opt_G, opt_D, real, z) for _ in range(steps)]
    return {
        "losses": losses,
        "G": {n: p.detach().clone() for n, p in G.named_parameters()},
        "D": {n: p.detach().clone() for n, p in D.named_parameters()},
        "log": log,
    }


class CallLog:
    """A callable that records the arguments of every call (an ``on_step`` callback)."""

    def __init__(self) -> None:
        self.calls: list = []

    def __call__(self, *args: Any) -> None:
        self.calls.append(list(args))


def generator_with_seed(seed: int) -> torch.Generator:
    """``torch.Generator().manual_seed(seed)``, made in the worker (a generator is not data).

    Tests pass the worker seed (or a constant), never the data seed: ``generator.initial_seed()``
    would hand it to the submission."""
    return torch.Generator().manual_seed(seed)
