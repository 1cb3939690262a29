"""fit builds its optimizer without weight_decay, so the argument changes nothing.

loses: 1.7
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.7 — fit
def fit(model, X, y, *, lr=0.1, weight_decay=0.0, epochs=100, batch_size=64, seed=0):
    n = X.shape[0]
    y = y.reshape(n, -1)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    order = torch.Generator().manual_seed(seed)
    losses = []
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(n, generator=order)
        total, seen = 0.0, 0
        for start in range(0, n, batch_size):
            idx = perm[start : start + batch_size]
            if len(idx) < 2:
                continue
            logits = model(X[idx])
            target = y[idx].reshape(logits.shape)
            loss = nn.functional.binary_cross_entropy_with_logits(logits, target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
            seen += len(idx)
        losses.append(total / seen)
    model.eval()
    return losses
