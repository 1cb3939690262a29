"""train_vae shuffles and samples z with torch's global RNG: seed is ignored.

loses: 4.4
"""
# ruff: noqa: F821 (torch and elbo come from the solution's cells)


# EXERCISE 4.4 — train_vae
def train_vae(model, X, *, epochs=20, batch_size=64, lr=3e-3, beta=1.0, seed=0):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for _ in range(epochs):
        order = torch.randperm(len(X))
        losses = []
        for start in range(0, len(X), batch_size):
            x = X[order[start : start + batch_size]]
            loss = -elbo(x, *model(x), beta)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        history.append(sum(losses) / len(losses))
    return history
