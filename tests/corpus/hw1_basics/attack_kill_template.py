"""Attack: kill the worker's parent (the submission's template) during a call.

The template is the first process of its own pid namespace, which ignores the signal; where
templates share the zygote's namespaces, the grader replaces it and goes on. Either way the
next test gets a fresh worker.

scores: 1.3=0
"""


# EXERCISE 1.3 — LogisticRegression
import os
import signal


class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        os.kill(os.getppid(), signal.SIGKILL)

    def forward(self, X):
        return torch.zeros(X.shape[0], 1)
