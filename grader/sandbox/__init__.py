"""Where student code runs, seen from the trusted grader: a sandboxed zygote, a template per
submission, a worker per test.

- :mod:`torchgrade.sandbox.policy`: what a sandbox process may see and reach (the bubblewrap
  mounts and namespaces, its environment, the uids); the part an auditor reads.
- :mod:`torchgrade.sandbox.lifecycle`: starting, restarting and ending those processes, and the
  trusted end of each worker.
- :mod:`torchgrade.sandbox.inprocess`: ``--no-sandbox``, the in-process stand-in for debugging.

The processes' own side is :mod:`torchgrade.worker`; their conversation is
:mod:`torchgrade.control`.
"""
