"""The warm-up calls are timed with the others.

loses: 2.9
"""
# ruff: noqa: F821 (torch, nn, F, prune, copy, ... come from the solution's IMPORTS cell)


# EXERCISE 2.9 — measure_latency
def measure_latency(
    model: nn.Module,
    x: torch.Tensor,
    *,
    warmup: int = 3,
    repeats: int = 20,
    threads: int = 1,
) -> float:
    """The median wall-clock time of one forward pass, in seconds, measured fairly.

    - ``threads``: ``torch.set_num_threads(threads)`` for the measurement (a figure means
      nothing without the thread count), and the previous setting restored afterwards;
    - eval mode and ``torch.inference_mode()`` — no autograd bookkeeping, as in deployment;
    - ``warmup`` calls first, not timed (the first calls allocate memory and pick kernels);
    - then ``repeats`` calls, each timed on its own with ``time.perf_counter()``;
    - the median of those times: one slow call (another process, a page fault) moves the
      mean, not the median.

    Args:
        model: the network; put in eval mode.
        x: one input batch.
        warmup: untimed calls first, ``>= 0``.
        repeats: timed calls, ``>= 1``.
        threads: torch's intra-op threads during the measurement.

    Returns:
        the median time of one call in seconds, a Python float.
    """
    # TODO(2.9): set threads, eval, inference_mode, warm up, time each repeat, median, restore.
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    model.eval()
    try:
        with torch.inference_mode():
            times = []
            for _ in range(warmup):
                start = time.perf_counter()
                model(x)
                times.append(time.perf_counter() - start)
            for _ in range(repeats):
                start = time.perf_counter()
                model(x)
                times.append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)
    return statistics.median(times)
