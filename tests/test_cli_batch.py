"""`cba batch` as a user runs it: files written, reruns, bad rows, --strict, --json."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from cba.cli import main

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "scenarios" / "batch" / "neighbourhood_patrols.yaml"
AREAS = ROOT / "scenarios" / "areas" / "neighbourhoods_300.csv"
BALSALL_HEATH = ROOT / "scenarios" / "balsall_heath_community_safety.yaml"


def small_table(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "areas.csv"
    path.write_text("area_id,name,households,population\n" + rows, encoding="utf-8")
    return path


def test_the_example_writes_every_file_and_a_rerun_gives_the_same_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "out"
    assert main(["batch", str(TEMPLATE), str(AREAS), "-o", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "in 300 of 300 areas" in out and "It pays (NPSV > 0) in" in out
    names = sorted(p.name for p in folder.iterdir())
    assert {"areas.csv", "batch.json", "summary.xlsx"} <= set(names)
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    # cba recognises its own files: no --force needed to run again.
    assert main(["batch", str(TEMPLATE), str(AREAS), "-o", str(folder)]) == 0
    after = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert after == before
    rows = list(csv.DictReader(io.StringIO(before["areas.csv"].decode("utf-8"))))
    assert len(rows) == 300 and rows[0]["option"] == "resident_patrols"
    document = json.loads(before["batch.json"])
    assert document["cba_batch"] == "1.0"
    assert document["provenance"]["command"].startswith("cba batch ")
    assert len(document["results"]) == 300


def test_a_file_cba_did_not_write_is_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "areas.csv").write_text("someone's own table\n", encoding="utf-8")
    assert main(["batch", str(TEMPLATE), str(AREAS), "-o", str(folder)]) == 2
    assert "was not written by cba" in capsys.readouterr().err
    assert (folder / "areas.csv").read_text(encoding="utf-8") == "someone's own table\n"
    assert not (folder / "batch.json").exists()


def test_bad_rows_are_reported_and_the_rest_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = small_table(tmp_path, "A,Alpha,4000,10000\nB,Beta,many,10000\nC,Gamma,3000,9000\n")
    folder = tmp_path / "out"
    assert main(["batch", str(TEMPLATE), str(table), "-o", str(folder)]) == 6
    err = capsys.readouterr().err
    assert "row 3 (area B), column households: not a number: 'many'" in err
    assert "cba: 1 row could not be evaluated" in err and "Fix and rerun: B (row 3)" in err
    rows = list(csv.DictReader((folder / "areas.csv").open(encoding="utf-8")))
    assert [r["area_id"] for r in rows] == ["A", "C"]


def test_strict_refuses_the_whole_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = small_table(tmp_path, "A,Alpha,4000,10000\nB,Beta,-1,10000\n")
    folder = tmp_path / "out"
    assert main(["batch", str(TEMPLATE), str(table), "-o", str(folder), "--strict"]) == 2
    assert "--strict: nothing was written" in capsys.readouterr().err
    assert not folder.exists()


def test_a_header_that_does_not_fit_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "areas.csv"
    path.write_text("area_id,housholds\nA,4000\n", encoding="utf-8")
    assert main(["batch", str(TEMPLATE), str(path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{path}:1: column housholds:" in err and "Did you mean 'households'?" in err


def test_json_and_names_that_look_like_formulas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = small_table(tmp_path, 'A,"=HYPERLINK(""http://x"")",4000,10000\n')
    folder = tmp_path / "out"
    assert main(["batch", str(TEMPLATE), str(table), "-o", str(folder), "--json"]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["results"][0]["name"] == '=HYPERLINK("http://x")'
    assert "written to" in captured.err
    text = (folder / "areas.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text


def test_draws_give_each_area_its_probability(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = small_table(tmp_path, "A,Alpha,4000,10000\nB,Beta,8000,20000\n")
    folder = tmp_path / "out"
    assert main(["batch", str(TEMPLATE), str(table), "-o", str(folder), "--draws", "500"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "500 draws per area" in out and "P(NPSV > 0)" in out
    document = json.loads((folder / "batch.json").read_bytes())
    assert all(r["probability_npsv_positive"] is not None for r in document["results"])
    assert document["provenance"]["draws_per_area"] == 500


def test_options_that_do_not_fit_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = small_table(tmp_path, "A,Alpha,4000,10000\n")
    assert main(["batch", str(TEMPLATE), str(table), "--workers", "2"]) == 2
    assert "give --draws N" in capsys.readouterr().err
    assert main(["batch", str(TEMPLATE), str(table), "--draws", "-1"]) == 2
    capsys.readouterr()
    no_uncertainty = tmp_path / "plain.yaml"
    text = TEMPLATE.read_text(encoding="utf-8")
    text = text[: text.index("\nuncertainty:")] + "\n"
    start = text.index("        uncertain:\n")
    end = text.index("      - kind: in_kind", start)
    no_uncertainty.write_text(text[:start] + text[end:], encoding="utf-8")
    code = main(["batch", str(no_uncertainty), str(table), "--draws", "100"])
    assert code == 2
    assert "declares no uncertain inputs" in capsys.readouterr().err


def test_area_workbooks_on_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = small_table(tmp_path, "A/1,Alpha,4000,10000\nB,Beta,3000,9000\n")
    folder = tmp_path / "out"
    assert main(["batch", str(TEMPLATE), str(table), "-o", str(folder), "--workbooks"]) == 0
    books = sorted(p.name for p in (folder / "workbooks").iterdir())
    assert books == ["A_1.xlsx", "B.xlsx"]
    # each records the area's inputs over the template, so cba verify recomputes it
    capsys.readouterr()
    assert main(["verify", str(folder / "workbooks" / "B.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "figures match" in out
    # and the folder as a whole reruns to the same figures and bytes
    assert main(["verify", str(folder)]) == 0
    assert "summary.xlsx: identical byte for byte to the rerun" in capsys.readouterr().out


def test_a_local_cluster_writes_the_same_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--workers 2 (a local Dask cluster) and in-process give the same table, byte for byte;
    the chunk store is removed once every chunk is done, so the same command runs again."""
    pytest.importorskip("distributed")
    table = small_table(
        tmp_path, "A,Alpha,4000,10000\nB,Beta,8000,20000\nC,Gamma,2000,5000\nD,Delta,6000,9000\n"
    )
    here, there = tmp_path / "here", tmp_path / "there"
    base = ["batch", str(TEMPLATE), str(table), "--draws", "300"]
    assert main([*base, "-o", str(here)]) == 0
    assert main([*base, "-o", str(there), "--workers", "2"]) == 0
    assert (here / "areas.csv").read_bytes() == (there / "areas.csv").read_bytes()
    assert not (here / "chunks").exists() and not (there / "chunks").exists()
    assert main([*base, "-o", str(here)]) == 0
    # an auditor reruns the cluster's run in one process and gets every file back
    capsys.readouterr()
    assert main(["verify", str(there)]) == 0
    out = capsys.readouterr().out
    assert "all " in out and "summary.xlsx: identical byte for byte to the rerun" in out


def test_a_row_with_several_problems_is_one_row_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = small_table(tmp_path, "A,Alpha,4000,10000\nB,Beta,,\n")
    folder = tmp_path / "out"
    assert main(["batch", str(TEMPLATE), str(table), "-o", str(folder)]) == 6
    captured = capsys.readouterr()
    assert "1 row could not be evaluated and is left out" in captured.out
    assert "cba: 1 row could not be evaluated" in captured.err
    assert "column households" in captured.err and "column population" in captured.err


def test_an_attribute_without_a_column_is_warned_of_and_strict_refuses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "areas.csv"
    table.write_text("area_id,population\nA,10000\n", encoding="utf-8")
    folder = tmp_path / "out"
    assert main(["batch", str(TEMPLATE), str(table), "-o", str(folder)]) == 0
    err = capsys.readouterr().err
    assert "warning: " in err and "no column for the template's attributes" in err
    assert "households (4,000)" in err
    strict = tmp_path / "strict"
    assert main(["batch", str(TEMPLATE), str(table), "-o", str(strict), "--strict"]) == 2
    assert "(--strict: nothing was written)" in capsys.readouterr().err
    assert not strict.exists()


def test_a_seed_without_draws_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = small_table(tmp_path, "A,Alpha,4000,10000\n")
    assert main(["batch", str(TEMPLATE), str(table), "-o", str(tmp_path / "o"), "--seed", "4"]) == 2
    assert "give --draws N too" in capsys.readouterr().err


def test_an_empty_or_missing_table_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "out"
    empty = small_table(tmp_path, "")
    assert main(["batch", str(TEMPLATE), str(empty), "-o", str(folder)]) == 2
    assert "has no areas" in capsys.readouterr().err
    assert main(["batch", str(TEMPLATE), str(tmp_path / "nope.csv"), "-o", str(folder)]) == 2
    assert "nope.csv" in capsys.readouterr().err
    assert not folder.exists()


def test_area_workbooks_left_from_an_earlier_run_are_not_kept_silently(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "out"
    two = small_table(tmp_path, "A,Alpha,4000,10000\nB,Beta,3000,9000\n")
    assert main(["batch", str(TEMPLATE), str(two), "-o", str(folder), "--workbooks"]) == 0
    one = tmp_path / "one.csv"
    one.write_text("area_id,name,households,population\nA,Alpha,4100,10000\n", encoding="utf-8")
    before = (folder / "areas.csv").read_bytes()
    assert main(["batch", str(TEMPLATE), str(one), "-o", str(folder)]) == 2
    assert "2 area workbooks from an earlier run" in " ".join(capsys.readouterr().err.split())
    assert (folder / "areas.csv").read_bytes() == before  # nothing was written
    assert main(["batch", str(TEMPLATE), str(one), "-o", str(folder), "--workbooks"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "1 area workbook from an earlier run that this run would not rewrite (B.xlsx)" in err
    assert (
        main(["batch", str(TEMPLATE), str(one), "-o", str(folder), "--workbooks", "--force"]) == 0
    )
    assert sorted(p.name for p in (folder / "workbooks").iterdir()) == ["A.xlsx"]


def test_each_area_workbook_is_titled_with_its_area(tmp_path: Path) -> None:
    import openpyxl

    table = small_table(tmp_path, "A,Alpha,4000,10000\n")
    folder = tmp_path / "out"
    assert main(["batch", str(TEMPLATE), str(table), "-o", str(folder), "--workbooks"]) == 0
    book = openpyxl.load_workbook(folder / "workbooks" / "A.xlsx")
    assert str(book["Summary"]["A1"].value).endswith(": Alpha (A)")
    banner = str(book["Summary"]["A3"].value)
    assert banner.startswith("VARIANT") and "999999" not in banner and "000000" not in banner
