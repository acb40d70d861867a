"""Keeping what native libraries print out of cba's standard output.

HiGHS (the mixed-integer solver behind ``scipy.optimize.milp``) writes an occasional
diagnostic line straight to file descriptor 1 when it maps a new solution back from a
sub-problem, whatever its output options say. On standard output that line would corrupt
``cba allocate --json``; this sends it to standard error instead, where a user still sees it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress


@contextmanager
def native_stdout_to_stderr() -> Iterator[None]:
    """Within the block, file descriptor 1 is a copy of descriptor 2.

    Python-level writes to ``sys.stdout`` are flushed before and after; nothing in the block
    should write to standard output on purpose. Where the descriptors cannot be duplicated
    (closed, or not real files) the block runs unchanged.
    """
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):
        yield
        return
    try:
        os.dup2(2, 1)
    except OSError:
        os.close(saved)
        yield
        return
    try:
        yield
    finally:
        with suppress(OSError, ValueError):
            sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
