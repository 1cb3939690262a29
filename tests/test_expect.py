"""Feedback of the assertion helpers: what was expected, and what came back."""

import pytest
import torch

from torchgrade import expect


def test_a_small_result_is_shown_whole():
    with pytest.raises(AssertionError) as failed:
        expect.close(torch.tensor([0.5, 0.75]), torch.tensor([0.5, 0.7311]), what="sigmoid(z)")
    assert "got [0.5, 0.75], expected [0.5, 0.7311]" in str(failed.value)


def test_a_large_result_names_its_worst_element():
    expected = torch.zeros(4, 5)
    actual = expected.clone()
    actual[2, 3] = 1.5
    with pytest.raises(AssertionError) as failed:
        expect.close(actual, expected, what="f(X)")
    assert "at [2, 3]: got 1.5, expected 0" in str(failed.value)


def test_a_scalar_and_a_shape_mismatch():
    with pytest.raises(AssertionError, match="got 2, expected 1"):
        expect.close(torch.tensor(2.0), torch.tensor(1.0), what="loss")
    with pytest.raises(AssertionError, match=r"shape \(3, 1\), got \(3,\)"):
        expect.close(torch.zeros(3), torch.zeros(3, 1), what="f(X)")
