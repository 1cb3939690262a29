"""The seeds of one test: the trusted side's data seed and the worker's seed (trusted side).

A hidden test draws its inputs, held-out labels included, from its *data seed*; the worker
is seeded with another one, its *worker seed*, which a test may also hand to student code
(a training seed). Both follow from the run's seed, the test's id and a per-assignment
*secret*, by separate hashes: knowing the worker seed (``torch.initial_seed()`` in the
worker) and every file the sandbox shows tells nothing about the data seed, so a submission
cannot recompute held-out data with ``torchgrade.testdata`` and score without learning.

The secret is a hash of the assignment's hidden suite folder (every file under
``grader/suites/<id>/``): the sandbox masks that folder and a student bundle ships only the
public tests, so a student cannot compute it, while an instructor's ``grader grade --seed N``
reproduces a run exactly as long as the suite is unchanged. An instructor whose hidden suites
are public (a public repository) sets ``TORCHGRADE_DATA_SECRET`` to any private string: the
secret is then drawn from it instead (and survives edits to the suite). The worker's
environment never inherits it (``torchgrade.sandbox.policy.zygote_environment``).
"""

import hashlib
import os
from pathlib import Path

SECRET_ENV = "TORCHGRADE_DATA_SECRET"
_SKIPPED_PARTS = {"__pycache__"}


def suite_secret(suite_dir: Path, homework_id: str) -> bytes:
    """The secret of one assignment: from ``$TORCHGRADE_DATA_SECRET`` if set, else a hash of
    every file of its hidden suite (relative path and contents, in path order).

    Returns:
        32 bytes.
    """
    override = os.environ.get(SECRET_ENV)
    digest = hashlib.sha256(b"torchgrade-data-secret\0" + homework_id.encode() + b"\0")
    if override:
        digest.update(b"env\0" + override.encode())
        return digest.digest()
    digest.update(b"suite\0")
    if suite_dir.is_dir():
        files = sorted(
            p
            for p in suite_dir.rglob("*")
            if p.is_file() and not _SKIPPED_PARTS & set(p.parts) and p.suffix != ".pyc"
        )
        for path in files:
            relative = path.relative_to(suite_dir).as_posix().encode()
            content = path.read_bytes()
            digest.update(len(relative).to_bytes(4, "big") + relative)
            digest.update(len(content).to_bytes(8, "big") + content)
    return digest.digest()


def _derive(purpose: str, run_seed: int, nodeid: str, secret: bytes) -> int:
    message = f"{purpose}\0{run_seed}\0{nodeid}".encode()
    digest = hashlib.sha256(secret + b"\0" + message).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def data_seed(run_seed: int, nodeid: str, secret: bytes) -> int:
    """The seed a test draws its inputs and held-out data from; never sent to the worker.

    Fixed by the run's seed, the test's id and the secret, not by test order: 0 <= seed < 2**31.
    """
    return _derive("data", run_seed, nodeid, secret)


def worker_seed(run_seed: int, nodeid: str, secret: bytes) -> int:
    """The seed the test's worker is seeded with, and the one a test may pass to student code
    (a training seed): independent of :func:`data_seed` for anyone without the secret."""
    return _derive("worker", run_seed, nodeid, secret)
