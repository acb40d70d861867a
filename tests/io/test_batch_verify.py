"""`cba verify` on the outputs of `cba batch`: an auditor reruns the template over the area
table with the recorded draws and seed and gets every figure and every file back, or is told
exactly what differs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cba.cli import main
from cba.io.batch_verify import BatchVerifyError, batch_results_path, verify_batch

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "scenarios" / "batch" / "neighbourhood_patrols.yaml"
AREAS = ROOT / "scenarios" / "areas" / "neighbourhoods_300.csv"


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A batch over 12 areas of the example with draws, and a row that cannot be evaluated."""
    base = tmp_path_factory.mktemp("batch")
    lines = AREAS.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    bad = lines[13].split(",")
    bad[header.index("population")] = "many"
    table = base / "areas.csv"
    table.write_text("\n".join([*lines[:13], ",".join(bad)]) + "\n", encoding="utf-8")
    template = base / "template.yaml"
    shutil.copyfile(TEMPLATE, template)
    folder = base / "out"
    argv = ["batch", str(template), str(table), "-o", str(folder), "--draws", "40"]
    assert main([*argv, "--seed", "11"]) == 6  # one row left out
    return folder


def copy_of(folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / "out"
    shutil.copytree(folder, target)
    return target


def test_a_rerun_matches_every_figure_and_every_file(run_folder: Path) -> None:
    outcome = verify_batch(run_folder)
    assert outcome.verified and outcome.figures_match and outcome.files_identical
    assert all(f.matches for f in outcome.inputs)
    assert (outcome.areas, outcome.options, outcome.draws, outcome.seed) == (12, 1, 40, 11)
    # every result field of every area, the inputs, the summaries and the problems
    assert outcome.compared > 12 * 14
    names = {o.name for o in outcome.outputs}
    assert {"areas.csv", "batch.json", "summary.xlsx"} <= names


@pytest.mark.parametrize("name", ["", "batch.json", "areas.csv", "summary.xlsx"])
def test_the_folder_or_any_file_of_the_run_names_it(run_folder: Path, name: str) -> None:
    assert batch_results_path(run_folder / name if name else run_folder) == (
        run_folder / "batch.json"
    )


def test_a_changed_figure_is_named_by_area_option_and_field(
    run_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_of(run_folder, tmp_path)
    document = json.loads((folder / "batch.json").read_text(encoding="utf-8"))
    third = document["results"][2]
    true_value = third["npsv"]
    third["npsv"] = true_value + 1.0
    (folder / "batch.json").write_text(json.dumps(document, indent=2), encoding="utf-8")
    outcome = verify_batch(folder)
    assert not outcome.verified and outcome.differing == 1
    (difference,) = outcome.differences
    assert difference.where == f"results: area {third['area_id']}, option resident_patrols: npsv"
    assert difference.recomputed == true_value
    assert main(["verify", str(folder)]) == 3
    out = capsys.readouterr().out
    assert "1 of " in out and f"area {third['area_id']}" in out
    assert "batch.json: differs from the rerun" in out


def test_an_edited_data_file_is_reported(run_folder: Path, tmp_path: Path) -> None:
    folder = copy_of(run_folder, tmp_path)
    csv_file = folder / "areas.csv"
    csv_file.write_bytes(csv_file.read_bytes().replace(b"resident_patrols", b"resident_patrol", 1))
    outcome = verify_batch(folder)
    assert outcome.figures_match and not outcome.verified
    edited = next(o for o in outcome.outputs if o.name == "areas.csv")
    assert not edited.identical and edited.recorded_sha256 != edited.on_disk_sha256


def test_a_changed_template_shows_its_digest_and_the_figures_it_moves(
    run_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "template.yaml"
    text = TEMPLATE.read_text(encoding="utf-8")
    edited = text.replace("price_base_year: 2024", "price_base_year: 2024\n# audited copy", 1)
    assert edited != text
    template.write_text(edited, encoding="utf-8")
    outcome = verify_batch(run_folder, scenario=template)
    assert [f.matches for f in outcome.inputs] == [False, True]
    # a comment moves no figure, but the recorded digest no longer matches
    assert outcome.figures_match
    assert main(["verify", str(run_folder), "--scenario", str(template), "--strict"]) == 2
    assert "changed since the run (--strict)" in capsys.readouterr().err


def test_a_changed_area_table_moves_that_areas_figures(run_folder: Path, tmp_path: Path) -> None:
    document = json.loads((run_folder / "batch.json").read_text(encoding="utf-8"))
    table = Path(document["table"])
    lines = table.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    column = header.index("population")
    row[column] = str(int(float(row[column])) + 500)
    edited = tmp_path / "areas.csv"
    edited.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n", encoding="utf-8")
    outcome = verify_batch(run_folder, areas=edited)
    assert outcome.inputs[1].matches is False
    moved = {d.where.split(": ")[1] for d in outcome.differences if d.where.startswith("results")}
    assert moved == {f"area {row[0]}, option resident_patrols"}


def test_outputs_that_cannot_be_checked_are_refused_with_a_reason(
    run_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(BatchVerifyError, match="no cba batch results"):
        verify_batch(tmp_path)
    folder = copy_of(run_folder, tmp_path)
    document = json.loads((folder / "batch.json").read_text(encoding="utf-8"))
    document["table"] = "elsewhere/areas.csv"
    (folder / "batch.json").write_text(json.dumps(document), encoding="utf-8")
    assert main(["verify", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "elsewhere/areas.csv, is not found" in err and "--areas PATH" in err
    assert "Traceback" not in err
    assert main(["verify", str(run_folder), "--budget", "b.yaml"]) == 2
    assert "--budget" in capsys.readouterr().err
