"""S2.5 RMSProp: ``s = alpha * s + (1 - alpha) * g * g; p -= lr * g / (sqrt(s) + eps)``.

Compared with ``torch.optim.RMSprop`` (``momentum=0, centered=False``, its defaults) step by
step; small gradients and a large ``eps`` show where ``eps`` sits.
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

pytestmark = pytest.mark.section("S2.5")

NAME = "RMSProp"
TORCH = torch_optimizer("RMSprop")
AGAINST = "torch.optim.RMSprop"


def _hyper(g: torch.Generator) -> dict:
    u = torch.rand(4, generator=g).tolist()
    return {
        "lr": 0.002 + 0.02 * u[0],
        "alpha": 0.5 + 0.49 * u[1],
        "eps": 10 ** (-8 + 2 * u[2]),  # where it sits shows only in the test named after it
        "weight_decay": 0.3 * u[3],
    }


def _groups(g: torch.Generator) -> list[dict]:
    return [{"params": [0, 1], **_hyper(g)}, {"params": [2], **_hyper(g)}, {"params": [3]}]


@pytest.mark.points(0.125)
@pytest.mark.public
def test_first_steps_match_torch(student, seed):
    defaults = {"lr": 0.01, "alpha": 0.9, "eps": 1e-8, "weight_decay": 0.1}
    check_paths(
        student,
        NAME,
        TORCH,
        [{"params": [0, 1, 2, 3]}],
        defaults,
        seed=seed,
        far=True,
        steps=3,
        against=AGAINST,
    )


@pytest.mark.points(0.25)
def test_matches_torch_with_own_hyperparameters_per_group(student, seed):
    g = torch.Generator().manual_seed(seed)
    check_paths(
        student, NAME, TORCH, _groups(g), _hyper(g), seed=seed, far=True, steps=30, against=AGAINST
    )


@pytest.mark.points(0.125)
def test_eps_outside_the_square_root(student, seed):
    defaults = {"lr": 0.001, "alpha": 0.9, "eps": 1e-3, "weight_decay": 0.0}
    check_paths(
        student,
        NAME,
        TORCH,
        [{"params": [0, 1, 2, 3]}],
        defaults,
        seed=seed,
        far=True,
        steps=5,
        scale=1e-3,
        context=" (tiny gradients, large eps)",
        against=AGAINST,
    )


@pytest.mark.points(0.125)
def test_state_is_kept_per_parameter(student, seed):
    g = torch.Generator().manual_seed(seed)
    got, want = check_paths(
        student, NAME, TORCH, _groups(g), _hyper(g), seed=seed, far=True, steps=6, against=AGAINST
    )
    entries = check_state(got, ["square_avg"], "RMSProp")
    for i, entry in enumerate(entries):
        average = want["state"]["per_param"][i]["square_avg"]
        assert torch.allclose(entry["square_avg"], average, rtol=1e-4, atol=1e-7), (
            f"RMSProp: state[p]['square_avg'] of parameter {i} should be the decaying average "
            "s = alpha * s + (1 - alpha) * g * g"
        )


@pytest.mark.points(0.0625)
def test_weight_decay_uses_the_parameter_before_the_update(student, seed):
    defaults = {"lr": 0.05, "alpha": 0.9, "eps": 0.0, "weight_decay": 1.0}
    check_paths(
        student,
        NAME,
        TORCH,
        [{"params": [0, 1, 2, 3]}],
        defaults,
        seed=seed,
        far=True,
        steps=5,
        scale=0.05,
        context=" (a gentle problem, large weight decay)",
        against=AGAINST,
    )


@pytest.mark.points(0.0625)
def test_step_updates_in_place_under_no_grad(student, seed):
    groups = [{"params": [0, 1], "weight_decay": 0.2}, {"params": [2, 3]}]
    defaults = {"lr": 0.01, "alpha": 0.9, "eps": 1e-8, "weight_decay": 0.1}
    got, _ = check_paths(
        student, NAME, TORCH, groups, defaults, seed=seed, far=True, steps=4, against=AGAINST
    )
    check_bookkeeping(got, "RMSProp with weight decay")
    check_state(got, ["square_avg"], "RMSProp with weight decay")


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
        far=True,
        steps=10,
        no_grad_at=no_grad_at,
        context=" (one parameter without .grad at each step)",
        against=AGAINST,
    )


@pytest.mark.points(0.0625)
def test_closure_and_learning_rate_changes(student, seed):
    g = torch.Generator().manual_seed(seed)
    schedule = {5: [0.001, 0.002, 0.005], 10: [0.02, 0.01, 0.03]}
    got, want = check_paths(
        student,
        NAME,
        TORCH,
        _groups(g),
        _hyper(g),
        seed=seed,
        far=True,
        steps=15,
        closure=True,
        lr_schedule=schedule,
        against=AGAINST,
        context=" with step(closure) and param_groups' lr changed twice",
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
        far=True,
        steps=12,
        restart_at=6,
        restart_defaults={"lr": 1.0, "alpha": 0.1, "eps": 1.0, "weight_decay": 0.9},
        against=AGAINST,
        context=", saved with state_dict() after 6 steps and loaded into a new RMSProp(lr=1, "
        "alpha=0.1, eps=1, weight_decay=0.9)",
    )


@pytest.mark.points(0.0625)
def test_invalid_arguments_raise(student):
    check_raises(
        student,
        NAME,
        [
            {"lr": -0.1},
            {"lr": 0.1, "alpha": 1.0},
            {"lr": 0.1, "alpha": -0.1},
            {"lr": 0.1, "eps": -1e-3},
            {"lr": 0.1, "weight_decay": -1.0},
        ],
    )
