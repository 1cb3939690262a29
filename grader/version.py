"""The grader's version, as installed (``dev`` in a checkout that was never installed).

Trusted side; imports nothing heavy, so the release and report code can ask without torch.
"""

from importlib.metadata import PackageNotFoundError, version


def grader_version() -> str:
    try:
        return version("torchgrade")
    except PackageNotFoundError:
        return "dev"
