"""``cba verify``: recompute a workbook's scenario and compare every figure.

The workbook's provenance (custom document properties ``cba_*``) names the scenario file, its
sha256 and the git commit it was run at. The scenario is found in the current git checkout (or
taken from ``--scenario``, or read from a git revision with ``--rev``), recomputed with this
cba, rendered into a workbook in memory with the same provenance, and compared cell by cell on
every figure sheet (Provenance is reported, not compared: versions may legitimately differ).
"""

from __future__ import annotations

import hashlib
import io
import math
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped, unused-ignore]

from cba.io.workbook import provenance_sheet
from cba.io.workbook.template import TemplateError, check_xlsx

REL_TOLERANCE = 1e-12
"""Relative difference allowed between a recorded and a recomputed number [fraction]."""


class VerifyError(Exception):
    """The workbook or scenario cannot be checked (bad input, exit 2)."""


@dataclass
class Difference:
    """One figure that differs."""

    where: str
    label: str
    recorded: object
    recomputed: object

    def __str__(self) -> str:
        return (
            f"{self.where} ({self.label}): workbook {_show(self.recorded)} vs recomputed "
            f"{_show(self.recomputed)}"
        )


@dataclass
class Verification:
    """The outcome of a verification."""

    scenario: str
    recorded_sha256: str
    current_sha256: str
    compared: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def sha256_matches(self) -> bool:
        return self.recorded_sha256 == self.current_sha256

    @property
    def figures_match(self) -> bool:
        return not self.differences


def _show(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.6f}".rstrip("0").rstrip(".")
    return repr(value)


def read_provenance(path: Path) -> dict[str, str]:
    """The ``cba_*`` custom document properties of a workbook, without the prefix."""
    try:
        data = check_xlsx(path)
    except TemplateError as exc:
        reason = str(exc).split(". ")[0]
        raise VerifyError(f"{reason}. cba verify needs a workbook written by `cba run`") from None
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=False)
    props = {
        p.name[len(provenance_sheet.PREFIX) :]: str(p.value)
        for p in workbook.custom_doc_props  # type: ignore[attr-defined]  # not in the stubs
        if p.name.startswith(provenance_sheet.PREFIX)
    }
    if "scenario_sha256" not in props:
        raise VerifyError(
            f"{path}: not a cba workbook (no cba provenance properties). "
            "Only workbooks written by `cba run` can be verified"
        )
    return props


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=30, check=False)


def locate_scenario(
    props: dict[str, str], scenario: Path | None, rev: str | None, workdir: Path
) -> tuple[Path, bytes]:
    """The scenario file to recompute, and its bytes."""
    recorded = props.get("scenario_path") or props.get("scenario_file", "")
    if rev is not None:
        root = _git(["rev-parse", "--show-toplevel"], workdir)
        if root.returncode != 0:
            raise VerifyError("--rev needs a git checkout: run cba verify inside the repository")
        name = scenario.as_posix() if scenario is not None else recorded
        shown = _git(["show", f"{rev}:{name}"], Path(root.stdout.decode().strip()))
        if shown.returncode != 0:
            raise VerifyError(
                f"git cannot show {name} at revision {rev}: {shown.stderr.decode().strip()}"
            )
        return Path(f"{rev}:{name}"), shown.stdout
    if scenario is None:
        root = _git(["rev-parse", "--show-toplevel"], workdir)
        base = Path(root.stdout.decode().strip()) if root.returncode == 0 else workdir
        scenario = base / recorded
    try:
        return scenario, scenario.read_bytes()
    except OSError as exc:
        raise VerifyError(
            f"{scenario}: cannot read the scenario ({exc.strerror}). Pass "
            "--scenario PATH, or run inside the repository it came from"
        ) from None


def _figure_cells(data: bytes) -> dict[tuple[str, str], tuple[str, object]]:
    """(sheet, cell) -> (row label, cached value) for every non-empty cell of figure sheets."""
    workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    out: dict[tuple[str, str], tuple[str, object]] = {}
    for sheet in workbook.worksheets:
        if sheet.title in (provenance_sheet.TITLE, "Cover"):
            continue
        for row in sheet.iter_rows():
            label = row[0].value if row and isinstance(row[0].value, str) else ""
            for cell in row:
                if cell.value is not None:
                    out[(sheet.title, cell.coordinate)] = (str(label), cell.value)
    return out


def _same(a: object, b: object) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        if a == b:
            return True
        return math.isclose(float(a), float(b), rel_tol=REL_TOLERANCE, abs_tol=1e-9)
    return a == b


def verify_workbook(
    path: Path,
    scenario: Path | None = None,
    rev: str | None = None,
    template: Path | None = None,
    workdir: Path | None = None,
) -> Verification:
    """Recompute and compare; raises VerifyError for bad input."""
    from cba.io.problems import ScenarioError
    from cba.io.scenario_file import load_scenario
    from cba.io.workbook.writer import build_workbook
    from cba.pipeline import run

    workdir = workdir or Path.cwd()
    props = read_provenance(path)
    scenario_path, scenario_bytes = locate_scenario(props, scenario, rev, workdir)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / Path(str(scenario_path).split(":")[-1]).name
        copy.write_bytes(scenario_bytes)
        try:
            spec = load_scenario(copy)
        except ScenarioError as exc:
            raise VerifyError(f"the scenario no longer loads:\n{exc}") from None
    results = run(spec)
    provenance: dict[str, Any] = dict(props)
    rebuilt, _ = build_workbook(results, spec, provenance, template)
    recorded = _figure_cells(check_xlsx(path))
    recomputed = _figure_cells(rebuilt)
    outcome = Verification(
        scenario=str(scenario_path),
        recorded_sha256=props["scenario_sha256"],
        current_sha256=hashlib.sha256(scenario_bytes).hexdigest(),
    )
    for key in sorted(set(recorded) | set(recomputed)):
        old, new = recorded.get(key), recomputed.get(key)
        outcome.compared += 1
        if old is not None and new is not None and _same(old[1], new[1]):
            continue
        outcome.differences.append(
            Difference(
                where=f"{key[0]}!{key[1]}",
                label=(old or new or ("", None))[0],
                recorded=None if old is None else old[1],
                recomputed=None if new is None else new[1],
            )
        )
    return outcome
