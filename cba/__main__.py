"""``python -m cba``: the same as the ``cba`` command."""

from cba.cli import console_main

console_main()
