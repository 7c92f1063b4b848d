"""``python -m sim``: the ``creditsim`` command without its console script."""

import sys

from sim.cli import main

if __name__ == "__main__":
    sys.exit(main())
