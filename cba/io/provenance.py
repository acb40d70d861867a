"""Provenance of a run: which file, which bytes, which software produced the numbers."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

NUMERIC_LIBRARIES = (
    "numpy",
    "numpy-financial",
    "pydantic",
    "ruamel.yaml",
    "openpyxl",
    "scipy",
    "pygraphviz",
)
"""Libraries whose versions can affect the numbers, the reading of the scenario, or the
workbook's bytes (openpyxl; scipy's HiGHS solves strategy maps; pygraphviz's Graphviz draws
them)."""


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git_all(path: Path, *commands: tuple[str, ...]) -> list[str | None]:
    """Output of each git command run in the file's folder (None where git fails or is
    missing). The commands run at the same time: each costs a process start."""
    started: list[subprocess.Popen[str] | None] = []
    for args in commands:
        try:
            started.append(
                subprocess.Popen(
                    ["git", *args],
                    cwd=path.parent,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    stdin=subprocess.DEVNULL,
                    text=True,
                )
            )
        except OSError:
            started.append(None)
    outputs: list[str | None] = []
    for process in started:
        if process is None:
            outputs.append(None)
            continue
        try:
            stdout, _ = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            outputs.append(None)
            continue
        outputs.append(stdout.strip() if process.returncode == 0 else None)
    return outputs


def scenario_provenance(path: Path) -> dict[str, Any]:
    """Where a scenario file came from: its sha256 and, if tracked, its git commit and state.

    Deliberately free of timestamps and absolute paths so that reruns give the same bytes.
    """
    from cba import __version__

    commit, status, in_repo = _git_all(
        path,
        ("log", "-1", "--format=%H", "--", path.name),
        ("status", "--porcelain", "--", path.name),
        ("ls-files", "--full-name", "--", path.name),
    )
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
