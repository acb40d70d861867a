"""Write files atomically: a temporary file in the target folder, then a rename.

An interrupted run never leaves a half-written file, and a failed run leaves an existing file
untouched.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class OutputError(Exception):
    """An output file cannot be written (bad folder, no permission, file locked)."""


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step, creating the parent folder if needed."""
    folder = path.parent
    for ancestor in (folder, *folder.parents):
        if ancestor.exists() and not ancestor.is_dir():
            raise OutputError(f"{ancestor}: is a file, not a folder; cannot write {path} there")
        if ancestor.exists():
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the output folder: {exc.strerror}") from None
    try:
        handle, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write in this folder: {exc.strerror}") from None
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise OutputError(
            f"{path}: cannot write the file: {exc.strerror}. If it is open in another program "
            "(e.g. Excel on Windows), close it and run again"
        ) from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
