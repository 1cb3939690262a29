import sys

from torchgrade.cli import main

sys.exit(main())
