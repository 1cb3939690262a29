"""Attack: ignore every catchable signal and spin, hoping the grader gives up and passes.

The grader ends the worker with SIGKILL, which cannot be ignored, once its CPU time runs out;
the later tests of the exercise fail at once.

scores: 1.3=0
test_timeout: 3
"""


# EXERCISE 1.3 — LogisticRegression
import signal


class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM,
                    signal.SIGXCPU, signal.SIGUSR1):
            signal.signal(sig, signal.SIG_IGN)
        while True:
            pass
