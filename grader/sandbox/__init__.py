"""Where student code runs, seen from the trusted grader: a sandboxed zygote, a template per
submission, a worker per test.

- :mod:`grader.sandbox.policy`: what a sandbox process may see and reach (the bubblewrap
  mounts and namespaces, its environment, the uids); the part an auditor reads.
- :mod:`grader.sandbox.lifecycle`: starting, restarting and ending those processes, and the
  trusted end of each worker.
- :mod:`grader.sandbox.cgroup`: a memory cgroup per submission, where one can be made.
- :mod:`grader.sandbox.inprocess`: ``--no-sandbox``, the in-process stand-in for debugging.

The processes' own side is :mod:`grader.worker`; their conversation is :mod:`grader.control`.
"""
