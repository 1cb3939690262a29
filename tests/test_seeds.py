"""The seeds of a test: reproducible for the instructor, underivable for the worker."""

from torchgrade import seeds
from torchgrade.plugin import test_seed as data_seed_of

NODE = "test_1_6_mlp.py::test_make_mlp_trains_to_93_percent_on_moons"


def _suite(tmp_path, text: str):
    suite = tmp_path / "hw1_basics"
    suite.mkdir(exist_ok=True)
    (suite / "test_a.py").write_text(text, encoding="utf-8")
    (suite / "__pycache__").mkdir(exist_ok=True)
    (suite / "__pycache__" / "test_a.cpython-311.pyc").write_bytes(b"changes every import")
    return suite


def test_the_secret_is_the_hidden_suite_or_the_instructors_variable(tmp_path, monkeypatch):
    monkeypatch.delenv(seeds.SECRET_ENV, raising=False)
    suite = _suite(tmp_path, "def test_x(): pass\n")
    secret = seeds.suite_secret(suite, "hw1_basics")
    assert seeds.suite_secret(suite, "hw1_basics") == secret  # the same suite, the same data
    assert seeds.suite_secret(suite, "hw2_segmentation") != secret
    masked = seeds.suite_secret(tmp_path / "masked", "hw1_basics")  # a worker's view: nothing
    assert masked != secret
    edited = _suite(tmp_path, "def test_x(): pass  # edited\n")
    assert seeds.suite_secret(edited, "hw1_basics") != secret
    monkeypatch.setenv(seeds.SECRET_ENV, "a private string")
    pinned = seeds.suite_secret(edited, "hw1_basics")
    assert pinned not in (secret, masked)
    assert seeds.suite_secret(_suite(tmp_path, "def test_y(): pass\n"), "hw1_basics") == pinned


def test_data_and_worker_seeds_are_reproducible_and_unrelated(tmp_path):
    secret = seeds.suite_secret(_suite(tmp_path, "x = 1\n"), "hw1_basics")
    data = [data_seed_of(run, NODE, secret) for run in range(200)]
    worker = [seeds.worker_seed(run, NODE, secret) for run in range(200)]
    assert data == [seeds.data_seed(run, NODE, secret) for run in range(200)]
    assert all(0 <= s < 2**31 for s in data + worker)
    assert len(set(data)) == 200 and not set(data) & set(worker)
    # Without the secret, neither the run's seed nor the worker's seed gives the data seed.
    other = seeds.suite_secret(tmp_path / "masked", "hw1_basics")
    assert [seeds.data_seed(run, NODE, other) for run in range(200)] != data
