"""Correct search functions written differently: itertools.product over math.log10 steps,
uniform_ with a generator on the exponents, run_search with a strict > scan.

loses: nothing
"""
# ruff: noqa: F821 (torch, nn and math come from the solution's IMPORTS cell)

# EXERCISE S3.6 — grid_search_points
import itertools


def grid_search_points(lr_range, wd_range, n_trials):
    k = int(round(n_trials**0.5))
    if n_trials < 1 or k * k != n_trials:
        raise ValueError(f"{n_trials} is not a perfect square")

    def axis(lo, hi):
        if k == 1:
            return [float(lo)]
        a, b = math.log10(lo), math.log10(hi)
        return [10 ** (a + (b - a) * i / (k - 1)) for i in range(k)]

    return list(itertools.product(axis(*lr_range), axis(*wd_range)))


# EXERCISE S3.6 — random_search_points
def random_search_points(lr_range, wd_range, n_trials, seed=0):
    g = torch.Generator()
    g.manual_seed(seed)
    out = []
    for _ in range(n_trials):
        e1 = torch.empty(1, dtype=torch.float64).uniform_(
            math.log10(lr_range[0]), math.log10(lr_range[1]), generator=g
        )
        e2 = torch.empty(1, dtype=torch.float64).uniform_(
            math.log10(wd_range[0]), math.log10(wd_range[1]), generator=g
        )
        out.append((10 ** e1.item(), 10 ** e2.item()))
    return out


# EXERCISE S3.6 — run_search
def run_search(objective, points):
    if len(points) == 0:
        raise ValueError("empty")
    scores, best, best_score = [], None, None
    for lr, wd in points:
        score = float(objective(lr, wd))
        scores.append(score)
        if best_score is None or score > best_score:
            best, best_score = (float(lr), float(wd)), score
    return best, scores
