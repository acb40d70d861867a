"""Build the default workbook template, byte for byte the same on every run.

Usage::

    python templates/xlsx/build_default_template.py             # rewrite both shipped copies
    python templates/xlsx/build_default_template.py --output DIR  # write DIR/default.xlsx only
    python templates/xlsx/build_default_template.py --check     # exit 1 if a copy is stale

The shipped copies are ``templates/xlsx/default.xlsx`` (for people: open it in Excel, add a
logo and colours, save it under another name) and ``cba/io/workbook/default_template.xlsx``
(for an installed cba). Run this after any change to ``cba/io/workbook/styles.py``.

The template holds styles, names, page setup and branding only; the engine writes every figure
and draws every chart (openpyxl rewrites or drops charts it loads from a template).

Why the zip is rewritten: openpyxl stamps the current time into ``docProps/core.xml`` and
local-time dates on every zip entry, so the file it saves differs on every run. Rewriting the
zip with the same member order, fixed entry dates and attributes and a fixed created/modified
time gives identical bytes for identical library versions (the lock file pins them).
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from cba.io.atomic import write_bytes_atomically
from cba.io.workbook.styles import named_styles

ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = (
    ROOT / "templates" / "xlsx" / "default.xlsx",
    ROOT / "cba" / "io" / "workbook" / "default_template.xlsx",
)
"""The two shipped copies, identical."""

TEMPLATE_VERSION = "1"
"""Value of the workbook-level name ``cba_template_version``; raise it when names change."""

COVER = "Cover"
FIXED_TIMESTAMP = "2000-01-01T00:00:00Z"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
ZIP_EXTERNAL_ATTR = 0o644 << 16  # a regular file, rw-r--r--
ZIP_CREATE_SYSTEM = 3  # Unix, whatever system builds it

COVER_NAMES = {
    "cba_cover_organisation": "B2",
    "cba_cover_title": "B4",
    "cba_cover_subtitle": "B5",
}
"""Defined names of the Cover cells the workbook writer fills, and where they point."""


def build_workbook() -> Workbook:
    """The template as an openpyxl workbook, before saving."""
    wb = Workbook()
    for style in named_styles():
        wb.add_named_style(style)

    ws = wb.active
    if not isinstance(ws, Worksheet):
        raise RuntimeError("a new openpyxl workbook should start with one worksheet")
    ws.title = COVER
    ws["A1"] = "cba"  # placeholder for the organisation's name or logo
    ws["A1"].style = "cba title"
    # Left empty: a partner may type their organisation's name here once, in their copy of
    # the template; the writer fills it only when it knows one, so no placeholder can leak.
    ws["B2"].style = "cba subtitle"
    # Placeholders the writer always replaces; shown so a designer can see the layout.
    ws["B4"] = "Appraisal title"
    ws["B4"].style = "cba title"
    ws["B5"] = "Scenario, price base year and date of the run"
    ws["B5"].style = "cba subtitle"
    ws["A7"] = "Input"
    ws["A7"].style = "cba input number"
    ws["B7"] = (
        "Cells like this one, light yellow with dark blue text, are inputs you may change. "
        "Every other figure is calculated."
    )
    ws["B7"].style = "cba note"
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 80
    ws.row_dimensions[1].height = 24
    ws.row_dimensions[4].height = 24

    ws.sheet_view.showGridLines = False
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as needed
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = "1:1"
    # Sheet name top right; file name bottom left, page number bottom right.
    ws.oddHeader.right.text = "&A"
    ws.oddFooter.left.text = "&F"
    ws.oddFooter.right.text = "Page &P of &N"

    sheet = quote_sheetname(COVER)
    for name, cell in COVER_NAMES.items():
        column, row = cell[0], cell[1:]
        wb.defined_names[name] = DefinedName(name, attr_text=f"{sheet}!${column}${row}")
    wb.defined_names["cba_template_version"] = DefinedName(
        "cba_template_version", attr_text=f'"{TEMPLATE_VERSION}"'
    )

    wb.properties.creator = "cba"
    wb.properties.title = "cba workbook template"
    return wb


def _pin_core_times(core_xml: bytes) -> bytes:
    text = core_xml.decode("utf-8")
    for element in ("created", "modified"):
        text, count = re.subn(
            rf"(<dcterms:{element}\b[^>]*>)[^<]*(</dcterms:{element}>)",
            rf"\g<1>{FIXED_TIMESTAMP}\g<2>",
            text,
        )
        if count != 1:
            raise RuntimeError(f"docProps/core.xml: expected one dcterms:{element}, found {count}")
    return text.encode("utf-8")


def normalise_zip(data: bytes) -> bytes:
    """Rewrite an xlsx so that only its content decides its bytes (see the module docstring)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            content = source.read(member)
            if member.filename == "docProps/core.xml":
                content = _pin_core_times(content)
            info = zipfile.ZipInfo(member.filename, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = ZIP_EXTERNAL_ATTR
            info.create_system = ZIP_CREATE_SYSTEM
            target.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return out.getvalue()


def build_bytes() -> bytes:
    """The template file's bytes."""
    buffer = io.BytesIO()
    build_workbook().save(buffer)
    return normalise_zip(buffer.getvalue())


def build(path: Path) -> None:
    """Write the template to ``path``."""
    write_bytes_atomically(path, build_bytes())


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--output", type=Path, metavar="DIR", help="write DIR/default.xlsx only")
    group.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if a shipped copy's content differs from a fresh build",
    )
    args = parser.parse_args(argv)
    data = build_bytes()
    if args.check:
        # Compare decompressed members: DEFLATE output can differ between zlib builds.
        fresh = _members(data)
        stale = [str(p) for p in OUTPUTS if not p.exists() or _members(p.read_bytes()) != fresh]
        for name in stale:
            print(f"{name}: out of date; run python {Path(__file__).relative_to(ROOT)}")
        return 1 if stale else 0
    targets = [args.output / "default.xlsx"] if args.output else list(OUTPUTS)
    for target in targets:
        write_bytes_atomically(target, data)
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
