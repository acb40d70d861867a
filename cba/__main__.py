"""``python -m cba``: the same as the ``cba`` command."""

import sys

from cba.cli import main

sys.exit(main())
