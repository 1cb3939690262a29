"""S2.2 Momentum: the lecture's velocity ``v = mu * v - lr * g; p += v``.

While the learning rate stays constant it takes the same path as ``torch.optim.SGD`` with
``momentum=mu`` (and torch's default ``dampening=0``), whose buffer is ``-v / lr``: most tests
compare with torch. When the learning rate changes mid-run the two differ, and the test of that
case compares with the lecture's formula (the reference solution).
"""

import pytest
import torch

from torchgrade.probes.sem2_optimizers import (
    check_bookkeeping,
    check_closure_losses,
    check_paths,
    check_raises,
    check_state,
    torch_optimizer,
)

pytestmark = pytest.mark.section("S2.2")

NAME = "Momentum"
TORCH = torch_optimizer("SGD")  # momentum comes from the hyper-parameters, dampening=0
AGAINST = "torch.optim.SGD(momentum=mu), which takes the lecture's path at a constant lr"


def _hyper(g: torch.Generator) -> dict:
    u = torch.rand(3, generator=g).tolist()
    return {"lr": 0.005 + 0.03 * u[0], "momentum": 0.5 + 0.45 * u[1], "weight_decay": 0.3 * u[2]}


def _groups(g: torch.Generator) -> list[dict]:
    return [{"params": [0, 1], **_hyper(g)}, {"params": [2], **_hyper(g)}, {"params": [3]}]


@pytest.mark.points(0.125)
@pytest.mark.public
def test_first_steps_match_torch(student, seed):
    defaults = {"lr": 0.02, "momentum": 0.9, "weight_decay": 0.1}
    check_paths(
        student,
        NAME,
        TORCH,
        [{"params": [0, 1, 2, 3]}],
        defaults,
        seed=seed,
        steps=3,
        against=AGAINST,
    )


@pytest.mark.points(0.375)
def test_matches_torch_with_own_hyperparameters_per_group(student, seed):
    g = torch.Generator().manual_seed(seed)
    check_paths(student, NAME, TORCH, _groups(g), _hyper(g), seed=seed, steps=30, against=AGAINST)


@pytest.mark.points(0.25)
def test_velocity_keeps_the_learning_rate_it_was_built_with(student, ref, seed):
    g = torch.Generator().manual_seed(seed)
    schedule = {8: [0.002, 0.004, 0.001], 16: [0.03, 0.01, 0.02]}
    check_paths(
        student,
        NAME,
        ref.sem2_optimizers.Momentum,
        _groups(g),
        _hyper(g),
        seed=seed,
        steps=24,
        lr_schedule=schedule,
        against="the lecture's v = mu * v - lr * g; p = p + v",
        context=", param_groups' lr changed twice (here the lecture and torch differ)",
    )


@pytest.mark.points(0.25)
def test_state_is_kept_per_parameter(student, seed):
    g = torch.Generator().manual_seed(seed)
    groups, defaults = _groups(g), _hyper(g)
    got, want = check_paths(
        student, NAME, TORCH, groups, defaults, seed=seed, steps=6, against=AGAINST
    )
    entries = check_state(got, ["velocity"], "Momentum")
    for i, entry in enumerate(entries):
        group = next(gr for gr in groups if i in gr["params"])
        velocity = (
            -group.get("lr", defaults["lr"]) * want["state"]["per_param"][i]["momentum_buffer"]
        )
        assert torch.allclose(entry["velocity"], velocity, rtol=1e-4, atol=1e-6), (
            f"Momentum: state[p]['velocity'] of parameter {i} should be the lecture's velocity "
            "v (so that the step was p = p + v)"
        )


@pytest.mark.points(0.125)
def test_weight_decay_uses_the_parameter_before_the_update(student, seed):
    defaults = {"lr": 0.5, "momentum": 0.5, "weight_decay": 1.0}
    check_paths(
        student,
        NAME,
        TORCH,
        [{"params": [0, 1, 2, 3]}],
        defaults,
        seed=seed,
        steps=5,
        scale=0.05,
        context=" (a gentle problem, large weight decay)",
        against=AGAINST,
    )


@pytest.mark.points(0.125)
def test_step_updates_in_place_under_no_grad(student, seed):
    groups = [{"params": [0, 1], "weight_decay": 0.2}, {"params": [2, 3]}]
    defaults = {"lr": 0.02, "momentum": 0.9, "weight_decay": 0.1}
    got, _ = check_paths(
        student, NAME, TORCH, groups, defaults, seed=seed, steps=4, against=AGAINST
    )
    check_bookkeeping(got, "Momentum with weight decay")
    check_state(got, ["velocity"], "Momentum with weight decay")


@pytest.mark.points(0.0625)
def test_skips_parameters_without_grad(student, seed):
    g = torch.Generator().manual_seed(seed)
    no_grad_at = {t: [int(torch.randint(0, 4, (1,), generator=g))] for t in range(10)}
    check_paths(
        student,
        NAME,
        TORCH,
        _groups(g),
        _hyper(g),
        seed=seed,
        steps=10,
        no_grad_at=no_grad_at,
        context=" (one parameter without .grad at each step)",
        against=AGAINST,
    )


@pytest.mark.points(0.0625)
def test_closure(student, seed):
    g = torch.Generator().manual_seed(seed)
    got, want = check_paths(
        student,
        NAME,
        TORCH,
        _groups(g),
        _hyper(g),
        seed=seed,
        steps=8,
        closure=True,
        context=" with step(closure)",
        against=AGAINST,
    )
    check_closure_losses(got, want, NAME)


@pytest.mark.points(0.0625)
def test_state_dict_round_trip(student, seed):
    g = torch.Generator().manual_seed(seed)
    check_paths(
        student,
        NAME,
        TORCH,
        _groups(g),
        _hyper(g),
        seed=seed,
        steps=12,
        restart_at=6,
        restart_defaults={"lr": 0.5, "momentum": 0.1, "weight_decay": 0.9},
        against=AGAINST,
        context=", saved with state_dict() after 6 steps and loaded into a new Momentum(lr=0.5, "
        "momentum=0.1, weight_decay=0.9)",
    )


@pytest.mark.points(0.0625)
def test_invalid_arguments_raise(student):
    check_raises(
        student,
        NAME,
        [
            {"lr": -0.1},
            {"lr": 0.1, "momentum": 1.0},
            {"lr": 0.1, "momentum": -0.5},
            {"lr": 0.1, "weight_decay": -1.0},
        ],
    )
