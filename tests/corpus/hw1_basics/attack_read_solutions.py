"""Attack: find the reference solution (or the hidden tests) by any path and use it.

If any path worked this class would be the reference and score full marks; under
bubblewrap the solutions and suites are not in the worker's file system at all.

scores: 1.3=0
requires: bubblewrap
"""


# EXERCISE 1.3 — LogisticRegression
import glob
import importlib
import importlib.util
import os


def _find_reference():
    try:
        return importlib.import_module("solutions.hw1_basics").LogisticRegression
    except Exception:
        pass
    import torchgrade

    project = os.path.dirname(os.path.dirname(torchgrade.__file__))
    candidates = [os.path.join(project, "solutions", "hw1_basics.py")]
    spec = importlib.util.find_spec("solutions")
    if spec and spec.submodule_search_locations:
        candidates += [os.path.join(p, "hw1_basics.py") for p in spec.submodule_search_locations]
    for root in ("/proc/1/root", "/proc/1/cwd", *(f"/proc/{p}/cwd" for p in os.listdir("/proc")
                 if p.isdigit())):
        candidates.append(os.path.join(root, project.lstrip("/"), "solutions", "hw1_basics.py"))
        candidates.append(os.path.join(root, "solutions", "hw1_basics.py"))
    for root in ("/work", "/root", "/home", "/tmp", "/srv", "/opt"):
        candidates += glob.glob(os.path.join(root, "**", "solutions", "hw1_basics.py"),
                                recursive=True)[:3]
    for path in candidates:
        try:
            namespace = {}
            exec(open(path).read(), namespace)
            return namespace["LogisticRegression"]
        except Exception:
            continue
    for suite in glob.glob(os.path.join(project, "grader", "suites", "**", "*.py"), recursive=True):
        try:
            open(suite).read()
            raise RuntimeError("read a hidden suite")
        except OSError:
            pass
    return None


class LogisticRegression(nn.Module):
    def __new__(cls, in_features):
        reference = _find_reference()
        if reference is not None:
            return reference(in_features)
        return super().__new__(cls)

    def __init__(self, in_features):
        super().__init__()

    def forward(self, X):
        return torch.zeros(X.shape[0], 1)
