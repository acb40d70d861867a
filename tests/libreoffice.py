"""Recalculate .xlsx workbooks in real LibreOffice (headless) and check their cached values.

A helper for tests, not a test file. The facts behind it are in shared/docs/excel.md:

- ``soffice --headless --convert-to xlsx --outdir OUT a.xlsx b.xlsx ...`` loads, recalculates and
  saves a copy of each file; one call for many files is much cheaper than one call per file.
- LibreOffice keeps the cached values of an xlsx file unless its ``OOXMLRecalcMode`` setting is
  0 ("always"; the default is "never"), so every call uses a private profile that sets it.
- ``soffice`` exits 0 even when it could not load a file: every output is checked to exist.
- LibreOffice keeps 15 significant digits: numbers are compared with a relative tolerance.

Typical use in a test::

    soffice = require_libreoffice()
    outputs = recalculate([book], tmp_path / "lo")
    assert compare_recalculated(book, outputs[book]) == []
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import math
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import openpyxl
import pytest

__all__ = [
    "REQUIRE_ENV",
    "LibreOfficeError",
    "compare_recalculated",
    "find_soffice",
    "formula_cells",
    "is_error_value",
    "recalculate",
    "recalculate_and_compare",
    "require_libreoffice",
    "values",
]

#: Set to 1 (as CI does) to turn "LibreOffice is missing" from a skip into a failure.
REQUIRE_ENV = "CBA_REQUIRE_LIBREOFFICE"
#: Seconds one soffice call may take before it is killed.
DEFAULT_TIMEOUT = 300.0

# The spreadsheet error values as openpyxl reads them (cell type "e"), plus LibreOffice's own
# "Err:502"-style codes, which it may write where Excel has no equivalent.
_ERROR_VALUES = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#UNKNOWN!",
    }
)

# Load settings for the private profile: recalculate xlsx (OOXML) and ODF files on load, always.
_REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" \
oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" \
oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


class LibreOfficeError(RuntimeError):
    """soffice failed, timed out, or did not write every expected output.

    ``converted`` holds the outputs that were written (input path -> output path).
    """

    def __init__(self, message: str, converted: dict[Path, Path] | None = None) -> None:
        super().__init__(message)
        self.converted: dict[Path, Path] = converted or {}


def find_soffice() -> str | None:
    """Path of the LibreOffice ``soffice`` program, or None when it is not installed.

    ``CBA_SOFFICE`` may name it explicitly; otherwise ``soffice`` / ``libreoffice`` on PATH, then
    the usual install locations.
    """
    explicit = os.environ.get("CBA_SOFFICE")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in (
        "/usr/lib/libreoffice/program/soffice",
        "/opt/libreoffice/program/soffice",
        "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    ):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def require_libreoffice() -> str:
    """Return soffice's path; skip the calling test when it is missing.

    With ``CBA_REQUIRE_LIBREOFFICE=1`` in the environment (CI) a missing soffice fails the test
    instead, so a CI machine without LibreOffice cannot pass by skipping.
    """
    soffice = find_soffice()
    if soffice is not None:
        return soffice
    message = "LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{message} ({REQUIRE_ENV}=1 requires it)", pytrace=False)
    pytest.skip(message)


# --- the private profile and HOME, made once per process --------------------------------------

_state_lock = threading.Lock()
_state_dir: Path | None = None


def _private_dirs() -> tuple[Path, Path]:
    """(profile dir, HOME dir) inside one temp dir made on first use, removed at exit.

    One process never runs two soffice calls at once on this profile (see ``_run_lock``);
    separate processes (e.g. pytest-xdist workers) each have their own.
    """
    global _state_dir
    with _state_lock:
        if _state_dir is None or not _state_dir.is_dir():
            base = Path(tempfile.mkdtemp(prefix="cba-libreoffice-"))
            user = base / "profile" / "user"
            user.mkdir(parents=True)
            (user / "registrymodifications.xcu").write_text(_REGISTRY, encoding="utf-8")
            (base / "home").mkdir()
            atexit.register(shutil.rmtree, base, ignore_errors=True)
            _state_dir = base
        return _state_dir / "profile", _state_dir / "home"


_run_lock = threading.Lock()


def _run(cmd: Sequence[str], env: dict[str, str], timeout: float) -> tuple[int, str, str]:
    """Run soffice in its own process group; on timeout kill the whole group, then raise."""
    with subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            raise LibreOfficeError(
                f"soffice did not finish within {timeout:g} s\ncommand: {' '.join(cmd)}\n"
                f"stdout:\n{out}\nstderr:\n{err}"
            ) from None
        return proc.returncode, out, err


def recalculate(
    paths: Iterable[Path],
    out_dir: Path,
    *,
    soffice: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> dict[Path, Path]:
    """Recalculate every workbook in ONE soffice call; return {input path: recalculated copy}.

    The copies are written to ``out_dir`` as ``<stem>.xlsx``, so the stems within one batch must
    be unique, and ``out_dir`` must not be where an input lies under the same name (it would be
    overwritten). Raises ``LibreOfficeError`` naming every input without an output, with
    soffice's output, when soffice fails, times out, or silently skips a file.
    """
    inputs = [Path(p) for p in paths]
    if not inputs:
        return {}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    expected: dict[Path, Path] = {}
    by_stem: dict[str, Path] = {}
    for path in inputs:
        if not path.is_file():
            raise FileNotFoundError(f"no such workbook: {path}")
        if path.stem in by_stem:
            raise ValueError(
                f"two inputs share the name {path.stem!r} ({by_stem[path.stem]} and {path}); "
                "their outputs would collide in one batch: rename one or use two batches"
            )
        by_stem[path.stem] = path
        target = out_dir / f"{path.stem}.xlsx"
        if target.exists() and target.resolve() == path.resolve():
            raise ValueError(f"out_dir {out_dir} would overwrite the input {path}")
        expected[path] = target
    for target in expected.values():
        target.unlink(missing_ok=True)  # a stale copy must not pass for a fresh one

    program = soffice or find_soffice()
    if program is None:
        raise LibreOfficeError("LibreOffice (soffice) is not installed")
    profile, home = _private_dirs()
    cmd = [
        program,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--nologo",
        "--nodefault",
        "--nolockcheck",
        "--convert-to",
        "xlsx:Calc MS Excel 2007 XML",
        "--outdir",
        str(out_dir),
        *(str(p.resolve()) for p in inputs),
    ]
    env = {**os.environ, "HOME": str(home)}
    with _run_lock:
        code, out, err = _run(cmd, env, timeout)

    converted = {src: dst for src, dst in expected.items() if dst.is_file()}
    missing = [src for src in expected if src not in converted]
    if missing or code != 0:
        names = "\n".join(f"  {p}" for p in missing) or "  (none)"
        raise LibreOfficeError(
            f"soffice exited {code}; no recalculated copy of {len(missing)} of "
            f"{len(inputs)} workbook(s):\n{names}\n"
            f"stdout:\n{out.strip()}\nstderr:\n{err.strip()}",
            converted,
        )
    return converted


# --- reading cells ------------------------------------------------------------------------------

Key = tuple[str, str]


def formula_cells(path: Path) -> dict[Key, str]:
    """(sheet, cell) -> formula text (with its leading "=") for every formula cell of a workbook."""
    wb = openpyxl.load_workbook(path, data_only=False)
    try:
        found: dict[Key, str] = {}
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.data_type != "f" or cell.value is None:
                        continue
                    value = cell.value
                    text = value if isinstance(value, str) else getattr(value, "text", None)
                    found[(ws.title, cell.coordinate)] = str(text if text is not None else value)
        return found
    finally:
        wb.close()


def values(path: Path) -> dict[Key, object]:
    """(sheet, cell) -> value of every non-empty cell, as stored (openpyxl ``data_only=True``).

    For a formula cell that is its cached result; errors read as strings such as "#DIV/0!".
    """
    wb = openpyxl.load_workbook(path, data_only=True)
    try:
        return {
            (ws.title, cell.coordinate): cell.value
            for ws in wb.worksheets
            for row in ws.iter_rows()
            for cell in row
            if cell.value is not None
        }
    finally:
        wb.close()


def is_error_value(value: object) -> bool:
    """Whether a cell value is a spreadsheet error (#DIV/0!, #NAME?, ..., LibreOffice's Err:nnn)."""
    return isinstance(value, str) and (value in _ERROR_VALUES or value.startswith("Err:"))


def _cell_ref(sheet: str, cell: str) -> str:
    if sheet.replace("_", "").isalnum():
        return f"{sheet}!{cell}"
    return "'" + sheet.replace("'", "''") + f"'!{cell}"


def _same(cached: object, recalculated: object, rel: float, abs_tol: float) -> bool:
    # bool is an int: LibreOffice may store a logical result as a number (TRUE == 1), so
    # booleans and numbers compare by value; a bool against a string does not match.
    if isinstance(cached, int | float) and isinstance(recalculated, int | float):
        a, b = float(cached), float(recalculated)
        if isinstance(cached, bool) or isinstance(recalculated, bool):
            return a == b
        if math.isnan(a) or math.isnan(b):
            return False
        return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)
    if isinstance(cached, dt.datetime) and isinstance(recalculated, dt.datetime):
        return abs(cached - recalculated) <= dt.timedelta(milliseconds=1)
    return type(cached) is type(recalculated) and cached == recalculated


def compare_recalculated(
    original: Path,
    recalculated: Path,
    rel: float = 1e-12,
    *,
    abs_tol: float = 1e-9,
) -> list[str]:
    """Mismatches between a workbook's cached formula results and LibreOffice's recalculation.

    For every formula cell of ``original``: numbers must agree within relative tolerance ``rel``
    (absolute ``abs_tol`` near zero), strings, booleans and dates exactly. A formula whose
    recalculated value is an error or empty is reported too. Returns one readable line per
    problem, e.g. ``Sheet!B7: cached 1.23 vs LibreOffice 1.24 (formula =B5*B6)``; [] when all
    agree.
    """
    formulas = formula_cells(original)
    cached = values(original)
    recalc = values(recalculated)
    problems: list[str] = []
    for key, formula in formulas.items():
        where = _cell_ref(*key)
        old = cached.get(key)
        new = recalc.get(key)
        if new is None:
            problems.append(
                f"{where}: LibreOffice gives no value (cached {old!r}, formula {formula})"
            )
        elif is_error_value(new):
            problems.append(
                f"{where}: LibreOffice gives error {new} (cached {old!r}, formula {formula})"
            )
        elif not _same(old, new, rel, abs_tol):
            problems.append(f"{where}: cached {old!r} vs LibreOffice {new!r} (formula {formula})")
    return problems


def recalculate_and_compare(
    paths: Iterable[Path],
    out_dir: Path,
    rel: float = 1e-12,
    *,
    abs_tol: float = 1e-9,
    timeout: float = DEFAULT_TIMEOUT,
) -> dict[Path, list[str]]:
    """Recalculate all workbooks in one soffice call; {input: compare_recalculated problems}."""
    outputs = recalculate(paths, out_dir, timeout=timeout)
    return {
        src: compare_recalculated(src, dst, rel, abs_tol=abs_tol) for src, dst in outputs.items()
    }
