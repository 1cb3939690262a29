"""1.2 Linear regression: LinearRegression and mse_loss."""

import pytest
import torch

from torchgrade import expect

pytestmark = pytest.mark.section("1.2")


def _params(student, model, d: int) -> dict[str, torch.Tensor]:
    """The parameters of ``LinearRegression(d)``: exactly ``w (d, 1)`` and ``b (1,)``."""
    what = f"LinearRegression({d})"
    params = student.probes.named_parameters(model)
    assert set(params) == {"w", "b"}, (
        f"{what} should have exactly two parameters, named w and b (nn.Parameter attributes), "
        f"got {sorted(params) or 'none'}"
    )
    expect.tensor(params["w"], what=f"{what}.w", shape=(d, 1))
    expect.tensor(params["b"], what=f"{what}.b", shape=(1,))
    return params


@pytest.mark.points(0.25)
@pytest.mark.public
def test_linear_regression_parameters_and_output_shape(student, seed):
    model = student.hw1_basics.LinearRegression(3)
    params = _params(student, model, 3)
    assert torch.equal(params["b"], torch.zeros(1)), "LinearRegression(3).b should start at zero"
    out = model(torch.randn(17, 3, generator=torch.Generator().manual_seed(seed)))
    expect.tensor(out, what="LinearRegression(3)(X) for X of shape (17, 3)", shape=(17, 1))


@pytest.mark.points(0.25)
def test_linear_regression_init_is_standard_normal(student):
    model = student.hw1_basics.LinearRegression(2000)
    params = _params(student, model, 2000)
    w = params["w"]
    expect.standard_normal(w, "the initial w of LinearRegression(2000)")
    assert torch.equal(params["b"], torch.zeros(1)), "LinearRegression's b should start at zero"
    other = _params(student, student.hw1_basics.LinearRegression(2000), 2000)
    assert not torch.equal(other["w"], w), (
        "two LinearRegression models should get different random initial weights"
    )


@pytest.mark.points(0.5)
def test_linear_regression_forward_and_gradients_match_reference(student, ref, seed):
    g = torch.Generator().manual_seed(seed)
    n, d = int(torch.randint(5, 40, (1,), generator=g)), int(torch.randint(1, 6, (1,), generator=g))
    X = torch.randn(n, d, generator=g)
    values = {"w": torch.randn(d, 1, generator=g), "b": torch.randn(1, generator=g)}
    model = student.hw1_basics.LinearRegression(d)
    _params(student, model, d)
    student.probes.set_parameters(model, values)
    local = ref.hw1_basics.LinearRegression(d)
    with torch.no_grad():
        local.w.copy_(values["w"])
        local.b.copy_(values["b"])
    expected = local(X)
    what = f"LinearRegression({d})(X) = X @ w + b for X of shape ({n}, {d})"
    result = student.probes.backward(model, X, params_of=model)
    expect.close(result["output"], expected, what=what)
    expected.sum().backward()
    for name, param in (("w", local.w), ("b", local.b)):
        grad = result["param_grads"][name]
        assert grad is not None, f"LinearRegression's forward should be differentiable in {name}"
        expect.close(grad, param.grad, what=f"the gradient of sum(model(X)) with respect to {name}")


@pytest.mark.points(0.25)
@pytest.mark.public
def test_mse_loss_column_predictions_against_flat_targets(student):
    y_pred = torch.tensor([[1.0], [2.0], [3.0]])
    y = torch.tensor([1.0, 2.0, 5.0])
    what = "mse_loss(y_pred, y) for y_pred of shape (3, 1) and y of shape (3,)"
    loss = expect.scalar(student.hw1_basics.mse_loss(y_pred, y), what=what)
    # An (n, 1) - (n,) difference broadcasts to (n, n), whose mean is 4 here instead of 4/3.
    expect.close(loss, torch.tensor(4 / 3), what=what + " (no (n, n) broadcasting)")
    what = "mse_loss(y_pred, y) for y_pred and y both of shape (3, 1)"
    loss = expect.scalar(student.hw1_basics.mse_loss(y_pred, y.reshape(3, 1)), what=what)
    expect.close(loss, torch.tensor(4 / 3), what=what)


def _mse_inputs(seed: int) -> tuple[int, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    n = int(torch.randint(4, 60, (1,), generator=g))
    return n, torch.randn(n, 1, generator=g) * 3, torch.randn(n, generator=g) * 3 + 1


@pytest.mark.points(0.5)
def test_mse_loss_matches_reference_for_every_shape(student, ref, seed):
    n, y_pred, y = _mse_inputs(seed)
    for pred in (y_pred, y_pred.reshape(n)):
        for target in (y, y.reshape(n, 1)):
            what = (
                f"mse_loss(y_pred, y) for y_pred of shape {expect.shape_text(pred.shape)} "
                f"and y of shape {expect.shape_text(target.shape)}"
            )
            loss = expect.scalar(student.hw1_basics.mse_loss(pred, target), what=what)
            expect.close(loss, ref.hw1_basics.mse_loss(pred, target), what=what)


@pytest.mark.points(0.25)
def test_mse_loss_gradient_matches_reference(student, ref, seed):
    n, y_pred, y = _mse_inputs(seed)
    result = student.probes.backward(student.hw1_basics.mse_loss, y_pred, y, wrt=[0])
    grad = result["grads"][0]
    what = f"the gradient of mse_loss(y_pred, y) with respect to y_pred of shape ({n}, 1)"
    assert grad is not None, f"mse_loss should be differentiable with respect to y_pred ({what})"
    local = y_pred.clone().requires_grad_(True)
    ref.hw1_basics.mse_loss(local, y).backward()
    expect.close(grad, local.grad, what=what)
