"""A correct over-fitting check written differently: nn.BCEWithLogitsLoss on (n, 1) targets,
accuracy from sigmoid > 0.5 as a count, the verdict from the counts.

loses: nothing
"""
# ruff: noqa: F821 (torch, nn and math come from the solution's IMPORTS cell)


# EXERCISE S3.5 — overfit_small_batch
def overfit_small_batch(model, X, y, *, n_samples=20, epochs=300, lr=0.01):
    Xs = X[:n_samples]
    ys = y[:n_samples].float().view(-1, 1)
    criterion = nn.BCEWithLogitsLoss()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=0.0)
    losses = []
    model.train()
    for _ in range(epochs):
        opt.zero_grad()
        loss = criterion(model(Xs).view(-1, 1), ys)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    model.eval()
    with torch.no_grad():
        out = model(Xs).view(-1, 1)
        final = float(criterion(out, ys))
        correct = int(((torch.sigmoid(out) > 0.5).float() == ys).sum())
    acc = correct / len(ys)
    return {"overfits": correct == len(ys) and final < 0.1, "train_accuracy": acc,
            "final_loss": final, "losses": losses}
