"""Probes for hw2_segmentation: trusted networks and loops that hidden tests run *in the worker*.

A U-Net with the reference's layout (``ProbeUNet``) and a plain training loop let every test of
the acceleration sections start from a network that is right by construction, so a mistake in
the student's U-Net (2.3) or training loop (2.4) costs those sections only; ``use_trusted_*``
give the submission's module trusted versions of the functions one exercise may call from
another. A latency probe records how it is called. Like every probe they are not secret and
decide nothing: the tests judge whatever comes back, in the trusted process.

The same module serves the trusted side too: the tests train the U-Nets that pruning and
quantization start from with :func:`trained_unet` in the grader's own process (a probe in the
worker could be replaced by the submission) and send them with :func:`to_worker`;
:func:`unet_from_state` loads the weights that come back into the grader's own network, to be
measured there with :func:`mean_iou`.
"""

import hashlib
import time
from collections import OrderedDict
from types import ModuleType

import torch
from torch import nn
from torch.nn import functional as F

from torchgrade.datasets.shapes import NUM_CLASSES


def _block(a: int, b: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for c_in in (a, b):
        layers += [nn.Conv2d(c_in, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU()]
    return nn.Sequential(*layers)


class ProbeUNet(nn.Module):
    """The U-Net of exercise 2.3, written independently: same layers, same ``state_dict`` keys."""

    def __init__(
        self, in_channels: int = 1, num_classes: int = 4, width: int = 8, depth: int = 2
    ) -> None:
        super().__init__()
        c = [width * 2**i for i in range(depth + 1)]
        self.encoders = nn.ModuleList(
            [_block(in_channels, c[0])] + [_block(c[i - 1], c[i]) for i in range(1, depth)]
        )
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = _block(c[depth - 1], c[depth])
        self.upsamplers = nn.ModuleList(
            [nn.ConvTranspose2d(c[i + 1], c[i], 2, stride=2) for i in range(depth - 1, -1, -1)]
        )
        self.decoders = nn.ModuleList([_block(2 * c[i], c[i]) for i in range(depth - 1, -1, -1)])
        self.head = nn.Conv2d(c[0], num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for encoder in self.encoders:
            x = encoder(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for k, (up, decoder) in enumerate(zip(self.upsamplers, self.decoders, strict=True)):
            x = decoder(torch.cat([skips[-1 - k], up(x)], dim=1))
        return self.head(x)


def unet(
    seed: int, width: int = 8, depth: int = 2, scramble_bn: bool = False, bn_eps: float = 1e-5
) -> ProbeUNet:
    """A :class:`ProbeUNet` initialised from ``seed``; with ``scramble_bn`` its batch norms get
    random affine parameters and running statistics (as after training), so that folding them
    is not an identity. ``bn_eps`` is every batch norm's ``eps`` (not in the ``state_dict``)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = ProbeUNet(width=width, depth=depth)
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eps = bn_eps
        if scramble_bn:
            with torch.no_grad():
                for m in net.modules():
                    if isinstance(m, nn.BatchNorm2d):
                        m.weight.uniform_(0.5, 1.5)
                        m.bias.normal_(0, 0.3)
                        m.running_mean.normal_(0, 0.5)
                        m.running_var.uniform_(0.05, 2.0)
    return net.eval()


def train(
    model: nn.Module,
    images: torch.Tensor,
    masks: torch.Tensor,
    *,
    epochs: int,
    lr: float = 0.02,
    batch_size: int = 32,
    seed: int = 0,
) -> list[float]:
    """The trusted training loop (the reference's ``train_segmenter`` with cross entropy)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    n = images.shape[0]
    history = []
    model.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        losses = []
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            loss = F.cross_entropy(model(images[idx]), masks[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        history.append(sum(losses) / len(losses))
    model.eval()
    return history


# Trained states by their inputs' digest, newest last (trained_unet).
_TRAINED: "OrderedDict[bytes, dict[str, torch.Tensor]]" = OrderedDict()
TRAINED_KEPT = 8


def trained_unet(
    images: torch.Tensor, masks: torch.Tensor, *, seed: int, epochs: int, width: int = 8
) -> ProbeUNet:
    """A :class:`ProbeUNet` from ``seed`` trained with :func:`train`; in eval mode.

    Used by the tests in the trusted process. The training is deterministic, so the last
    few results are kept by a digest of every input: grading many submissions with one run
    seed (the corpus, ``grader batch --seed``) trains each of these U-Nets once."""
    digest = hashlib.blake2b(repr((seed, epochs, width, images.shape, masks.shape)).encode())
    digest.update(images.contiguous().numpy().tobytes())
    digest.update(masks.contiguous().numpy().tobytes())
    key = digest.digest()
    net = unet(seed, width=width)
    if key in _TRAINED:
        _TRAINED.move_to_end(key)
        net.load_state_dict(_TRAINED[key])
        return net.eval()
    train(net, images, masks, epochs=epochs, seed=seed)
    _TRAINED[key] = {k: v.clone() for k, v in net.state_dict().items()}
    while len(_TRAINED) > TRAINED_KEPT:
        _TRAINED.popitem(last=False)
    return net


def unet_from_state(state: object, what: str, width: int = 8) -> ProbeUNet:
    """Used by the tests in the trusted process, on what came back from the worker: a
    :class:`ProbeUNet` holding the returned ``state_dict``, so that the grader measures the
    trained weights with its own network and its own :func:`predict`.

    Raises ``AssertionError`` (the student's fault) if ``state`` is not a ``state_dict`` of a
    width-``width`` U-Net (e.g. a pruning left as ``weight_orig`` and ``weight_mask``)."""
    from torchgrade import expect  # trusted side only; the worker never calls this

    if not isinstance(state, dict):
        raise AssertionError(f"{what}: the model's state_dict did not come back as a dict")
    tensors = {k: expect.tensor(v, what=f"{what}: state_dict()[{k!r}]", dtype=None)
               for k, v in state.items()}  # fmt: skip
    net = unet(0, width=width)
    try:
        net.load_state_dict(tensors)
    except (RuntimeError, KeyError) as exc:
        raise AssertionError(
            f"{what}: the model's state_dict no longer fits the U-Net: {str(exc)[:300]}"
        ) from None
    return net


def to_worker(remote_probes, net: nn.Module, width: int = 8):
    """Used by the tests in the trusted process: a copy of ``net`` (a :class:`ProbeUNet` of
    width ``width`` trained or built here) in the worker, in eval mode. ``remote_probes`` is
    this module imported in the worker. Trained here, so that no probe the submission could
    replace decides what the test starts from."""
    copy = remote_probes.unet(0, width=width)
    errors = remote_probes.load(copy, net.state_dict())
    assert not errors, f"the grader's U-Net did not load in the worker: {errors}"
    copy.eval()
    return copy


def mean_iou(pred: torch.Tensor, target: torch.Tensor) -> float:
    """The trusted metric of the tests: mean IoU over the classes present in either map;
    ``pred`` and ``target`` are class maps of the same shape, e.g. ``(N, H, W)``."""
    ious = []
    for c in range(NUM_CLASSES):
        union = ((pred == c) | (target == c)).sum()
        if union > 0:
            ious.append((((pred == c) & (target == c)).sum() / union).item())
    return sum(ious) / len(ious)


def predict(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Arg-max classes ``(N, H, W)`` of ``model`` in eval mode (its mode is left as it was)."""
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            return model(images).argmax(dim=1)
    finally:
        model.train(was)


def call_as_is(model: nn.Module, x: torch.Tensor) -> dict:
    """``model(x)`` in whatever mode the model is in, without autograd, and that mode."""
    training = bool(model.training)
    with torch.no_grad():
        return {"output": model(x), "training": training}


def _trusted_train_segmenter(model, images, masks, *, epochs=20, lr=0.02, batch_size=32,
                             loss_fn=None, seed=0):  # fmt: skip
    if loss_fn is not None and loss_fn is not F.cross_entropy:
        raise ValueError("the trusted train_segmenter of the probes uses cross entropy only")
    return train(model, images, masks, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed)


def use_trusted_train_segmenter(module: ModuleType) -> None:
    """Give the submission's module a trusted ``train_segmenter`` (for 2.6, which calls it)."""
    module.train_segmenter = _trusted_train_segmenter


def _trusted_distillation_loss(student_logits, teacher_logits, target, T=4.0, alpha=0.5):
    log_q = F.log_softmax(student_logits / T, dim=1)
    log_p = F.log_softmax(teacher_logits.detach() / T, dim=1)
    kl = (log_p.exp() * (log_p - log_q)).sum(dim=1).mean()
    return alpha * T**2 * kl + (1 - alpha) * F.cross_entropy(student_logits, target)


def weighted_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """A loss a test hands to ``train_segmenter(loss_fn=...)``: CE weighing rarer classes more."""
    weight = torch.tensor([0.5, 1.0, 2.0, 3.0])[: logits.shape[1]]
    return F.cross_entropy(logits, target, weight=weight)


def use_trusted_distillation_loss(module: ModuleType) -> None:
    """Give the submission's module a trusted ``distillation_loss`` (for ``distill`` in 2.8)."""
    module.distillation_loss = _trusted_distillation_loss


# ----------------------------------------------------------------------------- inspection


def structure(model: nn.Module) -> dict:
    """What a test needs to know about a model's layout, as data.

    Returns:
        ``{"types": [class name of every module, in ``modules()`` order], "state": {key:
        (shape, dtype name)}, "pre_hooks": number of forward pre-hooks on all modules,
        "parameters": {name: shape}, "training": model.training}``.
    """
    return {
        "types": [type(m).__name__ for m in model.modules()],
        "state": {
            k: [list(v.shape), str(v.dtype).removeprefix("torch.")]
            for k, v in model.state_dict().items()
        },
        "pre_hooks": sum(len(m._forward_pre_hooks) for m in model.modules()),
        "parameters": {k: list(p.shape) for k, p in model.named_parameters()},
        "training": bool(model.training),
    }


def state_tensors(model: nn.Module) -> dict[str, torch.Tensor]:
    """``state_dict`` values as plain tensors (copies)."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def conv_weights(model: nn.Module) -> dict[str, torch.Tensor]:
    """``{module name: weight}`` of every Conv2d and ConvTranspose2d (the effective weight)."""
    return {
        name: m.weight.detach().clone()
        for name, m in model.named_modules()
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))
    }


def load(model: nn.Module, state: dict[str, torch.Tensor]) -> list[str]:
    """``model.load_state_dict(state)``; returns the error message lines (empty if it loaded)."""
    try:
        model.load_state_dict(state)
    except (RuntimeError, KeyError) as exc:
        return str(exc).splitlines()[:6]
    return []


def modules_equal(a: nn.Module, b: nn.Module) -> bool:
    """Whether two modules have identical ``state_dict`` s (used to prove one was not changed)."""
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


# ----------------------------------------------------------------------------- latency


class LatencyProbe(nn.Module):
    """A "model" whose calls take scripted times, and that records how it was called.

    Call ``k`` sleeps ``durations[k]`` seconds (the last value once the script runs out) and
    records whether inference mode and grad mode were on, torch's thread count and the
    module's training flag at that moment.
    """

    def __init__(self, durations: list[float]) -> None:
        super().__init__()
        self.durations = list(durations)
        self.calls: list[dict] = []
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = len(self.calls)
        self.calls.append(
            {
                "inference_mode": torch.is_inference_mode_enabled(),
                "grad_enabled": torch.is_grad_enabled(),
                "threads": torch.get_num_threads(),
                "training": bool(self.training),
            }
        )
        time.sleep(self.durations[min(k, len(self.durations) - 1)])
        return x * self.scale

    def record(self) -> list[dict]:
        return list(self.calls)


def threads() -> int:
    return torch.get_num_threads()


def set_threads(n: int) -> None:
    torch.set_num_threads(n)
