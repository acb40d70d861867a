"""Write files atomically, one or a set together: temporaries in the target folders, then renames.

- Every file of a set is first written in full to a temporary beside its target (so a full
  disk, a missing permission or a bad folder fails before any target changes), then each
  temporary is renamed over its target. If a rename fails, the targets already replaced are
  put back from hard links taken just before (``.<name>.cba-old-<pid>``): a failed write leaves
  the old set of files, or none where there was none.
- Temporaries are named ``.<name>.cba-tmp-<pid>``. A run killed while writing (SIGKILL, a power
  cut) leaves them behind; the next write to the same target removes those whose process is no
  longer running.
- While a set is written, SIGTERM and SIGINT (Ctrl-C) are held until the current step is done;
  then, before the last rename, the temporaries are removed, the old files put back, and
  :class:`Terminated` (or ``KeyboardInterrupt``) raised for the caller to report; after it, the
  signal takes its usual course once every file is in place.

Only SIGKILL or a power cut between two renames of a set can leave a new file beside an old
one; ``cba run`` records the workbook's digests in the JSON results, so a mismatched pair shows.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import Any

TEMPORARY_MARK = ".cba-tmp-"
"""Temporaries are ``.<name>.cba-tmp-<pid>`` in the target's folder."""
BACKUP_MARK = ".cba-old-"
"""While a set is renamed into place, ``.<name>.cba-old-<pid>`` keeps each replaced file."""
NAME_OVERHEAD = 1 + len(TEMPORARY_MARK) + 10
"""Characters a temporary's name adds to its target's (a dot, the mark, a pid of 10 digits)."""
DEFAULT_NAME_MAX = 255
"""Longest file name [bytes] where the file system does not say (Linux, macOS and Windows)."""

_LOCKED_WINERRORS = (5, 32, 33)
"""Windows: access denied, sharing violation, lock violation (a file open in Excel)."""


class OutputError(Exception):
    """An output file cannot be written (bad folder, no permission, file locked, disk full)."""


class Terminated(BaseException):  # like KeyboardInterrupt, not an error
    """SIGTERM arrived while files were being written; they were removed or put back."""


def os_error_message(path: Path, exc: OSError, doing: str = "cannot write the file") -> str:
    """``PATH: DOING: REASON`` and, for permission and lock errors only, what to do."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EBUSY, getattr(errno, "ETXTBSY", -1)) or (
        getattr(exc, "winerror", None) in _LOCKED_WINERRORS
    ):
        hint = (
            ". Check that you may write there; if the file is open in another program "
            "(e.g. Excel on Windows), close it and run again"
        )
    elif exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        hint = ". Free some space, or write to another folder"
    elif exc.errno == errno.EROFS:
        hint = ". Write to another folder"
    elif exc.errno == errno.ENAMETOOLONG:
        hint = ". Use a shorter file or folder name"
    else:
        hint = ""
    return f"{path}: {doing}: {reason}{hint}"


def name_max(folder: Path) -> int:
    """The longest file name [bytes] the file system of ``folder`` (or of its nearest existing
    ancestor) accepts."""
    for ancestor in (folder, *folder.parents):
        if os.path.isdir(ancestor):  # False, not an error, for a name too long
            try:
                return int(os.pathconf(ancestor, "PC_NAME_MAX"))
            except (OSError, ValueError, AttributeError):  # Windows has no pathconf
                return DEFAULT_NAME_MAX
    return DEFAULT_NAME_MAX


def name_problem(path: Path) -> str | None:
    """Why ``path`` (or a folder to be created for it) has a name too long to write, or None."""
    limit = name_max(path.parent)
    folders = [p for p in (path.parent, *path.parent.parents) if not os.path.lexists(p)]
    for folder in folders:
        if len(os.fsencode(folder.name)) > limit:
            return (
                f"{path}: cannot create the folder {folder.name[:40]}...: File name too long "
                f"({len(os.fsencode(folder.name))} bytes; the limit is {limit}). Use a shorter name"
            )
    length = len(os.fsencode(path.name))
    if length + NAME_OVERHEAD > limit:
        return (
            f"{path}: cannot write the file: File name too long ({length} bytes; names of "
            f"output files may have at most {limit - NAME_OVERHEAD} here, since cba writes "
            f"each first as .NAME{TEMPORARY_MARK}PID). Use a shorter file name"
        )
    return None


def temporary_path(path: Path, mark: str = TEMPORARY_MARK, pid: int | None = None) -> Path:
    """The temporary (or backup) of ``path`` written by process ``pid`` (default: this one)."""
    return path.with_name(f".{path.name}{mark}{os.getpid() if pid is None else pid}")


def process_exists(pid: int) -> bool:
    """Whether process ``pid`` is running (when unsure: yes, so its files are left alone)."""
    if pid == os.getpid():
        return True
    if not 0 < pid < 2**31:
        return False  # not a process id any system gives
    if sys.platform == "win32":
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return bool(kernel32.GetLastError() != 87)  # ERROR_INVALID_PARAMETER: no such pid
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # e.g. another user's process
    return True


def remove_stale_temporaries(paths: Sequence[Path]) -> list[Path]:
    """Remove the temporaries and backups of ``paths`` left by processes no longer running
    (one listing per folder); return those removed."""
    removed: list[Path] = []
    by_folder: dict[Path, set[str]] = {}
    for path in paths:
        by_folder.setdefault(path.parent, set()).add(path.name)
    for folder, names in by_folder.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            stale = _stale_target(entry.name)
            if stale is None or stale[0] not in names or process_exists(stale[1]):
                continue
            try:
                if entry.is_symlink() or entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
            except OSError:
                pass  # gone already, or not ours to remove after all
    return removed


def _stale_target(name: str) -> tuple[str, int] | None:
    """``(target name, pid)`` of a temporary or backup name, or None for any other name."""
    for mark in (TEMPORARY_MARK, BACKUP_MARK):
        target, found, pid = name.rpartition(mark)
        if found and target.startswith(".") and pid.isascii() and pid.isdigit():
            return (target[1:], int(pid)) if int(pid) < 2**32 else None
    return None


class _Signals:
    """SIGTERM and SIGINT held while a set of files is written, raised between steps."""

    def __init__(self) -> None:
        self.pending: int | None = None
        self.raised = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.pending is None:
            self.pending = signum

    def check(self) -> None:
        """Raise the first signal that arrived, if any, as an exception."""
        if self.pending is not None and not self.raised:
            self.raised = True
            raise Terminated if self.pending == signal.SIGTERM else KeyboardInterrupt


@contextmanager
def _holding_signals() -> Iterator[_Signals]:
    """Hold SIGTERM and SIGINT (unless ignored) for the block; restore the handlers after, and
    deliver a signal that arrived but was not raised by :meth:`_Signals.check`."""
    held = _Signals()
    if threading.current_thread() is not threading.main_thread():
        yield held  # only the main thread may set handlers (and receives signals)
        return
    previous: dict[signal.Signals, Any] = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        handler = signal.getsignal(signum)
        if handler is not None and handler is not signal.SIG_IGN:  # None: cannot restore
            previous[signum] = handler
            signal.signal(signum, held)
    try:
        yield held
    finally:
        for held_signal, handler in previous.items():
            signal.signal(held_signal, handler)
        if held.pending is not None and not held.raised:
            signal.raise_signal(held.pending)


def _make_folder(path: Path, created: list[Path]) -> None:
    """Create the folder of ``path`` and missing ancestors, recording each one created."""
    folder = path.parent
    missing = [p for p in (folder, *folder.parents) if not os.path.exists(p)]
    for ancestor in (folder, *folder.parents):
        if os.path.exists(ancestor):
            if not os.path.isdir(ancestor):
                raise OutputError(f"{ancestor}: is a file, not a folder; cannot write {path} there")
            break
    for new in reversed(missing):
        try:
            new.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(os_error_message(new, exc, "cannot create the folder")) from None
        created.append(new)


def _write_temporary(temp: Path, target: Path, data: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        try:
            handle = os.open(temp, flags, 0o644)
        except FileExistsError:
            # Left by an earlier process that had this pid: ours to replace.
            os.unlink(temp)
            handle = os.open(temp, flags, 0o644)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as exc:
        raise OutputError(os_error_message(target, exc)) from None


def _keep(target: Path, backup: Path) -> None:
    """A backup of ``target`` under ``backup``: a hard link, or a copy where links fail."""
    with suppress(FileNotFoundError):
        os.unlink(backup)  # left by an earlier process that had this pid
    try:
        os.link(target, backup)
    except OSError:
        import shutil

        try:
            shutil.copy2(target, backup)
        except OSError as exc:
            raise OutputError(os_error_message(target, exc, "cannot keep a copy")) from None


def _sync_folders(folders: Sequence[Path]) -> None:
    """Make the renames durable (POSIX; elsewhere the rename is as durable as it gets)."""
    if os.name != "posix":
        return
    for folder in dict.fromkeys(folders):
        try:
            handle = os.open(folder, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(handle)
        except OSError:
            pass
        finally:
            os.close(handle)


def write_files_atomically(files: Sequence[tuple[Path, bytes]]) -> None:
    """Replace every ``path`` with its ``data``, all or none, creating folders as needed.

    Raises
    ------
    OutputError
        A file cannot be written; every target is as it was, and no temporary is left.
    Terminated, KeyboardInterrupt
        SIGTERM or SIGINT arrived; every target is as it was, and no temporary is left.
    """
    targets = [path for path, _ in files]
    if len({os.path.normcase(os.path.abspath(p)) for p in targets}) != len(targets):
        raise OutputError("the same file would be written twice: " + ", ".join(map(str, targets)))
    for path in targets:
        problem = name_problem(path)
        if problem is not None:
            raise OutputError(problem)
    temps = [temporary_path(p) for p in targets]
    backups = [temporary_path(p, BACKUP_MARK) for p in targets]
    kept: list[int] = []
    created: list[Path] = []
    renaming = -1
    committed = False
    with _holding_signals() as signals:
        try:
            for path in targets:
                _make_folder(path, created)
                signals.check()
            remove_stale_temporaries(targets)
            for (path, data), temp in zip(files, temps, strict=True):
                _write_temporary(temp, path, data)
                signals.check()
            if len(files) > 1:  # one rename needs nothing to put back
                for index, (path, backup) in enumerate(zip(targets, backups, strict=True)):
                    if os.path.lexists(path):
                        _keep(path, backup)
                        kept.append(index)
                    signals.check()
            for renaming, (path, temp) in enumerate(zip(targets, temps, strict=True)):
                if renaming > 0:
                    signals.check()
                try:
                    os.replace(temp, path)
                except OSError as exc:
                    raise OutputError(os_error_message(path, exc)) from None
            committed = True
            _sync_folders([p.parent for p in targets])
        except BaseException:
            if not committed:
                _put_back(targets, temps, backups, kept, renaming, created)
            raise
        finally:
            for leftover in (*temps, *backups):
                with suppress(OSError):
                    os.unlink(leftover)


def _put_back(
    targets: list[Path],
    temps: list[Path],
    backups: list[Path],
    kept: list[int],
    renamed_up_to: int,
    created: list[Path],
) -> None:
    """Undo a partial write: the old files back in place, new ones and new folders removed."""
    for index in range(renamed_up_to + 1):
        if os.path.lexists(temps[index]):
            continue  # this one was not renamed
        try:
            if index in kept:
                os.replace(backups[index], targets[index])
            else:
                os.unlink(targets[index])
        except OSError:
            pass
    for temp in temps:
        with suppress(OSError):
            os.unlink(temp)
    for folder in reversed(created):
        with suppress(OSError):
            folder.rmdir()


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step, creating the parent folder if needed."""
    write_files_atomically([(path, data)])
