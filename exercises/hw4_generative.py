"""Homework 4 — generative models, a VAE and a GAN: your exercises.

Two ways to learn a distribution from samples. A variational autoencoder (VAE) learns an
encoder ``q(z | x)`` and a decoder ``p(x | z)`` by maximizing a lower bound on the likelihood
of handwritten digits (scikit-learn's 8×8 ``load_digits``, pixels scaled to ``[0, 1]``). A
generative adversarial network (GAN) learns a generator by playing against a discriminator, on
a ring of eight Gaussians in the plane, where one can count the modes it reaches.

Conventions: tensors are float32; a batch is the first dimension; randomness comes from a
``torch.Generator`` the caller passes (``generator=None`` means torch's global generator), so
a seed reproduces a run. Losses are computed from logits (never ``log(sigmoid(...))``).

Replace every ``# TODO`` line and the ``raise NotImplementedError`` below it with your code;
keep the names, the signatures and the marker lines (``# EXERCISE 4.1 — ...``). Every chunk
that starts with a marker line becomes one notebook cell and is graded on its own: put any
helper you write (a name starting with ``_``) inside the chunk that uses it.
"""

# IMPORTS — hw4_generative
from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F


# EXERCISE 4.1 — VAE
class VAE(nn.Module):
    """A small fully connected variational autoencoder.

    Encoder: ``h = ReLU(Linear(x))``, then two heads: ``mu = Linear(h)`` and
    ``logvar = Linear(h)``, the mean and the log-variance ``log σ²`` of the Gaussian
    ``q(z | x) = N(mu, diag(σ²))``. Decoder: ``Linear → ReLU → Linear``, giving one *logit* per
    pixel: ``p(x_j = 1 | z) = sigmoid(logit_j)``. The decoder ends without a sigmoid, so that
    the ELBO can be computed stably from logits (section 4.3).

    Why ``log σ²`` and not ``σ``: a linear layer outputs any real number, a standard deviation
    must be positive; ``σ = exp(0.5 · logvar)`` is positive for every output.

    Args:
        in_features: ``d``, pixels per image (64 for 8×8 digits).
        hidden: width of the hidden layer of the encoder and of the decoder.
        latent_dim: ``k``, dimension of the latent code ``z`` (2: a map you can plot).

    Attributes:
        in_features, latent_dim: the arguments.
        encoder: ``nn.Sequential(nn.Linear(d, hidden), nn.ReLU())``.
        mu_head: ``nn.Linear(hidden, k)``.
        logvar_head: ``nn.Linear(hidden, k)``.
        decoder: ``nn.Sequential(nn.Linear(k, hidden), nn.ReLU(), nn.Linear(hidden, d))``.
        With these names the ``state_dict`` keys are ``encoder.0.weight``, ``mu_head.bias``,
        ``decoder.2.weight``, ...: any two VAEs of this homework can load each other's weights.
    """

    def __init__(self, in_features: int = 64, hidden: int = 128, latent_dim: int = 2) -> None:
        super().__init__()
        # TODO(4.1): store in_features and latent_dim; build encoder, mu_head, logvar_head, decoder.
        raise NotImplementedError("4.1: VAE")

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x``: ``(n, d)`` → ``(mu, logvar)``, both ``(n, k)``."""
        # TODO(4.1): h = self.encoder(x); return the two heads applied to h.
        raise NotImplementedError("4.1: VAE")

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """``z``: ``(n, k)`` → pixel logits ``(n, d)`` (no sigmoid)."""
        # TODO(4.1): return self.decoder(z); no sigmoid here.
        raise NotImplementedError("4.1: VAE")

    def forward(
        self, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encode, sample ``z`` with :func:`reparameterize` (from ``generator``), decode.

        Returns:
            ``(logits, mu, logvar)``: ``(n, d)``, ``(n, k)``, ``(n, k)``.
        """
        # TODO(4.1): mu, logvar = self.encode(x); z = reparameterize(mu, logvar, generator).
        raise NotImplementedError("4.1: VAE")


# EXERCISE 4.2 — reparameterize
def reparameterize(
    mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Draw ``z ~ N(mu, diag(σ²))`` so that gradients flow to ``mu`` and ``logvar``.

    The reparameterization trick: sampling is not differentiable, so move the randomness into
    a noise variable that does not depend on the parameters::

        eps ~ N(0, I)                      (same shape as mu)
        z   = mu + exp(0.5 * logvar) * eps     σ = exp(0.5 · log σ²)

    ``z`` is then a differentiable function of ``mu`` and ``logvar``:
    ``dz/dmu = 1`` and ``dz/dlogvar = 0.5 · σ · eps``. (``torch.distributions.Normal(...).sample()``
    cuts the graph, and ``torch.normal(mu, σ)`` passes no gradient through its sample either:
    with them the encoder would never learn.)

    Args:
        mu: ``(n, k)`` means.
        logvar: ``(n, k)`` log-variances ``log σ²`` (not ``σ``, not ``σ²``).
        generator: where ``eps`` comes from, e.g.
            ``torch.randn(mu.shape, generator=generator)``; ``None``: torch's global generator.
            The same seeded generator gives the same ``z``.

    Returns:
        ``z``: ``(n, k)``, differentiable with respect to ``mu`` and ``logvar``.
    """
    # TODO(4.2): eps = torch.randn(mu.shape, generator=generator); z = mu + exp(logvar / 2) * eps.
    raise NotImplementedError("4.2: reparameterize")


# EXERCISE 4.3 — kl_divergence
def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Closed-form ``KL(N(mu, diag(σ²)) ‖ N(0, I))`` for every example of a batch.

    For diagonal Gaussians the divergence is a sum of one-dimensional ones::

        KL = 0.5 * sum_j (mu_j² + σ_j² - 1 - log σ_j²),    σ_j² = exp(logvar_j)

    summed (not averaged) over the ``k`` latent dimensions. It is ``>= 0``, and ``0`` exactly
    when ``mu = 0`` and ``logvar = 0``: the prior itself.

    Args:
        mu: ``(n, k)`` means.
        logvar: ``(n, k)`` log-variances.

    Returns:
        ``(n,)``: one divergence per example, differentiable.
    """
    # TODO(4.3): 0.5 * (mu² + exp(logvar) - 1 - logvar), summed over the last dimension.
    raise NotImplementedError("4.3: kl_divergence")


# EXERCISE 4.3 — elbo
def elbo(
    x: torch.Tensor,
    logits: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    beta: float = 1.0,
) -> torch.Tensor:
    """The evidence lower bound with a Bernoulli likelihood, averaged over the batch.

    For one example, with ``z`` the sample that produced ``logits``::

        log p(x | z) = sum_j [ x_j log sigmoid(l_j) + (1 - x_j) log(1 - sigmoid(l_j)) ]
        ELBO(x)      = log p(x | z) - beta * KL(q(z | x) ‖ N(0, I))

    with the reconstruction term **summed over the pixels** ``j`` and the KL of
    :func:`kl_divergence`; the result is the **mean over the batch**. It is a lower bound on
    ``log p(x)``, in nats per image: higher is better, and training minimizes ``-elbo``.
    ``beta = 1`` is the VAE; ``beta > 1`` (β-VAE) weighs the prior more, trading sharper
    reconstructions for a smoother latent space.

    ``log p(x | z)`` must be computed from the logits (it is ``-BCE-with-logits``, e.g.
    ``F.binary_cross_entropy_with_logits(logits, x, reduction="none")``, or with
    ``F.softplus``); ``log(sigmoid(l))`` gives ``-inf`` for large ``|l|``. It must stay finite
    and exact for logits up to ``±200``.

    Args:
        x: ``(n, d)`` targets in ``[0, 1]`` (pixel intensities).
        logits: ``(n, d)`` decoder logits.
        mu, logvar: ``(n, k)`` the encoder's outputs for ``x``.
        beta: weight of the KL term, ``>= 0``.

    Returns:
        A 0-dim tensor, differentiable with respect to ``logits``, ``mu`` and ``logvar``.
    """
    # TODO(4.3): minus BCE-with-logits summed over pixels, minus beta * kl_divergence; batch mean.
    raise NotImplementedError("4.3: elbo")


# EXERCISE 4.4 — train_vae
def train_vae(
    model: nn.Module,
    X: torch.Tensor,
    *,
    epochs: int = 20,
    batch_size: int = 64,
    lr: float = 3e-3,
    beta: float = 1.0,
    seed: int = 0,
) -> list[float]:
    """Train a VAE with Adam on ``-elbo``, in shuffled mini-batches; deterministic per seed.

    Exactly this procedure (the hidden tests replay it)::

        g = torch.Generator().manual_seed(seed)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        every epoch:
            order = torch.randperm(n, generator=g)
            for each slice of batch_size rows of order (the last one may be shorter):
                logits, mu, logvar = model(x_batch, generator=g)     # z drawn from g
                loss = -elbo(x_batch, logits, mu, logvar, beta)
                zero the gradients, backward, step

    Args:
        model: a :class:`VAE` (anything with the same ``forward(x, generator)``).
        X: ``(n, d)`` training images in ``[0, 1]``.
        epochs, batch_size, lr, beta: as above.
        seed: seeds ``g``, the only source of randomness (shuffling and ``z``).

    Returns:
        ``list[float]`` of length ``epochs``: each epoch's mean of its batch losses
        (``-elbo``, nats per image), as Python floats.
    """
    # TODO(4.4): follow the procedure above; record the mean loss of every epoch with .item().
    raise NotImplementedError("4.4: train_vae")


# EXERCISE 4.5 — sample
@torch.no_grad()
def sample(model: nn.Module, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """New images from the prior: ``z ~ N(0, I)``, then the decoder's pixel probabilities.

    ``z = torch.randn(n, model.latent_dim, generator=generator)`` (the first and only draw),
    then ``sigmoid(model.decode(z))``: the mean of ``p(x | z)``, a grey-level image, rather than
    a binary image drawn from it. No gradients are recorded.

    Returns:
        ``(n, d)`` probabilities in ``[0, 1]`` that do not require grad.
    """
    # TODO(4.5): draw z from the prior with the generator, decode, apply the sigmoid.
    raise NotImplementedError("4.5: sample")


# EXERCISE 4.5 — interpolate
@torch.no_grad()
def interpolate(
    model: nn.Module, x_a: torch.Tensor, x_b: torch.Tensor, steps: int = 8
) -> torch.Tensor:
    """Walk in latent space from the code of ``x_a`` to the code of ``x_b``.

    The codes are the encoder's means (no sampling, so the walk is deterministic):
    ``mu_a, mu_b``; the path is ``z_t = (1 - t) · mu_a + t · mu_b`` for ``steps`` values of
    ``t`` evenly spaced from 0 to 1 (``torch.linspace(0, 1, steps)``), decoded to pixel
    probabilities ``sigmoid(model.decode(z_t))``. In a good latent space every point on the path
    decodes to a plausible digit. No gradients are recorded.

    Args:
        model: a trained :class:`VAE`.
        x_a, x_b: two images, each of shape ``(d,)``.
        steps: number of images on the path, ``>= 2`` (the first decodes ``mu_a``, the last
            ``mu_b``).

    Returns:
        ``(steps, d)`` probabilities in ``[0, 1]`` that do not require grad.
    """
    # TODO(4.5): encode both images, mix their means with torch.linspace weights, decode.
    raise NotImplementedError("4.5: interpolate")


# EXERCISE 4.6 — Generator
class Generator(nn.Module):
    """The GAN's generator for 2-D data: noise ``z`` → a point of the plane.

    ``net = nn.Sequential(Linear(k, hidden), LeakyReLU(0.2), Linear(hidden, hidden),
    LeakyReLU(0.2), Linear(hidden, 2))``; no activation at the end (points may lie anywhere).

    Args:
        latent_dim: ``k``, dimension of the noise.
        hidden: width of the two hidden layers.

    Attributes:
        latent_dim: the argument (``train_gan`` reads it to draw ``z``).
        net: the ``nn.Sequential`` above (``state_dict`` keys ``net.0.weight``, ...,
            ``net.4.bias``).
    """

    def __init__(self, latent_dim: int = 2, hidden: int = 64) -> None:
        super().__init__()
        # TODO(4.6): store latent_dim; build self.net as described above.
        raise NotImplementedError("4.6: Generator")

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``z``: ``(n, k)`` → points ``(n, 2)``."""
        # TODO(4.6): return self.net(z).
        raise NotImplementedError("4.6: Generator")


# EXERCISE 4.6 — Discriminator
class Discriminator(nn.Module):
    """The GAN's discriminator for 2-D data: a point → the logit of "this point is real".

    ``net = nn.Sequential(Linear(2, hidden), LeakyReLU(0.2), Linear(hidden, hidden),
    LeakyReLU(0.2), Linear(hidden, 1))``; no sigmoid at the end: ``D(x) = sigmoid(logit)`` is
    never formed, the losses take the logits.

    Args:
        hidden: width of the two hidden layers.

    Attributes:
        net: the ``nn.Sequential`` above (``state_dict`` keys ``net.0.weight``, ...).
    """

    def __init__(self, hidden: int = 64) -> None:
        super().__init__()
        # TODO(4.6): build self.net as described above.
        raise NotImplementedError("4.6: Discriminator")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: ``(n, 2)`` → logits ``(n, 1)``."""
        # TODO(4.6): return self.net(x), without a sigmoid.
        raise NotImplementedError("4.6: Discriminator")


# EXERCISE 4.6 — discriminator_loss
def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's loss: binary cross-entropy, real points labelled 1, fakes 0.

    With ``D(x) = sigmoid(logit)``::

        loss = mean_real[-log D(x)] + mean_fake[-log(1 - D(G(z)))]
             = mean(softplus(-real_logits)) + mean(softplus(fake_logits))

    the SUM of the two means (no factor 1/2); the two batches may differ in size. Minimizing
    it maximizes ``log D(x) + log(1 - D(G(z)))``, the discriminator's side of the GAN game.
    Computed from logits (``F.binary_cross_entropy_with_logits``, ``F.softplus`` or
    ``F.logsigmoid``), finite and exact for logits up to ``±200``.

    Args:
        real_logits: ``(n,)`` or ``(n, 1)`` logits of real points.
        fake_logits: ``(m,)`` or ``(m, 1)`` logits of generated points.

    Returns:
        A 0-dim tensor, differentiable with respect to both inputs.
    """
    # TODO(4.6): BCE with logits against ones for the real, zeros for the fake; add the two means.
    raise NotImplementedError("4.6: discriminator_loss")


# EXERCISE 4.6 — generator_loss
def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss: ``mean[-log D(G(z))] = mean(softplus(-fake_logits))``.

    The minimax game asks the generator to minimize ``log(1 - D(G(z)))``. Early in training
    the discriminator rejects the fakes easily (``D(G(z)) ≈ 0``), and there that curve is flat:
    its gradient vanishes and the generator learns nothing (it *saturates*). Maximizing
    ``log D(G(z))`` instead has the same fixed point and a strong gradient exactly there:
    ``d loss / d logit = -(1 - D(G(z))) / m ≈ -1 / m`` per example when ``D(G(z)) ≈ 0``.

    Computed from logits, finite and exact for logits up to ``±200``.

    Args:
        fake_logits: ``(m,)`` or ``(m, 1)`` discriminator logits of generated points.

    Returns:
        A 0-dim tensor, differentiable with respect to ``fake_logits``.
    """
    # TODO(4.6): BCE with logits of the fakes against ones (label them "real"), mean over the batch.
    raise NotImplementedError("4.6: generator_loss")


# EXERCISE 4.7 — gan_step
def gan_step(
    G: nn.Module,
    D: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    real: torch.Tensor,
    z: torch.Tensor,
) -> tuple[float, float]:
    """One alternating GAN update: first the discriminator, then the generator.

    1. ``fake = G(z)``.
    2. Discriminator step: ``d_loss = discriminator_loss(D(real), D(fake.detach()))``; zero
       ``opt_D``'s gradients, backward, ``opt_D.step()``. The ``detach`` keeps this loss out of
       the generator: the generator is not trained to help the discriminator.
    3. Generator step, with the discriminator just updated:
       ``g_loss = generator_loss(D(fake))``; zero ``opt_G``'s gradients, backward,
       ``opt_G.step()``. This backward also leaves gradients in ``D``'s parameters; they are
       never used, because step 2 zeroes them before the next discriminator update.

    Each optimizer holds only its own network's parameters (two optimizers, never one for
    both). Recomputing ``fake = G(z)`` in step 3 is equivalent (``G`` has not changed yet).

    Args:
        G, D: the generator and the discriminator (in train mode).
        opt_G, opt_D: their optimizers.
        real: ``(m, 2)`` a batch of real points.
        z: ``(m, k)`` the noise for this step.

    Returns:
        ``(d_loss, g_loss)`` as Python floats (the values before the two updates' steps).
    """
    # TODO(4.7): fake = G(z); D step on fake.detach(); then G step through the updated D.
    raise NotImplementedError("4.7: gan_step")


# EXERCISE 4.7 — train_gan
def train_gan(
    G: nn.Module,
    D: nn.Module,
    data: torch.Tensor,
    *,
    steps: int = 1000,
    batch_size: int = 128,
    lr: float = 2e-3,
    seed: int = 0,
    on_step: Callable[[int], None] | None = None,
) -> dict[str, list[float]]:
    """Train a GAN for ``steps`` alternating updates; deterministic per seed.

    Exactly this procedure (the hidden tests replay it)::

        g = torch.Generator().manual_seed(seed)
        opt_G = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
        opt_D = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
        for step in 1..steps:
            real = data[torch.randint(0, len(data), (batch_size,), generator=g)]
            z = torch.randn(batch_size, G.latent_dim, generator=g)
            d_loss, g_loss = gan_step(G, D, opt_G, opt_D, real, z)
            if on_step is not None: on_step(step)

    Two optimizers, one per network: a single optimizer over both would also move ``D`` with
    the gradients the generator's loss leaves in it. ``beta1 = 0.5`` is the usual GAN choice
    (DCGAN): less momentum for a target that keeps moving.

    Args:
        G, D: the networks, trained in place.
        data: ``(N, 2)`` real points to draw batches from (with replacement).
        steps, batch_size, lr: as above.
        seed: seeds ``g``, the only source of randomness.
        on_step: called after every step with the 1-based step number (e.g. to take snapshots
            of the generator's samples).

    Returns:
        ``{"d_loss": [...], "g_loss": [...]}``: one Python float per step each.
    """
    # TODO(4.7): two Adam optimizers, then the loop above; record both losses of every step.
    raise NotImplementedError("4.7: train_gan")
