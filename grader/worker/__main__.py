"""``python -m torchgrade.worker``: start a zygote (worker side; see :mod:`torchgrade.worker`)."""

from torchgrade.worker.processes import main

main()
