"""The Portfolio workbook of `cba allocate`: written beside the terminal report, live totals
that LibreOffice recalculates to the engine's figures, the chosen schemes, limits and ranking
on the sheet, budget text kept as text, no overwrite without --force, the same bytes on a
rerun."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import openpyxl
import pytest

from cba.allocate import allocate_budget
from cba.allocation_results import Allocation
from cba.cli import main
from cba.io.budget_file import LoadedBudget, load_budget
from cba.io.outputs import is_cba_portfolio_workbook
from cba.io.workbook import portfolio_sheet
from cba.io.workbook.portfolio_workbook import budget_provenance, build_portfolio_workbook
from tests import libreoffice as lo

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "scenarios" / "budgets" / "ladywood_neighbourhood_budget.yaml"


@pytest.fixture(scope="module")
def loaded() -> LoadedBudget:
    return load_budget(EXAMPLE)


@pytest.fixture(scope="module")
def allocation(loaded: LoadedBudget) -> Allocation:
    return allocate_budget(loaded)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("portfolio") / "p.xlsx"
    assert main(["allocate", str(EXAMPLE), "-o", str(path)]) == 0
    return path


def _find(sheet: openpyxl.worksheet.worksheet.Worksheet, text: str) -> int:
    """The row whose column A says ``text``."""
    for (cell,) in sheet.iter_rows(min_col=1, max_col=1):
        if cell.value == text:
            return int(cell.row)
    raise AssertionError(f"{text!r} not in column A")


def test_recalculates_to_engine_values(book: Path, tmp_path: Path) -> None:
    lo.require_libreoffice()
    compared = lo.recalculate_and_compare([book], tmp_path / "out")
    assert compared[book] == [], "\n".join(compared[book][:20])


def test_sheets_and_mark(book: Path) -> None:
    workbook = openpyxl.load_workbook(book)
    assert workbook.sheetnames == ["Cover", portfolio_sheet.TITLE, "Provenance"]
    assert is_cba_portfolio_workbook(book)
    setup = workbook[portfolio_sheet.TITLE].page_setup
    assert setup.orientation == "landscape"
    assert str(setup.paperSize) == workbook[portfolio_sheet.TITLE].PAPERSIZE_A4


def test_chosen_schemes_limits_and_ranking(book: Path, allocation: Allocation) -> None:
    formulas = openpyxl.load_workbook(book)[portfolio_sheet.TITLE]
    cached = openpyxl.load_workbook(book, data_only=True)[portfolio_sheet.TITLE]
    best = allocation.optimal
    funded = {s.name: s for s in best.schemes}
    befriending = funded["Volunteer befriending (volunteers)"]
    row = _find(cached, befriending.name)  # first: the chosen-schemes table
    assert cached.cell(row, 2).value == f"{befriending.scale:,.4g} volunteers"
    assert cached.cell(row, 3).value == pytest.approx(befriending.npsv)
    # the portfolio's NPSV is the sum of the table, schemes and interactions
    total = _find(cached, "Portfolio")
    assert str(formulas.cell(total, 3).value).startswith("=SUM(C")
    assert cached.cell(total, 3).value == pytest.approx(best.npsv)
    assert cached.cell(total, 5).value == pytest.approx(best.spent)
    # limits: unused = limit - used, live; binding from it
    for limit in allocation.limits:
        r = _find(cached, limit.label)
        assert formulas.cell(r, 4).value == f"=B{r}-C{r}"
        assert cached.cell(r, 4).value == pytest.approx(limit.unused, abs=1e-6)
        assert cached.cell(r, 5).value == ("yes" if limit.binding else "no")
    assert cached.cell(_find(cached, "envelope, total"), 5).value == "yes"
    # the ranking beside the optimum, and what it leaves on the table
    left = _find(cached, "NPSV left on the table by the ranking")
    assert str(formulas.cell(left, 7).value).startswith("=E")
    assert cached.cell(left, 7).value == pytest.approx(allocation.left_on_table)
    assert allocation.left_on_table > 1000  # the example's point: the ranking loses NPSV
    # patrols: at its proposed 40 volunteers in the ranking, at another scale in the optimum
    patrols = allocation.ranking.schemes[0]
    chosen = best.schemes[0]
    assert patrols.funded and patrols.scale != chosen.scale
    section = _find(cached, "Funding in order of BCR while it fits, beside the optimum")
    ranked = next(
        r
        for (c,) in cached.iter_rows(min_col=1, max_col=1)
        if c.value == patrols.name
        for r in [c.row]
        if r > section
    )
    optimum = "no" if not chosen.funded else f"{chosen.scale:,.4g} volunteers"
    assert cached.cell(ranked, 3).value == optimum
    assert cached.cell(ranked, 4).value == f"{patrols.scale:,.4g} volunteers"
    assert cached.cell(ranked, 6).value == pytest.approx(patrols.npsv)
    assert len(formulas._charts) == 1  # the two portfolios' NPSV by scheme


def test_agency_contributions_by_year_match_the_allocation(
    loaded: LoadedBudget, allocation: Allocation, book: Path
) -> None:
    best = allocation.optimal
    paid = {a.agency_id: a for a in best.agencies}
    assert allocation.period is not None
    first, last = allocation.period

    def in_period(agency_id: str) -> float:
        years = paid[agency_id].by_year if agency_id in paid else {}
        return sum(v for y, v in years.items() if first <= y <= last)

    for agency in best.agencies:  # contributions count the budget period's years
        assert in_period(agency.agency_id) == pytest.approx(agency.contribution, abs=0.01)
    years = {y for s in best.schemes for y in s.costs_by_year}
    for year in years:
        spend = sum(s.costs_by_year.get(year, 0.0) for s in best.schemes)
        assert sum(a.by_year.get(year, 0.0) for a in paid.values()) == pytest.approx(spend)
    for limit in allocation.limits:
        if limit.agency_id is not None and limit.year is not None:
            assert paid[limit.agency_id].by_year[limit.year] == pytest.approx(limit.used)
    cached = openpyxl.load_workbook(book, data_only=True)[portfolio_sheet.TITLE]
    total = _find(cached, f"Total, {first}-{last}")
    heads = [cached.cell(_find(cached, "Year"), c).value for c in range(2, 2 + len(best.agencies))]
    for column, agency_id in enumerate(heads, start=2):
        assert cached.cell(total, column).value == pytest.approx(in_period(agency_id))


def test_budget_and_scheme_text_never_become_formulas(
    loaded: LoadedBudget, allocation: Allocation, tmp_path: Path
) -> None:
    hostile = '=HYPERLINK("https://example.com","x")'
    schemes = tuple(
        dataclasses.replace(s, name=hostile if i == 0 else s.name)
        for i, s in enumerate(allocation.optimal.schemes)
    )
    changed = dataclasses.replace(
        allocation, optimal=dataclasses.replace(allocation.optimal, schemes=schemes)
    )
    data, ledger = build_portfolio_workbook(
        changed, budget_provenance(loaded, "cba allocate test"), "+SUM(1,2)"
    )
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(data)
    workbook = openpyxl.load_workbook(path)
    found = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and (hostile in cell.value or "+SUM" in cell.value):
                    assert cell.data_type == "s", f"{sheet.title}!{cell.coordinate}"
                    found += 1
    assert found >= 3  # two tables, the title and the cover
    assert all(hostile not in str(f) for cells in ledger.expected.values() for f in cells)


def test_no_overwrite_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mine.xlsx"
    path.write_bytes(b"somebody else's file")
    assert main(["allocate", str(EXAMPLE), "-o", str(path)]) == 2
    assert "exists and was not written by cba" in capsys.readouterr().err
    assert path.read_bytes() == b"somebody else's file"
    assert main(["allocate", str(EXAMPLE), "-o", str(path), "--force"]) == 0
    assert is_cba_portfolio_workbook(path)


def test_rerun_gives_the_same_bytes(book: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.xlsx"
    assert main(["allocate", str(EXAMPLE), "-o", str(again)]) == 0
    assert again.read_bytes() == book.read_bytes()
    # a workbook cba wrote is replaced without --force, as cba run does
    assert main(["allocate", str(EXAMPLE), "-o", str(again)]) == 0
    assert again.read_bytes() == book.read_bytes()


def test_default_path_and_json_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    monkeypatch.chdir(tmp_path)
    assert main(["allocate", str(EXAMPLE), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["budget_id"] == "ladywood_neighbourhood_budget"
    assert "workbook:" in captured.err
    assert (tmp_path / "out" / "ladywood_neighbourhood_budget.xlsx").is_file()


def test_the_uncertainty_section_gives_the_engines_probabilities(
    allocation: Allocation, book: Path
) -> None:
    found = allocation.uncertainty
    assert found is not None  # the example's patrols scenario declares uncertainty
    cached = openpyxl.load_workbook(book, data_only=True)[portfolio_sheet.TITLE]
    heading = _find(
        cached, f"Under uncertainty: the optimum re-solved at each of {found.draws:,} draws"
    )
    names = {s.scheme_id: s.name for s in allocation.optimal.schemes}
    for k, scheme in enumerate(found.schemes):
        r = heading + 2 + k
        assert cached.cell(r, 1).value == names[scheme.scheme_id]
        assert cached.cell(r, 3).value == pytest.approx(scheme.funded_probability)
    r = _find(cached, "P(the central portfolio is still optimal)")
    assert cached.cell(r, 3).value == pytest.approx(found.central_optimal_probability)
    r = _find(cached, "Optimal portfolio's NPSV, mean [GBP, PV]")
    assert cached.cell(r, 3).value == pytest.approx(found.npsv_mean)
