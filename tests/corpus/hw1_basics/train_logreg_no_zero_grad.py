"""train_logreg never calls zero_grad: gradients accumulate, so every step uses the sum of
all gradients so far, not gradient descent.

loses: 1.5
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.5 — train_logreg
def train_logreg(model, X, y, *, lr=0.1, epochs=200):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        loss = bce_loss(X, model.w, y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
