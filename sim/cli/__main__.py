"""``python -m sim.cli``: the ``sim`` command in this interpreter (how the tests run it in a subprocess)."""

import sys

from .entry import main

sys.exit(main())
