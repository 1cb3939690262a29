"""2.9 measure_latency: warm-up, timed repeats, median, inference mode, a fixed thread count
(restored afterwards). The "model" is a probe whose calls take scripted times; no real speed is
measured here (figures belong in the notebook and the benchmark, never in a graded test)."""

import pytest

from torchgrade import expect

pytestmark = pytest.mark.section("2.9")

PROBES = "torchgrade.probes.hw2_segmentation"
FAST, SLOW = 0.002, 0.25
# The median of the timed calls is FAST plus the wake-up delays of a busy machine; far below
# the mean of the timed calls (at least SLOW / 3) and the median of all calls (SLOW).
UPPER = 0.05


@pytest.mark.points(0.25)
@pytest.mark.public
def test_warmup_repeats_inference_mode_threads(student, seed):
    probes = student.import_module(PROBES)
    warmup, repeats = 2 + seed % 3, 5 + seed % 4
    model = probes.LatencyProbe([0.0])
    model.train()
    probes.set_threads(2)
    what = f"measure_latency(model, x, warmup={warmup}, repeats={repeats}, threads=1)"
    student.hw2_segmentation.measure_latency(
        model, student.torch.zeros(1), warmup=warmup, repeats=repeats, threads=1
    )
    calls = model.record()
    assert len(calls) == warmup + repeats, (
        f"{what} called the model {len(calls)} times; expected {warmup} + {repeats}"
    )
    for k, call in enumerate(calls):
        assert call["inference_mode"], f"{what}: call {k} ran outside torch.inference_mode()"
        assert call["threads"] == 1, f"{what}: call {k} ran with {call['threads']} threads, not 1"
        assert not call["training"], (
            f"{what}: call {k} ran in train mode; time the model in eval mode"
        )
    assert probes.threads() == 2, (
        f"{what} should restore torch's thread count afterwards (2 before), got {probes.threads()}"
    )


@pytest.mark.points(0.25)
def test_returns_the_median_in_seconds(student, seed):
    """Four warm-up calls and three of nine timed calls are slow: the median of the timed calls
    is a fast one; their mean is not, nor is the median of all thirteen calls."""
    probes = student.import_module(PROBES)
    slow = {1 + seed % 3, 4 + seed % 2, 7}
    durations = [SLOW] * 4 + [SLOW if k in slow else FAST for k in range(9)]
    model = probes.LatencyProbe(durations)
    what = (
        "measure_latency(model, x, warmup=4, repeats=9) for timed calls of 2 ms (6 of 9) and 250 ms"
    )
    value = expect.number(
        student.hw2_segmentation.measure_latency(
            model, student.torch.zeros(1), warmup=4, repeats=9
        ),
        what=what,
    )
    assert FAST * 0.9 <= value <= UPPER, (
        f"{what} is {value:.4g}: expected the median of the timed calls in seconds, about {FAST}"
        " (not the mean, not milliseconds, warm-up calls excluded)"
    )
