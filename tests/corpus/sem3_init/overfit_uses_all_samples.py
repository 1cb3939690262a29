"""The over-fitting check trained and judged on every row of X, not the first n_samples.

loses: S3.5
"""
# ruff: noqa: F821 (torch, nn and math come from the solution's IMPORTS cell)


# EXERCISE S3.5 — overfit_small_batch
def overfit_small_batch(model, X, y, *, n_samples=20, epochs=300, lr=0.01):
    y = y.reshape(-1).float()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    losses = []
    for _ in range(epochs):
        loss = nn.functional.binary_cross_entropy_with_logits(model(X).reshape(-1), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        logits = model(X).reshape(-1)
        final_loss = nn.functional.binary_cross_entropy_with_logits(logits, y).item()
        accuracy = ((logits > 0).float() == y).float().mean().item()
    return {
        "overfits": accuracy == 1.0 and final_loss < 0.1,
        "train_accuracy": accuracy,
        "final_loss": final_loss,
        "losses": losses,
    }
