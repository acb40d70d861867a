"""Provenance of a run: which file, which bytes, which software produced the numbers."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

NUMERIC_LIBRARIES = ("numpy", "numpy-financial", "pydantic", "ruamel.yaml", "openpyxl")
"""Libraries whose versions can affect the numbers, the reading of the scenario, or the
workbook's bytes (openpyxl)."""


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git(path: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=path.parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def scenario_provenance(path: Path) -> dict[str, Any]:
    """Where a scenario file came from: its sha256 and, if tracked, its git commit and state.

    Deliberately free of timestamps and absolute paths so that reruns give the same bytes.
    """
    from cba import __version__

    commit = _git(path, "log", "-1", "--format=%H", "--", path.name)
    status = _git(path, "status", "--porcelain", "--", path.name)
    in_repo = _git(path, "ls-files", "--full-name", "--", path.name)
    return {
        "scenario_file": path.name,
        "scenario_path": in_repo or path.as_posix(),
        "scenario_sha256": file_sha256(path),
        "scenario_git_commit": commit or None,
        "scenario_file_unchanged_since_commit": (status == "") if commit else None,
        "cba_version": __version__,
        "python": platform.python_version(),
        "libraries": {name: _version(name) for name in NUMERIC_LIBRARIES},
    }


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
