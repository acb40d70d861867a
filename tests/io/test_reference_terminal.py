"""``cba reference list | show | search`` in the terminal (80 columns, nothing cut) and as JSON;
a name that matches nothing exits 2 with a did-you-mean."""

from __future__ import annotations

import json

import pytest

from cba.cli import main
from cba.reference.library import reference_library


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(autouse=True)
def _eighty_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")


def test_list_names_every_table_with_its_publisher_and_how_it_was_read(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = cli(capsys, "reference", "list")
    assert code == 0
    for shipped in reference_library().tables:
        assert shipped.table.label in out
    assert "read: READ-PRIMARY-COPY" in out
    assert all(len(line) <= 80 for line in out.splitlines())


def test_list_as_json_gives_metadata_and_hashes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "reference", "list", "--json")
    assert code == 0
    tables = {t["table"]: t for t in json.loads(out)["tables"]}
    ucd = tables["gmca_unit_costs@1.4"]
    assert ucd["licence"].startswith("Creative Commons Attribution 4.0")
    assert ucd["sha256"] == reference_library().table("gmca_unit_costs", "1.4").sha256
    assert ucd["fields"]["fiscal"]["unit"] == "GBP"


def test_show_one_entry_in_full(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "reference", "show", "gmca_unit_costs@1.4:cr8_7_1")
    assert code == 0
    assert "fiscal = 683 GBP per incident, 2010-11 prices" in out
    assert "grade G" in out and "Source: Sheet Crime, code CR8.7.1" in out
    assert all(len(line) <= 80 for line in out.splitlines())


def test_show_a_series_table_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "reference", "show", "desnz_carbon_values@2023-11", "--json")
    assert code == 0
    data = json.loads(out)
    (central,) = [e for e in data["entries"] if e["entry"] == "central"]
    per_tonne = central["values"]["per_tonne"]
    assert per_tonne["reference"] == "desnz_carbon_values@2023-11:central.per_tonne"
    assert [2030, 294.5] in per_tonne["value"] and per_tonne["price_year"] == 2022


def test_show_without_a_vintage_shows_the_latest(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "reference", "show", "gdp_deflator_fy")
    assert code == 0 and "gdp_deflator_fy@2026-03" in out


def test_search_finds_entries_and_says_when_nothing_matches(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = cli(capsys, "reference", "search", "residential", "care", "older")
    assert code == 0 and "gmca_unit_costs@1.4:ss7_0" in out
    code, out, _ = cli(capsys, "reference", "search", "zzz", "--json")
    assert code == 0 and json.loads(out)["found"] == []
    code, out, _ = cli(capsys, "reference", "search", "zzz")
    assert "Nothing in the shipped tables matches 'zzz'" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("show", "gmca_unit_cost"), "Did you mean 'gmca_unit_costs'?"),
        (("show", "gmca_unit_costs@1.5"), "Did you mean '1.4'?"),
        (("show", "gmca_unit_costs@1.4:cr8_77"), "Did you mean 'cr8_7'?"),
        (("show",), "takes one table"),
        (("search",), "needs words"),
        (("list", "x"), "takes no words"),
    ],
)
def test_a_name_that_matches_nothing_exits_2_with_a_hint(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, out, err = cli(capsys, "reference", *args)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err
