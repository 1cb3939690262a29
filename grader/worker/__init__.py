"""The worker side: runs inside the sandbox, executes the submission and serves calls.

The process tree (``python -m torchgrade.worker``, started by :mod:`torchgrade.sandbox.lifecycle`)::

    zygote          imports and warms up torch once; never runs student code
      └─ template   one per submission: a fork under a uid of its own; executes the
         │          submission's cells once, then waits
         └─ worker  one per test: a fork of the template, limits applied, serves calls

- :mod:`torchgrade.worker.processes`: the zygote and the template (their control loops);
- :mod:`torchgrade.worker.loader`: executing the submission's cells into modules;
- :mod:`torchgrade.worker.server`: what a worker serves during a test;
- :mod:`torchgrade.worker.system`: /proc, rlimits, namespaces, uids and reaping.

The zygote lives as long as the grader process, so a batch pays the torch import once.
Everything below the zygote may be tampered with by the submission: nothing decides a
score on this side. It answers requests with data or handles (see :mod:`torchgrade.protocol`)
and the trusted grader judges the answers.
"""
