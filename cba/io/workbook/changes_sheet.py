"""The Changes workbook (``cba diff OLD NEW -o FILE.xlsx``): the changed inputs, each option's
figures old and new, and each change's share of the change in the NPSV, with a waterfall
chart from the old NPSV through every share to the new one (docs/methods.md §16).

The shares are the engine's figures (exact Shapley values over every combination of the
changes, or, with many changes, estimates by sampling orders with their standard errors beside
them), written as values; the running totals behind the chart are formulas over them.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.chart import Reference
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from cba import __version__
from cba.changes import ScenarioDiff
from cba.io.outputs import CHANGES_FORMAT
from cba.io.workbook.cells import FormulaLedger, SheetCells, ref, wrapped_note
from cba.io.workbook.charts import waterfall_chart
from cba.io.workbook.package import ledger_by_member, reproducible_xlsx
from cba.io.workbook.printing import lay_out_for_print
from cba.io.workbook.styles import named_styles

TITLE = "Changes"


def changes_workbook(d: ScenarioDiff, old: str, new: str) -> bytes:
    """The Changes workbook's bytes (reproducible: the same diff gives the same bytes)."""
    workbook = Workbook()
    for named in named_styles():
        workbook.add_named_style(named)
    workbook.properties.creator = "cba"
    workbook.properties.title = "cba diff"
    for name, value in (("cba_changes_format", CHANGES_FORMAT), ("cba_version", __version__)):
        workbook.custom_doc_props.append(  # type: ignore[attr-defined]  # missing from types-openpyxl
            StringProperty(name=name, value=value)
        )
    sheet = workbook.active
    assert sheet is not None
    sheet.title = TITLE
    ledger = FormulaLedger()
    c = SheetCells(sheet, ledger)
    c.text(1, 1, "What changed, and what each change moved", "cba title")
    wrapped_note(c, 2, f"From {old} to {new}. {d.method}.", 8, 120, "cba subtitle")
    row = 4
    c.text(row, 1, "Changed inputs", "cba heading")
    row += 1
    for j, label in enumerate(("Input", "Old", "New", "Unit", "Source changed")):
        c.text(row, 1 + j, label, "cba header")
    for change in d.changes:
        row += 1
        c.text(row, 1, change.path)
        c.value(row, 2, change.old, "cba number")
        c.value(row, 3, change.new, "cba number")
        c.text(row, 4, change.unit)
        c.text(row, 5, "yes" if change.source_changed else "no")
    if d.structural:
        row += 1
        c.text(row, 1, "Other changes (structure, structural inputs, names or sources)")
    for oid in dict.fromkeys(a.option_id for a in d.attributions):
        row += 2
        c.text(row, 1, f"{oid}, against the counterfactual", "cba heading")
        row += 1
        for j, label in enumerate(("Figure", "Old", "New", "Change")):
            c.text(row, 1 + j, label, "cba header")
        for name, label, unit in d.figures:
            a = d.attribution(oid, name)
            style = "cba money" if unit.startswith("GBP") else "cba ratio"
            row += 1
            c.text(row, 1, label)
            c.value(row, 2, a.old, style)
            c.value(row, 3, a.new, style)
            c.value(row, 4, a.change, style)
        row = _waterfall(c, d, oid, row + 2)
    sheet.column_dimensions["A"].width = 70
    for j in range(2, 13):
        sheet.column_dimensions[get_column_letter(j)].width = 14
    lay_out_for_print(sheet, footer_left="cba diff")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return reproducible_xlsx(buffer.getvalue(), ledger_by_member(ledger, workbook.sheetnames))


def _waterfall(c: SheetCells, d: ScenarioDiff, oid: str, row: int) -> int:
    """The NPSV's shares and the table and chart of the waterfall; returns the last row."""
    npsv = d.attribution(oid, "npsv")
    c.text(row, 1, f"What moved the NPSV of {oid}", "cba heading")
    row += 1
    headers = ("Step", "GBP", "From", "To", "base", "adds", "takes", "net", "base<0", "adds<0")
    for j, label in enumerate((*headers, "takes<0"), start=1):
        cell = c.text(row, j, label, "cba header")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    estimated = npsv.standard_error is not None
    if estimated:
        cell = c.text(row, 12, "± s.e.", "cba header")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    errors = dict(
        zip(
            (p for p, _ in npsv.contributions),
            npsv.standard_error or (None,) * len(npsv.contributions),
            strict=True,
        )
    )
    steps: list[tuple[str, float, bool]] = [("Old NPSV", npsv.old or 0.0, True)]
    shares = sorted(
        ((p, s) for p, s in npsv.contributions if s is not None), key=lambda item: -abs(item[1])
    )
    prefix = f"options.{oid}."
    steps += [(player.removeprefix(prefix), share, False) for player, share in shares]
    steps.append(("New NPSV", npsv.new or 0.0, True))
    if estimated:  # each share's standard error, beside it
        for k, (player, _) in enumerate(shares, start=1):
            c.value(row + 1 + k, 12, errors[player], "cba money")
    first = row + 1
    start = 0.0
    for k, (label, value, total) in enumerate(steps):
        r = first + k
        c.text(r, 1, label)
        c.value(r, 2, value, "cba money")
        frm, to = (0.0, value) if total else (start, start + value)
        if total or k == 0:
            c.value(r, 3, frm, "cba money")
        else:
            c.formula(r, 3, ref(4, r - 1), frm, "cba money")
        c.formula(r, 4, ref(2, r) if total else f"{ref(3, r)}+{ref(2, r)}", to, "cba money")
        start = to
        rising = to >= frm
        base = max(min(frm, to), 0.0)
        span = max(max(frm, to), 0.0) - base
        base_below = min(max(frm, to), 0.0)
        span_below = min(min(frm, to), 0.0) - base_below
        series = (
            (0.0, 0.0, 0.0, to, 0.0, 0.0, 0.0)
            if total
            else (
                base,
                span if rising else 0.0,
                0.0 if rising else span,
                0.0,
                base_below,
                span_below if rising else 0.0,
                0.0 if rising else span_below,
            )
        )
        for j, x in enumerate(series, start=5):
            c.value(r, j, x, "cba money")
    last = first + len(steps) - 1
    waterfall_chart(
        c.sheet,
        f"From the old NPSV to the new: {oid} (GBP, present value)",
        None,
        Reference(c.sheet, min_col=1, min_row=first, max_row=last),
        [Reference(c.sheet, min_col=j, min_row=first, max_row=last) for j in range(5, 12)],
        f"A{last + 2}",
    )
    return last + 22
