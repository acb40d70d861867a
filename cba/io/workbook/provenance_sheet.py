"""The Provenance sheet and the matching custom document properties."""

from __future__ import annotations

from typing import Any

from openpyxl.packaging.custom import StringProperty
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from cba.io.workbook.cells import SheetCells

TITLE = "Provenance"
PREFIX = "cba_"
"""Custom document properties are named cba_<key>."""


def flatten(provenance: dict[str, Any]) -> dict[str, str]:
    """Provenance as flat text key -> value (libraries become library_<name>)."""
    flat: dict[str, str] = {}
    for key, value in provenance.items():
        if isinstance(value, dict):
            for inner, inner_value in value.items():
                flat[f"{key}_{inner}"] = "" if inner_value is None else str(inner_value)
        else:
            flat[key] = "" if value is None else str(value)
    return flat


def write_provenance(
    sheet: Worksheet, cells: SheetCells, workbook: Workbook, provenance: dict[str, Any]
) -> None:
    """Key/value rows, and the same as custom document properties."""
    c = cells
    c.text(1, 1, "Provenance", "cba title")
    c.text(
        2, 1, "Rerun with `cba verify WORKBOOK` to recompute and compare every figure.", "cba note"
    )
    c.text(4, 1, "Item", "cba header")
    c.text(4, 2, "Value", "cba header")
    row = 4
    for key, value in flatten(provenance).items():
        row += 1
        c.text(row, 1, key)
        c.text(row, 2, value)
        workbook.custom_doc_props.append(  # type: ignore[attr-defined]  # missing from types-openpyxl
            StringProperty(name=PREFIX + key, value=value or "-")
        )
    sheet.column_dimensions["A"].width = 36
    sheet.column_dimensions["B"].width = 90
