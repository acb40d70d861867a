"""``cba verify`` for the outputs of ``cba batch``: rerun the template over the area table
with the recorded draws and seed, and compare every figure and every file.

An auditor holds a folder of batch outputs (``batch.json`` beside ``areas.csv``,
``areas.parquet`` and ``summary.xlsx``) and the repository the run came from. Verification:

1. reads ``batch.json`` (untrusted: its shape is checked, nothing in it is executed);
2. finds the template (``--scenario``, else the path the run recorded, inside the current git
   repository, else from the current folder) and the area table (``--areas``, else the path
   the run recorded, from the current folder, else from the repository's root), and compares
   their sha256 with the record;
3. reruns the batch in this process (identical to a run on workers or a cluster: each area's
   streams derive from the seed and its id), with the draws and seed recorded;
4. compares every recorded figure (each area and option, the totals, the distributions, the
   rows not evaluated) with the rerun, exactly: a rerun of the same files with the same
   version gives the same floating-point numbers;
5. rebuilds the data files and the summary workbook with the recorded provenance and
   compares them byte for byte with the record and with the files in the folder.

Nothing is written.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cba.io import batch_outputs as files

MAX_DIFFERENCES = 10_000
"""Differing figures kept (the count is exact; the list stops here)."""


class BatchVerifyError(ValueError):
    """Outputs, a template or an area table that cannot be checked; the message says which."""


@dataclass(frozen=True)
class InputFile:
    """A file the run read, as found now."""

    role: str
    """'template' or 'area table'."""
    shown: str
    """The path, as found (relative to the current folder where it can be)."""
    recorded_sha256: str
    current_sha256: str

    @property
    def matches(self) -> bool:
        return self.recorded_sha256 == self.current_sha256


@dataclass(frozen=True)
class OutputFile:
    """A file of the run: its recorded digest, the folder's copy and the rebuilt bytes."""

    name: str
    recorded_sha256: str | None
    """From batch.json (None: the run did not record one, as for batch.json itself)."""
    on_disk_sha256: str | None
    """None: the folder has no such file."""
    rebuilt_sha256: str | None
    """None: not rebuilt here (Parquet without pyarrow)."""

    @property
    def identical(self) -> bool:
        """The folder's file is the rebuilt one, byte for byte (and the record agrees)."""
        return (
            self.rebuilt_sha256 is not None
            and self.on_disk_sha256 == self.rebuilt_sha256
            and self.recorded_sha256 in (None, self.rebuilt_sha256)
        )


@dataclass(frozen=True)
class FigureDifference:
    """One recorded figure the rerun does not reproduce."""

    where: str
    """E.g. ``area N001, option resident_patrols: npsv``."""
    recorded: Any
    recomputed: Any

    def __str__(self) -> str:
        recorded, recomputed = _shown(self.recorded), _shown(self.recomputed)
        return f"{self.where}: recorded {recorded}, recomputed {recomputed}"


@dataclass(frozen=True)
class BatchVerification:
    """What ``cba verify`` found for a folder of batch outputs."""

    folder: str
    inputs: tuple[InputFile, ...]
    areas: int
    options: int
    draws: int
    seed: int | None
    compared: int
    """Figures compared."""
    differing: int
    differences: tuple[FigureDifference, ...] = field(default=())
    """The first :data:`MAX_DIFFERENCES` differing figures."""
    outputs: tuple[OutputFile, ...] = field(default=())

    @property
    def figures_match(self) -> bool:
        return self.differing == 0

    @property
    def files_identical(self) -> bool:
        return all(o.identical for o in self.outputs if o.rebuilt_sha256 is not None)

    @property
    def verified(self) -> bool:
        """Every figure and every rebuilt file matches."""
        return self.figures_match and self.files_identical


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)[:200]


def batch_results_path(path: Path) -> Path | None:
    """The ``batch.json`` that ``path`` names: the file itself, the one in a folder, or the
    one beside a data file or summary workbook of the run; None if there is none."""
    if path.is_dir():
        candidate = path / files.RESULTS_NAME
    elif path.name == files.RESULTS_NAME:
        candidate = path
    else:
        candidate = path.parent / files.RESULTS_NAME
    return candidate if files.is_cba_batch_results(candidate) else None


def _record(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise BatchVerifyError(f"{path}: cannot be read as batch results ({exc})") from None
    provenance = document.get("provenance")
    needed = ("scenario_path", "scenario_sha256", "area_table_sha256")
    if not isinstance(provenance, dict) or not all(
        isinstance(provenance.get(k), str) for k in needed
    ):
        raise BatchVerifyError(
            f"{path}: its provenance lacks the template's path and sha256 or the area table's "
            "sha256, so the run cannot be repeated"
        )
    if not isinstance(document.get("table"), str):
        raise BatchVerifyError(f"{path}: it does not record the area table's path ('table')")
    draws = document.get("draws")
    seed = document.get("seed")
    if not isinstance(draws, int) or draws < 0 or not (seed is None or isinstance(seed, int)):
        raise BatchVerifyError(f"{path}: its 'draws' or 'seed' is not a whole number")
    if document.get("cba_batch") != files.BATCH_JSON_VERSION:
        raise BatchVerifyError(
            f"{path}: batch results format {document.get('cba_batch')!r}; this cba reads "
            f"{files.BATCH_JSON_VERSION}"
        )
    return dict(document)


def _repository_root(workdir: Path) -> Path | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return Path(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else None


def _shown_path(path: Path, workdir: Path) -> str:
    try:
        return path.resolve().relative_to(workdir.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _find(
    role: str, given: Path | None, recorded: str, workdir: Path, root: Path | None, flag: str
) -> Path:
    """The file the run read: as given, else the recorded path from the current folder or
    from the repository's root."""
    if given is not None:
        path = given if given.is_absolute() else workdir / given
        if not path.is_file():
            raise BatchVerifyError(f"{given}: no such {role} ({flag})")
        return path
    recorded_path = Path(recorded)
    candidates = [recorded_path] if recorded_path.is_absolute() else [workdir / recorded_path]
    if root is not None and not recorded_path.is_absolute():
        candidates.append(root / recorded_path)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise BatchVerifyError(
        f"the {role} the run recorded, {recorded}, is not found from {workdir} or the "
        f"repository's root; name it with {flag} PATH"
    )


def _compare(recorded: Any, recomputed: Any, where: str, found: list[FigureDifference]) -> int:
    """Figures compared; each difference appended to ``found``."""
    if isinstance(recorded, dict) and isinstance(recomputed, dict):
        count = 0
        for key in sorted(set(recorded) | set(recomputed)):
            if key not in recorded or key not in recomputed:
                found.append(
                    FigureDifference(f"{where}: {key}", recorded.get(key), recomputed.get(key))
                )
                count += 1
                continue
            count += _compare(recorded[key], recomputed[key], f"{where}: {key}", found)
        return count
    if isinstance(recorded, list) and isinstance(recomputed, list):
        if len(recorded) != len(recomputed):
            found.append(
                FigureDifference(f"{where} (number of entries)", len(recorded), len(recomputed))
            )
            return 1
        count = 0
        for index, (a, b) in enumerate(zip(recorded, recomputed, strict=True)):
            count += _compare(a, b, _entry(where, index, a), found)
        return count
    if _is_number(recorded) and _is_number(recomputed):
        same = float(recorded) == float(recomputed)  # JSON writes 4000.0 as 4000 at times
    else:
        same = recorded == recomputed and type(recorded) is type(recomputed)
    if not same:
        found.append(FigureDifference(where, recorded, recomputed))
    return 1


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _entry(where: str, index: int, entry: Any) -> str:
    """How a list entry is named: by its area and option where it has them."""
    if isinstance(entry, dict):
        area, option = entry.get("area_id"), entry.get("option_id")
        if isinstance(area, str) and isinstance(option, str):
            return f"{where}: area {area}, option {option}"
        if isinstance(area, str):
            return f"{where}: area {area}"
        if isinstance(option, str):
            return f"{where}: option {option}"
    return f"{where}[{index}]"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _on_disk(path: Path) -> str | None:
    try:
        return _digest(path.read_bytes())
    except OSError:
        return None


def verify_batch(
    path: Path,
    scenario: Path | None = None,
    areas: Path | None = None,
    workdir: Path | None = None,
) -> BatchVerification:
    """Rerun the batch that wrote ``path`` (its folder, ``batch.json`` or a file beside it) and
    compare.

    Parameters
    ----------
    path
        The outputs to verify (untrusted).
    scenario, areas
        The template and the area table to rerun (default: the paths the run recorded).
    workdir
        Where relative paths start and the git repository is looked for (default: the current
        folder).

    Raises
    ------
    BatchVerifyError
        For outputs, a template or a table that cannot be checked; the message names it.
    """
    from cba.batch import BatchError, batch
    from cba.io.area_table import AreaTableError, read_area_table
    from cba.io.json_results import plain_data
    from cba.io.problems import ScenarioError
    from cba.io.scenario_file import load_scenario
    from cba.io.workbook.areas_workbook import build_areas_workbook

    workdir = workdir or Path.cwd()
    results_path = batch_results_path(path)
    if results_path is None:
        raise BatchVerifyError(
            f"{path}: no cba batch results (batch.json) here; give the folder cba batch wrote"
        )
    record = _record(results_path)
    provenance = record["provenance"]
    root = _repository_root(workdir)
    template_path = _find(
        "template", scenario, provenance["scenario_path"], workdir, root, "--scenario"
    )
    table_path = _find("area table", areas, record["table"], workdir, root, "--areas")
    inputs = (
        InputFile(
            "template",
            _shown_path(template_path, workdir),
            provenance["scenario_sha256"],
            _digest(template_path.read_bytes()),
        ),
        InputFile(
            "area table",
            _shown_path(table_path, workdir),
            provenance["area_table_sha256"],
            _digest(table_path.read_bytes()),
        ),
    )
    try:
        template = load_scenario(template_path)
    except ScenarioError as exc:
        raise BatchVerifyError(f"the template does not load:\n{exc}") from None
    try:
        table = read_area_table(table_path)
    except AreaTableError as exc:
        raise BatchVerifyError(str(exc)) from None
    # the run named the table as the user gave it; the rerun names it the same way
    table = dataclasses.replace(table, path=record["table"])
    draws, seed = record["draws"], record["seed"]
    if draws and not template.declares_uncertainty:
        raise BatchVerifyError(
            f"the run drew {draws:,} draws per area, but {inputs[0].shown} now declares no "
            "uncertain inputs"
        )
    try:
        outcome = batch(template, table, draws=draws, seed=seed)
    except BatchError as exc:
        problems = "; ".join(str(p) for p in exc.problems[:5])
        raise BatchVerifyError(
            f"the area table's header no longer fits the template: {problems}"
        ) from None

    recomputed = plain_data(outcome)
    found: list[FigureDifference] = []
    compared = 0
    for key in sorted(recomputed):
        if key not in record:
            found.append(FigureDifference(key, None, recomputed[key]))
            compared += 1
            continue
        compared += _compare(record[key], recomputed[key], key, found)

    folder = results_path.parent
    data = {f"{files.TABLE_NAME}.csv": files.csv_bytes(outcome)}
    parquet = files.parquet_bytes(outcome)
    if parquet is not None:
        data[f"{files.TABLE_NAME}.parquet"] = parquet
    listed = record.get("files")
    recorded_files: dict[str, Any] = listed if isinstance(listed, dict) else {}
    outputs = []
    for name in sorted(set(data) | set(recorded_files)):
        rebuilt = data.get(name)
        recorded_digest = recorded_files.get(name)
        outputs.append(
            OutputFile(
                name,
                recorded_digest if isinstance(recorded_digest, str) else None,
                _on_disk(folder / name),
                None if rebuilt is None else _digest(rebuilt),
            )
        )
    results_json = files.json_bytes(outcome, provenance, data)
    outputs.append(
        OutputFile(files.RESULTS_NAME, None, _on_disk(results_path), _digest(results_json))
    )
    summary, _ = build_areas_workbook(outcome, provenance, template.title)
    summary_path = folder / files.SUMMARY_NAME
    if summary_path.exists():
        outputs.append(
            OutputFile(files.SUMMARY_NAME, None, _on_disk(summary_path), _digest(summary))
        )
    return BatchVerification(
        folder=_shown_path(folder, workdir),
        inputs=inputs,
        areas=outcome.evaluated,
        options=len(outcome.options),
        draws=draws,
        seed=seed,
        compared=compared,
        differing=len(found),
        differences=tuple(found[:MAX_DIFFERENCES]),
        outputs=tuple(outputs),
    )
