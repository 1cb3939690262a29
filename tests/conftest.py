"""Shared fixtures and hooks: the bundled course. Helpers live in helpers.py."""

import pytest

from torchgrade.course import load_course


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: grades whole submissions (seconds each)")


@pytest.fixture(scope="session")
def course():
    return load_course()
