"""S2.1 SGD: plain gradient descent with weight decay, step by step against torch.optim.SGD.

Every test trains a random problem (an ill-conditioned quadratic plus a quartic term, over four
parameters in up to three groups) with the submission's class in the worker and with
``torch.optim.SGD`` here, and compares the two paths after every step.
"""

import pytest
import torch

from torchgrade.probes.sem2_optimizers import (
    check_bookkeeping,
    check_closure_losses,
    check_paths,
    check_raises,
    torch_optimizer,
)

pytestmark = pytest.mark.section("S2.1")

NAME = "SGD"
TORCH = torch_optimizer("SGD")


def _hyper(g: torch.Generator) -> dict:
    u = torch.rand(2, generator=g).tolist()
    return {"lr": 0.01 + 0.07 * u[0], "weight_decay": 0.3 * u[1]}


def _groups(g: torch.Generator) -> list[dict]:
    return [{"params": [0, 1], **_hyper(g)}, {"params": [2], **_hyper(g)}, {"params": [3]}]


@pytest.mark.points(0.125)
@pytest.mark.public
def test_first_steps_match_torch(student, seed):
    defaults = {"lr": 0.05, "weight_decay": 0.1}
    check_paths(student, NAME, TORCH, [{"params": [0, 1, 2, 3]}], defaults, seed=seed, steps=3)


@pytest.mark.points(0.25)
def test_matches_torch_with_own_hyperparameters_per_group(student, seed):
    g = torch.Generator().manual_seed(seed)
    check_paths(student, NAME, TORCH, _groups(g), _hyper(g), seed=seed, steps=30)


@pytest.mark.points(0.125)
def test_weight_decay_uses_the_parameter_before_the_update(student, seed):
    # lr * weight_decay = 0.5: decaying the already updated parameter is far off.
    groups = [{"params": [0, 1, 2, 3]}]
    context = " (a gentle problem, large weight decay)"
    defaults = {"lr": 0.5, "weight_decay": 1.0}
    check_paths(
        student, NAME, TORCH, groups, defaults, seed=seed, steps=5, scale=0.05, context=context
    )


@pytest.mark.points(0.125)
def test_step_updates_in_place_under_no_grad(student, seed):
    groups = [{"params": [0, 1], "weight_decay": 0.2}, {"params": [2, 3]}]
    defaults = {"lr": 0.05, "weight_decay": 0.1}
    got, _ = check_paths(student, NAME, TORCH, groups, defaults, seed=seed, steps=4)
    check_bookkeeping(got, "SGD with weight decay")


@pytest.mark.points(0.125)
def test_skips_parameters_without_grad(student, seed):
    g = torch.Generator().manual_seed(seed)
    no_grad_at = {t: [int(torch.randint(0, 4, (1,), generator=g))] for t in range(8)}
    context = " (one parameter without .grad at each step)"
    check_paths(
        student,
        NAME,
        TORCH,
        _groups(g),
        _hyper(g),
        seed=seed,
        steps=8,
        no_grad_at=no_grad_at,
        context=context,
    )


@pytest.mark.points(0.125)
def test_closure_and_learning_rate_changes(student, seed):
    g = torch.Generator().manual_seed(seed)
    groups, defaults = _groups(g), _hyper(g)
    schedule = {5: [0.02, 0.01, 0.005], 10: [0.08, 0.04, 0.06]}
    got, want = check_paths(
        student,
        NAME,
        TORCH,
        groups,
        defaults,
        seed=seed,
        steps=15,
        closure=True,
        lr_schedule=schedule,
        context=" with step(closure) and param_groups' lr changed twice",
    )
    check_closure_losses(got, want, NAME)


@pytest.mark.points(0.0625)
def test_state_dict_round_trip(student, seed):
    g = torch.Generator().manual_seed(seed)
    groups, defaults = _groups(g), _hyper(g)
    check_paths(
        student,
        NAME,
        TORCH,
        groups,
        defaults,
        seed=seed,
        steps=10,
        restart_at=5,
        restart_defaults={"lr": 0.5, "weight_decay": 0.9},
        context=", saved with state_dict() after 5 steps and loaded into a new SGD(lr=0.5, "
        "weight_decay=0.9)",
    )


@pytest.mark.points(0.0625)
def test_invalid_arguments_raise(student):
    check_raises(student, NAME, [{"lr": -0.1}, {"lr": 0.1, "weight_decay": -1.0}])
