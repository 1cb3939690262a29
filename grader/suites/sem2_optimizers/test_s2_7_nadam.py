"""S2.7 NAdam: Adam with Nesterov's look-ahead and torch's momentum schedule, step by step.

Compared with ``torch.optim.NAdam`` (``decoupled_weight_decay=False``). Large ``momentum_decay``
values make ``mu_t`` change quickly, so that using ``mu_t`` where ``mu_{t+1}`` belongs (or a
constant ``beta1``) shows within a few steps.
"""

import pytest
import torch

from torchgrade import expect
from torchgrade.probes.sem2_optimizers import (
    check_bookkeeping,
    check_closure_losses,
    check_paths,
    check_raises,
    check_state,
    torch_optimizer,
)

pytestmark = pytest.mark.section("S2.7")

NAME = "NAdam"
TORCH = torch_optimizer("NAdam")
AGAINST = "torch.optim.NAdam"
KEYS = ("exp_avg", "exp_avg_sq")


def _hyper(g: torch.Generator) -> dict:
    u = torch.rand(6, generator=g).tolist()
    return {
        "lr": 0.005 + 0.05 * u[0],
        "betas": (0.5 + 0.45 * u[1], 0.9 + 0.099 * u[2]),
        "eps": 10 ** (-8 + 2 * u[3]),  # where it sits shows only in the test named after it
        "weight_decay": 0.3 * u[4],
        "momentum_decay": 10 ** (-3 + 3 * u[5]),
    }


def _groups(g: torch.Generator) -> list[dict]:
    return [{"params": [0, 1], **_hyper(g)}, {"params": [2], **_hyper(g)}, {"params": [3]}]


@pytest.mark.points(0.25)
@pytest.mark.public
def test_first_steps_match_torch(student, seed):
    defaults = {
        "lr": 0.01,
        "betas": (0.9, 0.999),
        "eps": 1e-8,
        "weight_decay": 0.1,
        "momentum_decay": 4e-3,
    }
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


@pytest.mark.points(0.5)
def test_matches_torch_with_own_hyperparameters_per_group(student, seed):
    g = torch.Generator().manual_seed(seed)
    check_paths(
        student, NAME, TORCH, _groups(g), _hyper(g), seed=seed, far=True, steps=30, against=AGAINST
    )


@pytest.mark.points(0.375)
def test_momentum_schedule_and_look_ahead(student, seed):
    base = {"lr": 0.02, "betas": (0.9, 0.99), "eps": 1e-8, "weight_decay": 0.0}
    for psi in (0.0, 0.3, 3.0):
        check_paths(
            student,
            NAME,
            TORCH,
            [{"params": [0, 1, 2, 3]}],
            dict(base, momentum_decay=psi),
            seed=seed,
            far=True,
            steps=8,
            against=AGAINST,
            context=" (mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay)))",
        )


@pytest.mark.points(0.25)
def test_bias_correction_of_the_first_steps(student, seed):
    defaults = {
        "lr": 0.01,
        "betas": (0.9, 0.999),
        "eps": 1e-8,
        "weight_decay": 0.0,
        "momentum_decay": 4e-3,
    }
    check_paths(
        student,
        NAME,
        TORCH,
        [{"params": [0, 1, 2, 3]}],
        defaults,
        seed=seed,
        far=True,
        steps=4,
        against=AGAINST,
        context=" (the first steps, where the bias corrections matter most)",
    )
    defaults["eps"] = 1e-3
    check_paths(
        student,
        NAME,
        TORCH,
        [{"params": [0, 1, 2, 3]}],
        defaults,
        seed=seed,
        far=True,
        steps=4,
        scale=1e-3,
        against=AGAINST,
        context=" (tiny gradients, large eps outside the root)",
    )


@pytest.mark.points(0.25)
def test_state_is_kept_per_parameter(student, seed):
    g = torch.Generator().manual_seed(seed)
    no_grad_at = {1: [2], 3: [2, 3]}
    got, want = check_paths(
        student,
        NAME,
        TORCH,
        _groups(g),
        _hyper(g),
        seed=seed,
        far=True,
        steps=6,
        no_grad_at=no_grad_at,
        against=AGAINST,
        context=" (parameter 2 without .grad twice, parameter 3 once)",
    )
    entries = check_state(got, KEYS, "NAdam")
    for i, entry in enumerate(entries):
        theirs = want["state"]["per_param"][i]
        for key in ("step", "mu_product"):
            assert key in entry, f"NAdam: optimizer.state[p] should hold {key!r}"
            got_value = expect.number(entry[key], what=f"NAdam: state[p][{key!r}] of parameter {i}")
            want_value = theirs[key].item()
            assert abs(got_value - want_value) <= 1e-5 * abs(want_value) + 1e-7, (
                f"NAdam: state[p][{key!r}] of parameter {i} should be {want_value:.6g} after "
                f"the steps this parameter took (it had no gradient at some), got {got_value:.6g}"
            )
        for key in KEYS:
            assert torch.allclose(entry[key], theirs[key], rtol=1e-4, atol=1e-7), (
                f"NAdam: state[p][{key!r}] of parameter {i} should hold the moment without bias "
                "correction (m, v), updated at every step this parameter took"
            )


@pytest.mark.points(0.125)
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
        context=" (one parameter without .grad at each step; t counts the steps of each parameter)",
        against=AGAINST,
    )


@pytest.mark.points(0.0625)
def test_step_updates_in_place_under_no_grad(student, seed):
    groups = [{"params": [0, 1], "weight_decay": 0.2}, {"params": [2, 3]}]
    defaults = {
        "lr": 0.01,
        "betas": (0.9, 0.99),
        "eps": 1e-8,
        "weight_decay": 0.1,
        "momentum_decay": 4e-3,
    }
    got, _ = check_paths(
        student, NAME, TORCH, groups, defaults, seed=seed, far=True, steps=4, against=AGAINST
    )
    check_bookkeeping(got, "NAdam with weight decay")
    check_state(got, KEYS, "NAdam with weight decay")


@pytest.mark.points(0.0625)
def test_closure_and_learning_rate_changes(student, seed):
    g = torch.Generator().manual_seed(seed)
    schedule = {5: [0.001, 0.002, 0.005], 10: [0.05, 0.01, 0.03]}
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
        restart_defaults={
            "lr": 1.0,
            "betas": (0.1, 0.2),
            "eps": 1.0,
            "weight_decay": 0.9,
            "momentum_decay": 0.5,
        },
        against=AGAINST,
        context=", saved with state_dict() after 6 steps and loaded into a new NAdam(lr=1, "
        "betas=(0.1, 0.2), eps=1, weight_decay=0.9, momentum_decay=0.5)",
    )


@pytest.mark.points(0.0625)
def test_invalid_arguments_raise(student):
    check_raises(
        student,
        NAME,
        [
            {"lr": -0.1},
            {"lr": 0.1, "betas": (1.0, 0.999)},
            {"lr": 0.1, "betas": (0.9, -0.1)},
            {"lr": 0.1, "eps": -1e-3},
            {"lr": 0.1, "weight_decay": -1.0},
            {"lr": 0.1, "momentum_decay": -1.0},
        ],
    )
