"""train_vae never zeroes the gradients: every step adds up all previous ones.

loses: 4.4
"""
# ruff: noqa: F821 (torch and elbo come from the solution's cells)


# EXERCISE 4.4 — train_vae
def train_vae(model, X, *, epochs=20, batch_size=64, lr=3e-3, beta=1.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=g)
        losses = []
        for start in range(0, len(X), batch_size):
            x = X[order[start : start + batch_size]]
            loss = -elbo(x, *model(x, generator=g), beta)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        history.append(sum(losses) / len(losses))
    return history
