"""Correct SGD written differently: decay first (p *= 1 - lr * wd) then the gradient step,
np.array_split for the batches, the epoch loss as np.average weighted by batch sizes.

loses: nothing
"""
# ruff: noqa: F821 (np comes from the solution's IMPORTS cell)


# EXERCISE S1.6 — sgd_fit
def sgd_fit(model, loss_fn, X, y, *, lr=0.1, weight_decay=1e-4, epochs=30, batch_size=32, seed=0):
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    history = []
    for _epoch in range(epochs):
        perm = rng.permutation(n)
        batches = [perm[i : i + batch_size] for i in range(0, n, batch_size)]
        losses, sizes = [], []
        for idx in batches:
            model.zero_grad()
            logits = model.forward(X[idx])
            loss, dlogits = loss_fn(logits, y[idx])
            model.backward(dlogits)
            for p, g in model.parameters():
                p *= 1 - lr * weight_decay
                p -= lr * g
            losses.append(loss)
            sizes.append(len(idx))
        history.append(float(np.average(losses, weights=sizes)))
    return history
