"""Attack: a forked child or a thread that acts after the call returns.

Workers may start neither (RLIMIT_NPROC is 0), so the attempt itself fails the call.

scores: 1.3=0
"""


# EXERCISE 1.3 — LogisticRegression
import os
import threading
import time


class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.box = [torch.zeros(1)]
        threading.Thread(target=self._later, daemon=True).start()

    def _later(self):
        time.sleep(0.01)
        self.box[0] += 1

    def forward(self, X):
        if os.fork() == 0:
            time.sleep(1)
            os._exit(0)
        return torch.zeros(X.shape[0], 1)
