"""``python -m sim.validation``: the same as ``creditsim validate``."""

import sys

from sim.validation.runner import main

sys.exit(main())
