"""S2.4 AdaGrad: ``s += g * g; p -= lr * g / (sqrt(s) + eps)``, against torch.optim.Adagrad.

torch's ``lr_decay`` keeps its default 0 (the lecture's AdaGrad has none). Small gradients and
a large ``eps`` show where ``eps`` sits; a long run shows whether the sum keeps every past step.
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

pytestmark = pytest.mark.section("S2.4")

NAME = "AdaGrad"
TORCH = torch_optimizer("Adagrad")
AGAINST = "torch.optim.Adagrad"


def _hyper(g: torch.Generator, *, groupwise: bool = False) -> dict:
    """Hyper-parameters; a group's own never include ``initial_accumulator_value`` (torch reads
    that one from the constructor only, so the docstring leaves it out of the groups)."""
    u = torch.rand(4, generator=g).tolist()
    hyper = {"lr": 0.02 + 0.2 * u[0], "eps": 10 ** (-10 + 6 * u[1]), "weight_decay": 0.3 * u[2]}
    return hyper if groupwise else dict(hyper, initial_accumulator_value=0.5 * u[3])


def _groups(g: torch.Generator) -> list[dict]:
    return [
        {"params": [0, 1], **_hyper(g, groupwise=True)},
        {"params": [2], **_hyper(g, groupwise=True)},
        {"params": [3]},
    ]


@pytest.mark.points(0.125)
@pytest.mark.public
def test_first_steps_match_torch(student, seed):
    defaults = {"lr": 0.1, "eps": 1e-10, "weight_decay": 0.1, "initial_accumulator_value": 0.0}
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
def test_accumulator_is_never_reset(student, seed):
    defaults = {"lr": 0.2, "eps": 1e-10, "weight_decay": 0.0, "initial_accumulator_value": 0.0}
    check_paths(
        student,
        NAME,
        TORCH,
        [{"params": [0, 1, 2, 3]}],
        defaults,
        seed=seed,
        steps=40,
        far=True,
        against=AGAINST,
        context=" (the steps should shrink as the sum of squares grows)",
    )


@pytest.mark.points(0.125)
def test_eps_outside_the_square_root(student, seed):
    defaults = {"lr": 0.01, "eps": 1e-3, "weight_decay": 0.0, "initial_accumulator_value": 0.0}
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


@pytest.mark.points(0.0625)
def test_state_is_kept_per_parameter(student, seed):
    g = torch.Generator().manual_seed(seed)
    got, want = check_paths(
        student, NAME, TORCH, _groups(g), _hyper(g), seed=seed, far=True, steps=6, against=AGAINST
    )
    entries = check_state(got, ["sum"], "AdaGrad")
    for i, entry in enumerate(entries):
        total = want["state"]["per_param"][i]["sum"]
        assert torch.allclose(entry["sum"], total, rtol=1e-4, atol=1e-6), (
            f"AdaGrad: state[p]['sum'] of parameter {i} should be initial_accumulator_value plus "
            "the sum of the squared gradients g * g of every step so far"
        )


@pytest.mark.points(0.0625)
def test_step_updates_in_place_under_no_grad(student, seed):
    groups = [{"params": [0, 1], "weight_decay": 0.2}, {"params": [2, 3]}]
    defaults = {"lr": 0.1, "eps": 1e-10, "weight_decay": 0.1, "initial_accumulator_value": 0.1}
    got, _ = check_paths(
        student, NAME, TORCH, groups, defaults, seed=seed, far=True, steps=4, against=AGAINST
    )
    check_bookkeeping(got, "AdaGrad with weight decay")
    check_state(got, ["sum"], "AdaGrad with weight decay")


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
    schedule = {5: [0.01, 0.02, 0.05], 10: [0.2, 0.1, 0.3]}
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
        restart_defaults={"lr": 5.0, "eps": 1.0, "weight_decay": 0.9},
        against=AGAINST,
        context=", saved with state_dict() after 6 steps and loaded into a new AdaGrad(lr=5, "
        "eps=1, weight_decay=0.9)",
    )


@pytest.mark.points(0.0625)
def test_invalid_arguments_raise(student):
    check_raises(
        student,
        NAME,
        [
            {"lr": -0.1},
            {"lr": 0.1, "eps": -1e-3},
            {"lr": 0.1, "weight_decay": -1.0},
            {"lr": 0.1, "initial_accumulator_value": -1.0},
        ],
    )
