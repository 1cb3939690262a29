"""sgd_fit computes p = p - lr * (...): a new array bound to a local name, the model never moves.

loses: S1.6
"""
# ruff: noqa: F821 (np comes from the solution's IMPORTS cell)


# EXERCISE S1.6 — sgd_fit
def sgd_fit(model, loss_fn, X, y, *, lr=0.1, weight_decay=1e-4, epochs=30, batch_size=32, seed=0):
    rng = np.random.default_rng(seed)
    n = len(X)
    history = []
    for _ in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            model.zero_grad()
            loss, grad = loss_fn(model.forward(X[batch]), y[batch])
            model.backward(grad)
            for p, g in model.parameters():
                p = p - lr * (g + weight_decay * p)  # noqa: PLW2901
            total += loss * len(batch)
        history.append(total / n)
    return history
