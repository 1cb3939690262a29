"""Correct early stopping written differently: `best - val > min_delta`, copy.deepcopy of the
state_dict (an OrderedDict), tensors kept as they came, the epoch index counted separately.

loses: nothing
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS cell)

# EXERCISE S4.4 — EarlyStopping
import copy


class EarlyStopping:
    def __init__(self, patience=10, min_delta=0.0):
        if patience < 1 or min_delta < 0:
            raise ValueError("patience >= 1 and min_delta >= 0, please")
        self.patience, self.min_delta = patience, min_delta
        self.history = []
        self.best_loss = float("inf")
        self.best_epoch = -1
        self.bad_epochs = 0
        self.best_state = None
        self._epoch = 0

    def step(self, val_loss, model):
        loss = val_loss.item() if torch.is_tensor(val_loss) else val_loss
        self.history.append(loss)
        if self.best_loss - loss > self.min_delta:
            self.best_loss, self.best_epoch, self.bad_epochs = loss, self._epoch, 0
            self.best_state = copy.deepcopy(model.state_dict())
        else:
            self.bad_epochs += 1
        self._epoch += 1
        return self.bad_epochs >= self.patience

    def restore(self, model):
        if self.best_state is None:
            raise RuntimeError("no step yet")
        model.load_state_dict(self.best_state)
