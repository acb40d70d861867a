"""What kind of file a path is, in words: cba reads only regular files (a device such as
/dev/zero would never end; a FIFO would block)."""

from __future__ import annotations

import stat


def kind_of_file(mode: int) -> str | None:
    """What a file that is not a regular file is, in words; None for a regular file.

    Parameters
    ----------
    mode : int
        ``st_mode`` from ``os.stat``.
    """
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"
