"""``python -m grader.worker``: start a zygote (worker side; see :mod:`grader.worker`)."""

from grader.worker.processes import main

main()
