"""The summary workbook of `cba batch`: live totals, counts and percentiles that LibreOffice
recalculates to the engine's figures, the table in ranking order with the engine's figures,
BCR bands counting the table, charts clear of every cell, the rows not evaluated listed, text
from the area table kept as text, and the same bytes on a rebuild."""

from __future__ import annotations

import dataclasses
import math
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

import cba
from cba.batch import batch
from cba.batch_results import AreaOptionResult, BatchResults, OptionAcrossAreas
from cba.io.area_table import read_area_table
from cba.io.provenance import scenario_provenance
from cba.io.workbook import areas_sheet
from cba.io.workbook.areas_workbook import build_areas_workbook
from cba.io.workbook.cells import FormulaLedger, SheetCells
from cba.io.workbook.layout import column_width
from cba.io.workbook.printing import _row_cm, chart_anchor, column_cm
from cba.io.workbook.template import DEFAULT_TEMPLATE, load_template
from tests import libreoffice as lo

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "scenarios" / "batch" / "neighbourhood_patrols.yaml"
TABLE = ROOT / "scenarios" / "areas" / "neighbourhoods_300.csv"
HOSTILE = '=HYPERLINK("https://example.com","x")'


@pytest.fixture(scope="module")
def template() -> cba.Scenario:
    return cba.load_scenario(TEMPLATE)


@pytest.fixture(scope="module")
def provenance() -> dict[str, Any]:
    found = scenario_provenance(TEMPLATE)
    found["command"] = "cba batch (test)"
    return found


@pytest.fixture(scope="module")
def with_draws(template: cba.Scenario) -> BatchResults:
    return batch(template, read_area_table(TABLE), draws=200)


@pytest.fixture(scope="module")
def central(template: cba.Scenario) -> BatchResults:
    return batch(template, read_area_table(TABLE))


@pytest.fixture(scope="module")
def with_problems(template: cba.Scenario, tmp_path_factory: pytest.TempPathFactory) -> BatchResults:
    """A table with bad rows (one whose id is formula-looking text) and without most of the
    template's attributes, so that they keep the template's values."""
    path = tmp_path_factory.mktemp("areas") / "bad.csv"
    path.write_text(
        "area_id,name,households,population\n"
        "A,Alpha,4000,10000\n"
        ",No id,4000,10000\n"  # line 3
        f'"{HOSTILE.replace(chr(34), chr(34) * 2)}",Hostile,lots,10000\n'  # line 4
        "B,Beta,-5,10000\n"  # line 5
        "C,Gamma,3000,8000\n",
        encoding="utf-8",
    )
    return batch(template, read_area_table(path))


def _build(results: BatchResults, provenance: dict[str, Any]) -> tuple[bytes, FormulaLedger]:
    return build_areas_workbook(results, provenance, results.template_title)


@pytest.fixture(scope="module")
def books(
    with_draws: BatchResults,
    central: BatchResults,
    with_problems: BatchResults,
    provenance: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[Path, FormulaLedger, BatchResults]]:
    folder = tmp_path_factory.mktemp("books")
    out = {}
    for name, results in (
        ("draws", with_draws),
        ("central", central),
        ("problems", with_problems),
    ):
        data, ledger = _build(results, provenance)
        path = folder / f"areas_{name}.xlsx"
        path.write_bytes(data)
        out[name] = (path, ledger, results)
    return out


def _find(sheet: Worksheet, text: str, after: int = 0) -> int:
    """The first row after ``after`` whose column A says ``text``."""
    for (cell,) in sheet.iter_rows(min_row=after + 1, min_col=1, max_col=1):
        if cell.value == text:
            return int(cell.row)
    raise AssertionError(f"{text!r} not in column A")


def _table(sheet: Worksheet) -> tuple[int, list[Any], list[list[Any]]]:
    """The header row, headers and rows of the area table (cached values)."""
    header = _find(sheet, "Rank")
    headers: list[Any] = [c.value for c in sheet[header] if c.value is not None]
    rows: list[list[Any]] = [
        [c.value for c in row[: len(headers)]]
        for row in sheet.iter_rows(min_row=header + 1)
        if row[0].value is not None
    ]
    return header, headers, rows


def _summary_value(sheet: Worksheet, label: str, column: int = 5) -> Any:
    return sheet.cell(_find(sheet, label), column).value


@pytest.mark.parametrize("name", ["draws", "central", "problems"])
def test_formulas_cache_the_engines_values(
    books: dict[str, tuple[Path, FormulaLedger, BatchResults]], name: str
) -> None:
    path, ledger, _ = books[name]
    formulas = lo.formula_cells(path)
    recorded = {(s, ref) for s, cells in ledger.expected.items() for ref in cells}
    assert set(formulas) == recorded  # every formula has its expected value, and only those
    cached = lo.values(path)
    for (sheet, ref), expected in ((k, ledger.expected[k[0]][k[1]]) for k in sorted(recorded)):
        if isinstance(expected, str):
            assert cached[(sheet, ref)] == expected, f"{sheet}!{ref}"
        else:
            assert cached[(sheet, ref)] == pytest.approx(expected, rel=1e-15), f"{sheet}!{ref}"


def test_recalculates_to_engine_values(
    books: dict[str, tuple[Path, FormulaLedger, BatchResults]], tmp_path: Path
) -> None:
    lo.require_libreoffice()
    paths = [path for path, _, _ in books.values()]
    compared = lo.recalculate_and_compare(paths, tmp_path / "out")
    for path in paths:
        assert compared[path] == [], f"{path.name}:\n" + "\n".join(compared[path][:20])


def test_sheets_finding_and_print_setup(
    books: dict[str, tuple[Path, FormulaLedger, BatchResults]],
) -> None:
    path, _, results = books["draws"]
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Cover", areas_sheet.TITLE, "Provenance"]
    cover = [c.value for row in workbook["Cover"].iter_rows() for c in row if c.value]
    assert areas_sheet.finding(results) in cover
    assert "in 3 of 300 areas" in areas_sheet.finding(results)
    sheet = workbook[areas_sheet.TITLE]
    header, _, _ = _table(sheet)
    assert sheet.print_title_rows == f"${header}:${header}"  # the header on every page
    setup = sheet.page_setup
    assert setup.orientation == "landscape" and str(setup.paperSize) == sheet.PAPERSIZE_A4
    assert setup.fitToWidth == 1  # the table's width fits a page: no page runs across
    assert sheet.print_title_cols is None
    breaks = [b.id for b in sheet.row_breaks.brk]
    assert breaks == sorted(set(breaks)) and header - 2 in breaks  # the table starts a page
    provenance = [c.value for row in workbook["Provenance"].iter_rows() for c in row]
    assert "cba batch (test)" in provenance


@pytest.mark.parametrize("name", ["draws", "central"])
def test_table_is_each_area_in_ranking_order_with_the_engines_figures(
    books: dict[str, tuple[Path, FormulaLedger, BatchResults]], name: str
) -> None:
    path, _, results = books[name]
    sheet = openpyxl.load_workbook(path, data_only=True)[areas_sheet.TITLE]
    _, headers, rows = _table(sheet)
    assert len(headers) == (15 if results.draws else 11)
    assert ("P(NPSV > 0)" in headers) == bool(results.draws)
    assert len(rows) == results.evaluated * len(results.summaries) == 300
    by_key = {(r.option_id, r.area_id): r for r in results.results}
    summary = results.summaries[0]
    for rank, (row, area) in enumerate(zip(rows, summary.ranking, strict=True), start=1):
        found = by_key[(summary.option_id, area)]
        assert row[:4] == [rank, area, found.name, summary.option_id]
        # openpyxl writes a number to 15 significant digits
        assert row[4:9] == pytest.approx(
            [
                found.npsv,
                found.npsv_excluding_community_inputs,
                found.pv_benefits,
                found.pv_public_costs,
                found.pv_community_inputs,
            ],
            rel=1e-14,
        )
        assert row[9] == pytest.approx(found.bcr_public, rel=1e-14)
        assert row[10] == found.value_for_money
        if results.draws:
            assert row[11:15] == pytest.approx(
                [found.npsv_mean, found.npsv_p5, found.npsv_p95, found.probability_npsv_positive],
                rel=1e-14,
            )
    npsv = [row[4] for row in rows]
    assert npsv == sorted(npsv, reverse=True)


@pytest.mark.parametrize("name", ["draws", "central"])
def test_totals_are_live_sums_of_the_table(
    books: dict[str, tuple[Path, FormulaLedger, BatchResults]], name: str
) -> None:
    path, _, results = books[name]
    formulas = openpyxl.load_workbook(path)[areas_sheet.TITLE]
    cached = openpyxl.load_workbook(path, data_only=True)[areas_sheet.TITLE]
    _, _, rows = _table(cached)
    s: OptionAcrossAreas = results.summaries[0]
    for label, column, total in (
        ("Total NPSV, community inputs valued [GBP, PV]", 4, s.total_npsv),
        (
            "Total NPSV excluding community inputs [GBP, PV]",
            5,
            s.total_npsv_excluding_community_inputs,
        ),
        ("Total PV benefits [GBP]", 6, s.total_pv_benefits),
        ("Total PV public costs [GBP]", 7, s.total_pv_public_costs),
        ("Total PV community inputs [GBP]", 8, s.total_pv_community_inputs),
    ):
        assert str(_summary_value(formulas, label)).startswith("=SUM($")
        assert _summary_value(cached, label) == pytest.approx(total, rel=1e-12)
        assert math.fsum(row[column] for row in rows) == pytest.approx(total, rel=1e-12)
    assert _summary_value(cached, "Areas evaluated") == s.areas == len(rows)
    paying = _summary_value(cached, "Areas where it pays (NPSV > 0)")
    assert paying == len(s.areas_paying) == sum(row[4] > 0 for row in rows)
    assert _summary_value(cached, "Areas where it does not (NPSV ≤ 0)") == len(s.areas_not_paying)
    paying_without = _summary_value(cached, "Areas where it pays excluding community inputs")
    assert paying_without == len(s.areas_paying_excluding_community_inputs)
    assert paying_without == sum(row[5] > 0 for row in rows)
    bcr = _summary_value(cached, "BCR (public) of the totals [ratio]")
    assert bcr == pytest.approx(s.bcr_public_of_totals, rel=1e-12)
    minimum = _find(cached, "NPSV across the areas [GBP, PV]: minimum")
    for k, expected in enumerate(s.npsv_percentiles):
        assert cached.cell(minimum + k, 5).value == pytest.approx(expected, rel=1e-12)
    assert cached.cell(minimum, 5).value == min(row[4] for row in rows)
    assert str(formulas.cell(minimum + 1, 5).value).startswith("=PERCENTILE(")
    low = _find(cached, "BCR (public) across the areas [ratio]: minimum")
    assert s.bcr_percentiles is not None
    for k, expected in enumerate(s.bcr_percentiles):
        assert cached.cell(low + k, 5).value == pytest.approx(expected, rel=1e-12)
    if results.draws:
        mean = _summary_value(cached, "Mean over the areas of P(NPSV > 0) [probability]")
        assert mean == pytest.approx(s.mean_probability_npsv_positive, rel=1e-12)
    else:
        with pytest.raises(AssertionError):
            _find(cached, "Mean over the areas of P(NPSV > 0) [probability]")


def test_bcr_bands_count_the_tables_bcrs(
    books: dict[str, tuple[Path, FormulaLedger, BatchResults]],
) -> None:
    path, _, results = books["draws"]
    formulas = openpyxl.load_workbook(path)[areas_sheet.TITLE]
    cached = openpyxl.load_workbook(path, data_only=True)[areas_sheet.TITLE]
    bands = areas_sheet.bcr_bands(results)
    assert bands[0].lower is None and bands[-1].upper is None
    assert bands[-1].label == "≥ 3.00"  # the largest BCR, 2.85, rounded up to 0.5
    bcrs = [r.bcr_public for r in results.results if r.bcr_public is not None]
    first = _find(cached, bands[0].label)
    counts: list[Any] = []
    for k, band in enumerate(bands):
        assert cached.cell(first + k, 1).value == band.label
        assert str(formulas.cell(first + k, 5).value).startswith("=COUNTIFS($J$")
        count = cached.cell(first + k, 5).value
        assert count == sum(band.holds(b) for b in bcrs)
        counts.append(count)
    assert sum(counts) == len(bcrs) == 300


def test_charts_cover_no_cell(with_draws: BatchResults, central: BatchResults) -> None:
    for results in (with_draws, central):
        workbook = load_template(DEFAULT_TEMPLATE)
        sheet: Any = workbook.create_sheet(areas_sheet.TITLE)
        header = areas_sheet.write_areas(sheet, SheetCells(sheet, FormulaLedger()), results)
        charts = sheet._charts
        assert [c.title.tx.rich.p[0].r[0].t for c in charts] == [
            "NPSV by area",
            "Areas per band of BCR (public)",
        ]
        filled = {(r, c) for (r, c), cell in sheet._cells.items() if cell.value is not None}
        for chart in charts:
            anchor = chart_anchor(chart)
            assert anchor is not None
            rows, columns = _covered(sheet, anchor, float(chart.width), float(chart.height))
            assert max(rows) < header, "a chart over the table"
            over = {(r, c) for r in rows for c in columns} & filled
            assert not over, f"a chart over cells {sorted(over)[:5]}"


def _covered(
    sheet: Worksheet, anchor: tuple[int, int], width: float, height: float
) -> tuple[list[int], list[int]]:
    """The 1-based rows and columns a drawing anchored at ``anchor`` (0-based) covers."""
    rows, used = [], 0.0
    row = anchor[0] + 1
    while used < height:
        rows.append(row)
        used += _row_cm(sheet, row)
        row += 1
    columns, used = [], 0.0
    column = anchor[1] + 1
    while used < width:
        columns.append(column)
        used += column_cm(column_width(sheet, column))
        column += 1
    return rows, columns


def test_problems_are_listed_and_attributes_kept_are_named(
    books: dict[str, tuple[Path, FormulaLedger, BatchResults]],
) -> None:
    path, ledger, results = books["problems"]
    assert [a.area_id for a in results.inputs] == ["A", "C"]
    assert len(results.problems) == 3
    sheet = openpyxl.load_workbook(path)[areas_sheet.TITLE]
    heading = _find(
        sheet,
        "Rows of the area table not evaluated (3); their areas are left out of every figure "
        "on this sheet",
    )
    assert [c.value for c in sheet[heading + 1]][:4] == ["Row", "Area id", "Column", "Problem"]
    for k, problem in enumerate(results.problems):
        row = [c.value for c in sheet[heading + 2 + k]][:4]
        assert row == [
            problem.row,
            problem.area_id,
            problem.column or "(the whole row)",
            problem.message,
        ]
    hostile = sheet.cell(heading + 3, 2)
    assert hostile.value == HOSTILE and hostile.data_type == "s" and hostile.quotePrefix
    assert all(HOSTILE not in str(v) for cells in ledger.expected.values() for v in cells)
    kept = results.attributes_from_template
    assert "area_cost_index" in kept
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    note = next(t for t in texts if t.startswith("• The attributes kept at the template's value"))
    assert "area_cost_index = 1" in note and all(name in note for name in kept)


def test_text_from_the_table_and_template_stays_text(
    with_draws: BatchResults, provenance: dict[str, Any], tmp_path: Path
) -> None:
    renamed = tuple(
        dataclasses.replace(r, name=HOSTILE) if i % 2 == 0 else r
        for i, r in enumerate(with_draws.results)
    )
    changed = dataclasses.replace(
        with_draws, results=renamed, template_title="+SUM(1,2)", table="@evil.csv"
    )
    data, ledger = build_areas_workbook(changed, provenance, "-2+3")
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(data)
    workbook = openpyxl.load_workbook(path)
    found = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and (
                    HOSTILE in cell.value or cell.value.startswith(("+SUM", "-2+3", "@"))
                ):
                    assert cell.data_type == "s", f"{sheet.title}!{cell.coordinate}"
                    found += 1
    assert found >= 150 + 2  # half the table's names, the sheet's title and the cover's
    assert all(
        HOSTILE not in str(v) and "SUM(1,2)" not in str(v)
        for cells in ledger.expected.values()
        for v in cells.values()
    )


@pytest.mark.parametrize("name", ["draws", "central"])
def test_a_rebuild_gives_the_same_bytes(
    books: dict[str, tuple[Path, FormulaLedger, BatchResults]],
    provenance: dict[str, Any],
    name: str,
) -> None:
    path, _, results = books[name]
    again, _ = _build(results, provenance)
    assert again == path.read_bytes()


def test_a_table_with_no_area_evaluated_still_gives_a_workbook(
    template: cba.Scenario, provenance: dict[str, Any], tmp_path: Path
) -> None:
    table = tmp_path / "none.csv"
    table.write_text("area_id,households\nA,lots\n", encoding="utf-8")
    results = batch(template, read_area_table(table))
    assert results.evaluated == 0 and results.problems
    data, _ = _build(results, provenance)
    path = tmp_path / "none.xlsx"
    path.write_bytes(data)
    sheet = openpyxl.load_workbook(path)[areas_sheet.TITLE]
    assert "No area could be evaluated." in areas_sheet.finding(results)
    assert _find(
        sheet,
        "Rows of the area table not evaluated (1); their areas are left out "
        "of every figure on this sheet",
    )
    assert not any(n.startswith("xl/charts/") for n in zipfile.ZipFile(path).namelist())


def test_bands_reach_the_largest_bcr_within_limits() -> None:
    def bands_for(*bcrs: float | None) -> list[areas_sheet.Band]:
        results = [dataclasses.replace(_ONE_RESULT, bcr_public=b) for b in bcrs]
        return areas_sheet.bcr_bands(_results_with(results))

    assert bands_for(0.4, 1.3)[-1].label == "≥ 1.50"
    assert bands_for(0.4, 1.5)[-1].label == "≥ 1.50"  # exactly on an edge: the last band
    assert bands_for(-2.0, 0.1)[-1].label == "≥ 1.00"  # never below 1
    assert bands_for(12.0)[-1].label == "≥ 5.00"  # never beyond 5
    assert bands_for(None)[0].label == "< 0.25"
    every = bands_for(0.4, 2.2)
    for value in (-1.0, 0.0, 0.25, 0.3, 1.0, 2.49, 2.5, 9.0):
        assert sum(band.holds(value) for band in every) == 1  # the bands tile the line


_ONE_RESULT = AreaOptionResult(
    area_id="A",
    name="A",
    option_id="o",
    npsv=0.0,
    npsv_excluding_community_inputs=0.0,
    pv_benefits=0.0,
    pv_public_costs=0.0,
    pv_non_public_costs=0.0,
    pv_community_inputs=0.0,
    pv_marginal_excess_tax_burden=0.0,
    bcr_public=None,
    bcr_public_and_community=None,
    value_for_money=None,
)


def _results_with(results: list[AreaOptionResult]) -> BatchResults:
    return BatchResults(
        template_id="t",
        template_title="t",
        price_base_year=2024,
        counterfactual="c",
        options=("o",),
        table="t.csv",
        rows=len(results),
        inputs=(),
        results=tuple(results),
        summaries=(),
        problems=(),
        attributes_from_template={},
        draws=0,
        seed=None,
        conventions=(),
    )
