"""Workbook names for the input cells, so a reader (and a formula) can address an input by
the scenario's parameter path, e.g. ``options_resident_patrols_costs_coordinator_optimism_bias``
for ``options.resident-patrols.costs.coordinator.optimism_bias`` (docs/workbook.md, "Names").

A name is defined for each parameter path whose input cells form one unbroken run along a row
or a column of one sheet (a cost line's amount per year, the discount rates of a schedule, a
unit value, a community input's value per year, a Benefit chain fraction), and for a cost
line given as a series, the series as a whole. The Cash flows sheet also names each band of a
discount schedule (``discount_rate_band_1``, ...). A name here holds letters, digits and
``_`` only (a name both Excel and LibreOffice take): every other character of the path becomes
``_``. A name that would clash with one already defined, or that is longer than Excel's 255
characters, is left out.
"""

from __future__ import annotations

import re

from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.workbook import Workbook

from cba.io.workbook.cells import FormulaLedger, ref

MAX_NAME = 255
"""Longest name Excel takes [characters]."""


def excel_name(path: str) -> str:
    """A parameter path as a spreadsheet name: characters other than letters, digits and
    ``_`` become ``_``."""
    return re.sub(r"[^A-Za-z0-9_]", "_", path)


def define_range_name(
    workbook: Workbook, name: str, sheet: str, cells: list[tuple[int, int]]
) -> bool:
    """Name the (row, column) ``cells`` of ``sheet`` when they form one run along a row or a
    column; False (nothing defined) when they do not, or the name is taken or too long."""
    if not cells or name in workbook.defined_names or len(name) > MAX_NAME:
        return False
    rows = sorted({r for r, _ in cells})
    columns = sorted({c for _, c in cells})
    one_run = len(set(cells)) == len(cells) and (
        (len(rows) == 1 and columns[-1] - columns[0] + 1 == len(cells))
        or (len(columns) == 1 and rows[-1] - rows[0] + 1 == len(cells))
    )
    if not one_run:
        return False
    first = ref(columns[0], rows[0], absolute_row=True, absolute_column=True)
    last = ref(columns[-1], rows[-1], absolute_row=True, absolute_column=True)
    area = first if first == last else f"{first}:{last}"
    workbook.defined_names[name] = DefinedName(name, attr_text=f"{quote_sheetname(sheet)}!{area}")
    return True


def name_input_cells(workbook: Workbook, ledger: FormulaLedger) -> dict[str, str]:
    """Define a name for each parameter path held by input cells, and for a cost line's
    whole series (``..._series`` over its years' cells), in path order so the workbook's bytes
    do not depend on the order the sheets were written; return name -> path."""
    places: dict[str, dict[str, list[tuple[int, int]]]] = {}
    for sheet, inputs in ledger.inputs.items():
        for coordinate, cell in inputs.items():
            letters, row = coordinate_from_string(coordinate)
            place = (row, column_index_from_string(letters))
            paths = [cell.path]
            head, _, last = cell.path.rpartition(".")
            if head.endswith(".series") and last.isdigit():
                paths.append(head)  # the series as a whole
            for path in paths:
                places.setdefault(path, {}).setdefault(sheet, []).append(place)
    named: dict[str, str] = {}
    for path in sorted(places):
        by_sheet = places[path]
        if len(by_sheet) != 1:
            continue
        ((sheet, cells),) = by_sheet.items()
        name = excel_name(path)
        if define_range_name(workbook, name, sheet, cells):
            named[name] = path
    return named
