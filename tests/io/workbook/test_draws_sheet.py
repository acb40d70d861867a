"""The Draws sheet (``cba run --full-draws``): every draw, one row each, streamed into the
workbook; the same numbers the Uncertainty sheet summarises; reproducible and verifiable."""

from __future__ import annotations

import copy
import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest

import cba
from cba.cli import main
from cba.io.workbook import draws_sheet
from cba.uncertainty import draw_table

ROOT = Path(__file__).resolve().parents[3]
BALSALL = ROOT / "scenarios" / "balsall_heath_community_safety.yaml"
GREEN = ROOT / "scenarios" / "green_corridor_cleanup.yaml"
DRAWS = 600


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def sheet_rows(book: Path) -> list[tuple[Any, ...]]:
    workbook = openpyxl.load_workbook(book, read_only=True)
    return list(workbook[draws_sheet.TITLE].iter_rows(values_only=True))


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("draws")
    code = main(["run", str(BALSALL), "--full-draws", "--draws", str(DRAWS), "-o", str(out), "-q"])
    assert code == 0
    return out / "balsall_heath_community_safety.xlsx"


def test_every_draw_is_a_row_with_the_simulations_numbers(written: Path) -> None:
    rows = sheet_rows(written)
    header = rows[draws_sheet.HEADER_ROW - 1]
    data = rows[draws_sheet.FIRST_ROW - 1 :]
    assert len(data) == DRAWS
    assert [r[0] for r in data] == list(range(1, DRAWS + 1))
    scenario = cba.load_scenario(BALSALL)
    results = cba.run(scenario, sensitivity=False, draws=DRAWS)
    assert results.uncertainty is not None
    table = draw_table(cba.compile_scenario(scenario), draws=DRAWS)
    assert table is not None
    assert tuple(header) == table.headers
    (chunk,) = list(table.chunks())
    for j, column in enumerate(chunk):
        got = np.array([r[j] for r in data], dtype=np.float64)
        assert np.array_equal(got, np.asarray(column, dtype=np.float64)), table.headers[j]
    # the NPSV column is what the Uncertainty sheet summarises, to the last bit
    npsv = header.index("resident_patrols: NPSV [GBP PV]")
    column = np.array([r[npsv] for r in data], dtype=np.float64)
    summary = results.uncertainty.option("resident_patrols")
    assert float(np.mean(column)) == summary.npsv.mean
    assert float(np.mean(column > 0)) == summary.probability_npsv_positive
    inputs = {p.parameter: p for p in results.uncertainty.parameters}
    for j, name in enumerate(header):
        path = str(name).split(" [")[0]
        if path in inputs:
            assert float(np.mean([r[j] for r in data])) == inputs[path].draws_mean


def test_same_run_same_bytes_and_verify_passes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, written: Path
) -> None:
    code, _, _ = cli(
        capsys, "run", BALSALL, "--full-draws", "--draws", DRAWS, "-o", tmp_path / "again", "-q"
    )
    assert code == 0
    again = tmp_path / "again" / written.name
    assert again.read_bytes() == written.read_bytes()
    code, out, err = cli(capsys, "verify", written, "--scenario", BALSALL)
    assert code == 0, out + err
    assert "figures match" in out


def test_a_changed_draw_is_found_by_verify(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, written: Path
) -> None:
    workbook = openpyxl.load_workbook(written)
    sheet = workbook[draws_sheet.TITLE]
    sheet.cell(draws_sheet.FIRST_ROW + 10, 2).value = 1234.5
    tampered = tmp_path / "tampered.xlsx"
    workbook.save(tampered)
    code, out, err = cli(capsys, "verify", tampered, "--scenario", BALSALL)
    assert code != 0
    assert f"Draws!B{draws_sheet.FIRST_ROW + 10}" in out + err


def test_the_rows_do_not_depend_on_the_chunk() -> None:
    compiled = cba.compile_scenario(cba.load_scenario(BALSALL))
    whole = draw_table(compiled, draws=700)
    pieces = draw_table(compiled, draws=700, chunk=97)
    assert whole is not None and pieces is not None
    letters = [chr(ord("A") + j) for j in range(len(whole.headers))]
    styles = [""] * len(letters)
    assert b"".join(draws_sheet.draw_rows(whole, letters, styles)) == b"".join(
        draws_sheet.draw_rows(pieces, letters, styles)
    )


def test_a_drawn_schedule_is_text_never_a_formula(tmp_path: Path) -> None:
    data = copy.deepcopy(cba.load_scenario(BALSALL).to_data())
    data["uncertainty"]["inputs"].append(
        {
            "parameter": "discounting.schedule",
            "distribution": {
                "family": "choice",
                "values": ["green_book_standard", "green_book_2026_lower_rate"],
            },
            "why": "which rate applies",
        }
    )
    scenario = cba.scenario_from_dict(data)
    table = draw_table(cba.compile_scenario(scenario), draws=200)
    assert table is not None
    results = cba.run(scenario, sensitivity=False, draws=200)
    from cba.io.workbook.writer import build_workbook

    book, _ = build_workbook(results, scenario, {}, None, table)
    sheet_xml = _member(book, draws_sheet.TITLE)
    assert b't="inlineStr"><is><t>green_book_2026_lower_rate</t></is>' in sheet_xml
    assert b"<f>" not in sheet_xml
    rows = list(
        openpyxl.load_workbook(io.BytesIO(book), read_only=True)[draws_sheet.TITLE].iter_rows(
            min_row=draws_sheet.FIRST_ROW, values_only=True
        )
    )
    column = table.headers.index("discounting.schedule [named schedule]")
    assert {r[column] for r in rows} == {"green_book_standard", "green_book_2026_lower_rate"}


def _member(book: bytes, title: str) -> bytes:
    workbook = openpyxl.load_workbook(io.BytesIO(book), read_only=True)
    index = workbook.sheetnames.index(title) + 1
    with zipfile.ZipFile(io.BytesIO(book)) as archive:
        return archive.read(f"xl/worksheets/sheet{index}.xml")


def test_without_the_flag_there_is_no_draws_sheet(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, _ = cli(capsys, "run", BALSALL, "--draws", 200, "-o", tmp_path, "-q")
    assert code == 0
    workbook = openpyxl.load_workbook(tmp_path / "balsall_heath_community_safety.xlsx")
    assert draws_sheet.TITLE not in workbook.sheetnames


def test_too_many_draws_for_a_sheet_is_refused_before_anything_is_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = cli(
        capsys, "run", BALSALL, "--full-draws", "--draws", 2_000_000, "-o", tmp_path / "o"
    )
    assert code == 2, out + err
    assert "a sheet holds at most 1,048,572 draws" in err
    assert not (tmp_path / "o").exists()


def test_a_scenario_without_uncertainty_gets_a_note_not_a_sheet(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = cli(capsys, "run", GREEN, "--full-draws", "-o", tmp_path, "-q")
    assert code == 0
    assert "declares no uncertain inputs; its workbook has no Draws sheet" in err
    book = next(tmp_path.glob("*.xlsx"))
    assert draws_sheet.TITLE not in openpyxl.load_workbook(book).sheetnames
