"""Reading a file from outside: only regular files, never more than a limit (a device such as
/dev/zero would never end; a FIFO would block). Used for scenarios, templates and workbooks."""

from __future__ import annotations

import os
import stat
from pathlib import Path


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


class UnreadableFileError(Exception):
    """Why a file could not be read. ``reason`` completes ``"PATH: ..."``."""

    def __init__(
        self,
        reason: str,
        *,
        missing: bool = False,
        kind: str | None = None,
        too_large: bool = False,
        size: int | None = None,
        error: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing
        """There is no such file."""
        self.kind = kind
        """What the path is when it is not a regular file ("a folder", "a device", ...)."""
        self.too_large = too_large
        self.size = size
        """The size the file claims [bytes], when it is too large and says so."""
        self.error = error
        """The operating system's reason, when reading failed."""


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of a regular file, refusing anything else and anything over ``limit`` bytes.

    The file type is checked before opening and again on the open file, which is opened without
    blocking, so a device, a pipe or a socket is never read; at most ``limit + 1`` bytes are read
    whatever the file claims its size to be.

    Raises
    ------
    UnreadableFileError
        With ``missing`` set when there is no such file; ``size`` set when it is too large.
    """
    try:
        kind = kind_of_file(os.stat(path).st_mode)
        if kind is not None:
            raise UnreadableFileError(f"is not a file (it is {kind})", kind=kind)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise UnreadableFileError("not found", missing=True) from None
    except OSError as exc:
        raise UnreadableFileError(f"cannot be read ({exc.strerror})", error=exc.strerror) from None
    try:
        info = os.fstat(descriptor)
        kind = kind_of_file(info.st_mode)
        if kind is not None:  # replaced between the check and the opening
            raise UnreadableFileError(f"is not a file (it is {kind})", kind=kind)
        if info.st_size > limit:
            raise UnreadableFileError("too large", too_large=True, size=info.st_size)
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as exc:
        raise UnreadableFileError(f"cannot be read ({exc.strerror})", error=exc.strerror) from None
    finally:
        os.close(descriptor)
    data = b"".join(chunks)
    if len(data) > limit:
        raise UnreadableFileError("too large", too_large=True)
    return data
