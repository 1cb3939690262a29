"""S4.4 EarlyStopping: the stopping rule, and the copy of the best model it restores.

The tests drive the stopper with made-up validation losses and the grader's own network,
whose weights and buffers they change in place between epochs, as an optimizer does. Losses
are multiples of 1/64 and ``min_delta`` a multiple of 1/16: every comparison is exact in
float32 and float64 alike, so ``val < best - min_delta`` and ``best - val > min_delta`` agree.
"""

import math

import pytest
import torch

from torchgrade import expect
from torchgrade.remote import StudentError

pytestmark = pytest.mark.section("S4.4")

PROBES = "torchgrade.probes.sem4_regularization"
PARAMS = {
    "fc1.weight": (4, 3),
    "fc1.bias": (4,),
    "bn.weight": (4,),
    "bn.bias": (4,),
    "fc2.weight": (2, 4),
    "fc2.bias": (2,),
}
BUFFERS = ("bn.running_mean", "bn.running_var", "bn.num_batches_tracked")


def _stopper(student, **kwargs):
    return student.sem4_regularization.EarlyStopping(**kwargs)


def _label(kwargs: dict) -> str:
    return "EarlyStopping({})".format(", ".join(f"{k}={v:g}" for k, v in kwargs.items()))


def _as_bool(value, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, torch.Tensor) and value.numel() == 1 and value.dtype == torch.bool:
        return bool(value.item())
    raise AssertionError(f"{what} should return True or False, got {expect.kind(value)}")


def _int(value, what: str) -> int:
    number = expect.number(value, what=what)
    assert number == int(number), f"{what} should be a whole number, got {number:g}"
    return int(number)


def _attributes(stopper) -> dict:
    return {
        "best_loss": expect.number(stopper.best_loss, what="best_loss"),
        "best_epoch": _int(stopper.best_epoch, "best_epoch"),
        "bad_epochs": _int(stopper.bad_epochs, "bad_epochs"),
    }


def _history(stopper, what: str) -> list[float]:
    history = stopper.history
    if not isinstance(history, list):
        raise AssertionError(f"{what}.history should be a list, got {expect.kind(history)}")
    return [expect.number(v, what=f"an element of {what}.history") for v in history]


def _params(g: torch.Generator) -> dict[str, torch.Tensor]:
    return {name: torch.randn(*shape, generator=g) for name, shape in PARAMS.items()}


def _buffers(g: torch.Generator, epoch: int) -> dict[str, torch.Tensor]:
    return {
        "bn.running_mean": torch.randn(4, generator=g),
        "bn.running_var": torch.rand(4, generator=g) + 0.5,
        "bn.num_batches_tracked": torch.tensor(10 * (epoch + 1)),
    }


def _expected_run(losses: list[float], patience: int, min_delta: float) -> list[dict]:
    """The stopper's state after each call, by the docstring's rule (run to the first True)."""
    best, best_epoch, bad, states = math.inf, -1, 0, []
    for i, loss in enumerate(losses):
        if loss < best - min_delta:
            best, best_epoch, bad = loss, i, 0
        else:
            bad += 1
        states.append(
            {
                "stop": bad >= patience,
                "best_loss": best,
                "best_epoch": best_epoch,
                "bad_epochs": bad,
            }
        )
        if bad >= patience:
            break
    return states


def _drive(student, kwargs: dict, losses: list[float], model=None) -> None:
    """Step a new stopper through ``losses``, checking every return value and attribute."""
    stopper = _stopper(student, **kwargs)
    model = model if model is not None else student.import_module(PROBES).probe_net()
    label = _label(kwargs)
    for i, want in enumerate(
        _expected_run(losses, kwargs.get("patience", 10), kwargs.get("min_delta", 0.0))
    ):
        what = f"{label}: step() call {i} (0-based)"
        stop = _as_bool(stopper.step(losses[i], model), what)
        got = _attributes(stopper)
        for name in ("best_epoch", "bad_epochs"):
            assert got[name] == want[name], (
                f"{what}: after it, {name} should be {want[name]}, got {got[name]}"
            )
        assert got["best_loss"] == want["best_loss"], (
            f"{what}: after it, best_loss should be the lowest val_loss that counted as an "
            "improvement (val_loss < best_loss - min_delta)"
        )
        if stop != want["stop"]:
            when = (
                f"the call with index best_epoch + patience = {want['best_epoch']} + "
                f"{kwargs.get('patience', 10)}"
            )
            raise AssertionError(
                f"{what} returned {stop}: it should return True exactly when bad_epochs >= "
                f"patience, i.e. first at {when} when nothing improves after best_epoch"
            )
    history = _history(stopper, label)
    assert history == losses[: len(history)] and len(history) == i + 1, (
        f"{label}.history should hold every val_loss passed to step(), in order"
    )


def _read_best_state(student, stopper, what: str) -> dict:
    state = student.import_module(PROBES).read_state(stopper, "best_state")
    if not isinstance(state, dict):
        raise AssertionError(
            f"{what}.best_state should be a dict of tensors (a copy of model.state_dict()), "
            f"got {state if isinstance(state, str) else expect.kind(state)}"
        )
    return state


@pytest.mark.points(0.25)
@pytest.mark.public
def test_initial_attributes(student):
    for kwargs in ({}, {"patience": 3, "min_delta": 0.01}):
        label = _label(kwargs) if kwargs else "EarlyStopping()"
        stopper = _stopper(student, **kwargs)
        for name, want in (
            ("patience", kwargs.get("patience", 10)),
            ("min_delta", kwargs.get("min_delta", 0.0)),
        ):
            got = expect.number(getattr(stopper, name), what=f"{label}.{name}")
            assert got == want, f"{label}.{name} should be {want:g}, got {got:g}"
        assert _history(stopper, label) == [], f"{label}.history should start empty"
        got = _attributes(stopper)
        assert got["best_loss"] == math.inf, (
            f"{label}.best_loss should start at float('inf'), got {got['best_loss']:g}"
        )
        assert got["best_epoch"] == -1, f"{label}.best_epoch should start at -1"
        assert got["bad_epochs"] == 0, f"{label}.bad_epochs should start at 0"
        state = student.import_module(PROBES).read_state(stopper, "best_state")
        assert state is None, f"{label}.best_state should start as None"


@pytest.mark.points(0.25)
@pytest.mark.public
def test_stops_exactly_patience_epochs_after_the_best(student, seed):
    patience = 2 + seed % 3
    # Best at call 1, then only worse losses: the call 1 + patience is the first to stop.
    losses = [1.0, 0.5] + [0.75 - 0.0625 * (k % 3) for k in range(patience + 2)]
    _drive(student, {"patience": patience}, losses)


@pytest.mark.points(0.25)
def test_random_loss_curves(student, seed):
    g = torch.Generator().manual_seed(seed)
    model = student.import_module(PROBES).probe_net()
    for patience, min_delta in ((1, 0.0), (2 + seed % 4, 0.0), (3, 0.0625)):
        # A noisy, slowly decreasing curve of multiples of 1/64, ties included.
        steps = torch.randint(-3, 3, (30,), generator=g)
        losses = [(64 + int(s)) / 64 for s in torch.cumsum(steps, 0)]
        kwargs = {"patience": patience, "min_delta": min_delta}
        _drive(student, kwargs, losses, model)


@pytest.mark.points(0.125)
def test_counter_resets_on_improvement(student):
    # Two bad epochs, an improvement (bad_epochs back to 0), then three more to stop.
    _drive(student, {"patience": 3}, [1.0, 1.25, 1.125, 0.5, 1.0, 0.75, 0.5, 2.0])


@pytest.mark.points(0.25)
def test_tie_is_not_an_improvement(student):
    _drive(student, {"patience": 3}, [0.5, 0.5, 0.5, 0.5])
    # With min_delta, a loss exactly min_delta below the best does not count either.
    _drive(student, {"patience": 4, "min_delta": 0.25}, [1.0, 0.75, 0.8125, 0.5, 0.3125])


@pytest.mark.points(0.125)
def test_accepts_a_0_dim_tensor_loss(student):
    stopper = _stopper(student, patience=2)
    model = student.import_module(PROBES).probe_net()
    label = "EarlyStopping(patience=2)"
    returns = []
    for loss in (0.75, 0.5, 0.625, 0.625):
        what = f"{label}.step(torch.tensor({loss}), model)"
        returns.append(_as_bool(stopper.step(torch.tensor(loss), model), what))
    assert returns == [False, False, False, True], (
        f"{label}.step() with 0-dim tensor losses should stop when a float loss would"
    )
    got = _attributes(stopper)
    assert (got["best_loss"], got["best_epoch"], got["bad_epochs"]) == (0.5, 1, 2), (
        f"{label} given 0-dim tensor losses should track best_loss, best_epoch and bad_epochs "
        "as for float losses"
    )
    assert _history(stopper, label) == [0.75, 0.5, 0.625, 0.625], (
        f"{label}.history should hold the losses passed to step()"
    )


@pytest.mark.points(0.25)
def test_best_state_is_a_copy_not_a_reference(student, seed):
    g = torch.Generator().manual_seed(seed)
    probes = student.import_module(PROBES)
    best = _params(g)
    model = probes.probe_net(best)
    stopper = _stopper(student, patience=5)
    stopper.step(0.5, model)
    # Training goes on: the weights change in place, and the loss gets worse.
    for loss in (0.75, 0.625):
        student.probes.set_parameters(model, _params(g))
        stopper.step(loss, model)
    what = "EarlyStopping(patience=5)"
    state = _read_best_state(student, stopper, what)
    for name, want in best.items():
        assert name in state, f"{what}.best_state should hold every entry of model.state_dict()"
        got = state[name]
        expect.tensor(got, what=f"{what}.best_state[{name!r}]", shape=tuple(want.shape))
        assert torch.equal(got, want), (
            f"{what}.best_state[{name!r}] changed when the model's weights changed after the "
            "best epoch: store detached clones (state_dict() returns the live tensors)"
        )


@pytest.mark.points(0.25)
def test_best_state_includes_buffers(student, seed):
    g = torch.Generator().manual_seed(seed)
    probes = student.import_module(PROBES)
    best_params, best_buffers = _params(g), _buffers(g, 0)
    model = probes.probe_net(best_params, best_buffers)
    stopper = _stopper(student, patience=5)
    stopper.step(0.5, model)
    for epoch, loss in ((1, 0.75), (2, 0.625)):
        student.probes.set_parameters(model, _params(g))
        probes.set_buffers(model, _buffers(g, epoch))
        stopper.step(loss, model)
    what = "EarlyStopping(patience=5)"
    state = _read_best_state(student, stopper, what)
    for name, want in best_buffers.items():
        assert name in state, (
            f"{what}.best_state has no {name!r}: copy the whole model.state_dict(), buffers "
            "(e.g. batch norm's running statistics) included, not only the parameters"
        )
        assert isinstance(state[name], torch.Tensor) and torch.equal(state[name], want), (
            f"{what}.best_state[{name!r}] should be the buffer's value at the best epoch"
        )
    stopper.restore(model)
    restored = student.probes.named_buffers(model)
    for name, want in best_buffers.items():
        assert torch.equal(restored[name], want), (
            f"after {what}.restore(model), the model's buffer {name!r} should be back at its "
            "value of the best epoch"
        )


@pytest.mark.points(0.125)
def test_restore_loads_the_best_not_the_last(student, seed):
    g = torch.Generator().manual_seed(seed)
    probes = student.import_module(PROBES)
    losses = [1.0, 0.75, 0.5, 0.625, 0.5625, 0.5, 0.875]
    epochs = [(_params(g), _buffers(g, e)) for e in range(len(losses))]
    model = probes.probe_net(*epochs[0])
    stopper = _stopper(student, patience=10)
    for (params, buffers), loss in zip(epochs, losses, strict=True):
        student.probes.set_parameters(model, params)
        probes.set_buffers(model, buffers)
        stopper.step(loss, model)
    stopper.restore(model)
    what = "EarlyStopping(patience=10)"
    got = student.probes.named_parameters(model)
    want = epochs[2][0]  # the best epoch: call 2 (a later tie does not count)
    for name, value in want.items():
        assert torch.equal(got[name], value), (
            f"after {what}.restore(model), {name} should hold its value of the best epoch "
            "(not of the last one)"
        )


@pytest.mark.points(0.125)
def test_misuse_raises(student):
    stopper = _stopper(student)
    model = student.import_module(PROBES).probe_net()
    for call, error, what in (
        (lambda: stopper.restore(model), "RuntimeError", "restore(model) before any step()"),
        (lambda: _stopper(student, patience=0), "ValueError", "EarlyStopping(patience=0)"),
        (lambda: _stopper(student, min_delta=-0.1), "ValueError", "EarlyStopping(min_delta=-0.1)"),
    ):
        try:
            call()
        except StudentError as exc:
            assert exc.type_name == error, f"{what} should raise {error}, got {exc.type_name}"
            continue
        raise AssertionError(f"{what} should raise {error}")
