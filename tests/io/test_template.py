"""Workbook templates: the default one round-trips, is built reproducibly, and unsafe or unusable
templates are refused with a message that names the problem."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import openpyxl
import pytest
from openpyxl.drawing.image import Image as SheetImage
from PIL import Image

from cba.io.workbook import template as template_module
from cba.io.workbook.styles import REQUIRED_STYLES, named_styles, style_purposes
from cba.io.workbook.template import (
    DEFAULT_TEMPLATE,
    MAX_COMPRESSION_RATIO,
    TemplateError,
    load_template,
    template_digest,
)

ROOT = Path(__file__).resolve().parents[2]
REPO_TEMPLATE = ROOT / "templates" / "xlsx" / "default.xlsx"
BUILDER = ROOT / "templates" / "xlsx" / "build_default_template.py"
MIB = 1024 * 1024

XLSM_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


@pytest.fixture(scope="module")
def builder() -> ModuleType:
    """templates/xlsx/build_default_template.py, imported from its file."""
    spec = importlib.util.spec_from_file_location("build_default_template", BUILDER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _rewrite(data: bytes, change: Callable[[dict[str, bytes]], None]) -> bytes:
    """A copy of the xlsx ``data`` with its members changed in place by ``change``."""
    members = _members(data)
    change(members)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def _refusal(path: Path) -> str:
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    print(caught.value)  # shown with pytest -s: the messages users see
    return str(caught.value)


# --- what the default template holds and that it round-trips ---------------------------------


def _colour(colour: Any) -> Any:
    return None if colour is None else (colour.type, colour.rgb, colour.theme)


def _style_snapshot(style: Any) -> dict[str, Any]:
    font, fill, border, align = style.font, style.fill, style.border, style.alignment
    return {
        "number_format": style.number_format,
        "font": (font.name, font.sz, font.b, font.i, _colour(font.color)),
        "fill": (fill.fill_type, _colour(fill.fgColor), _colour(fill.bgColor)),
        "border": tuple(
            None if side is None else (side.style, _colour(side.color))
            for side in (border.left, border.right, border.top, border.bottom)
        ),
        "alignment": (align.horizontal, align.vertical, align.wrap_text),
        "locked": style.protection.locked,
    }


def _snapshot(wb: Any) -> dict[str, Any]:
    """Everything a template is for, attribute by attribute."""
    styles = {name: _style_snapshot(wb._named_styles[name]) for name in wb.named_styles}
    names = {
        name: (dn.attr_text, list(dn.destinations) if dn.type == "RANGE" else None)
        for name, dn in wb.defined_names.items()
    }
    sheets = {}
    for ws in wb.worksheets:
        setup = ws.page_setup
        sheets[ws.title] = {
            "orientation": setup.orientation,
            "paperSize": setup.paperSize,
            "fitToWidth": setup.fitToWidth,
            "fitToHeight": setup.fitToHeight,
            "fitToPage": ws.sheet_properties.pageSetUpPr.fitToPage,
            "showGridLines": ws.sheet_view.showGridLines,
            "print_title_rows": ws.print_title_rows,
            "header": ws.oddHeader.right.text,
            "footer": (ws.oddFooter.left.text, ws.oddFooter.right.text),
            "cells": {
                cell.coordinate: (cell.value, cell.style)
                for row in ws.iter_rows()
                for cell in row
                if cell.value is not None or cell.style != "Normal"
            },
            "widths": {key: dim.width for key, dim in ws.column_dimensions.items()},
        }
    return {"sheets": wb.sheetnames, "styles": styles, "names": names, "pages": sheets}


def test_default_template_holds_the_styles_names_and_page_setup() -> None:
    snap = _snapshot(load_template(DEFAULT_TEMPLATE))
    assert snap["sheets"] == ["Cover"]
    assert set(REQUIRED_STYLES) <= set(snap["styles"])
    expected = {style.name: _style_snapshot(style) for style in named_styles()}
    assert {name: snap["styles"][name] for name in REQUIRED_STYLES} == expected
    assert snap["names"] == {
        "cba_cover_organisation": ("'Cover'!$B$2", [("Cover", "$B$2")]),
        "cba_cover_title": ("'Cover'!$B$4", [("Cover", "$B$4")]),
        "cba_cover_subtitle": ("'Cover'!$B$5", [("Cover", "$B$5")]),
        "cba_template_version": ('"1"', None),
    }
    cover = snap["pages"]["Cover"]
    assert cover["orientation"] == "landscape"
    assert cover["fitToWidth"] == 1
    assert cover["fitToHeight"] == 0
    assert cover["fitToPage"] is True
    assert cover["showGridLines"] is False
    assert cover["print_title_rows"] == "$1:$1"
    assert cover["footer"] == ("&F", "Page &P of &N")
    assert cover["cells"]["A1"] == ("cba", "cba title")
    assert cover["cells"]["B2"] == (None, "cba subtitle")  # filled by a partner or the writer
    assert cover["cells"]["A7"] == ("Input", "cba input number")


def test_default_template_round_trips_without_loss(tmp_path: Path) -> None:
    original = load_template(DEFAULT_TEMPLATE)
    before = _snapshot(original)
    saved = tmp_path / "saved.xlsx"
    original.save(saved)
    after = _snapshot(load_template(saved))
    for key in before:  # key by key, so a failure names the part that changed
        assert after[key] == before[key], key


def test_style_formats_follow_the_house_conventions() -> None:
    styles = {style.name: style for style in named_styles()}
    assert tuple(styles) == REQUIRED_STYLES
    assert styles["cba money"].number_format == "£#,##0;[Red]-£#,##0"
    assert styles["cba money pence"].number_format == "£#,##0.00;[Red]-£#,##0.00"
    assert styles["cba percent"].number_format == "0.0%"
    assert styles["cba factor"].number_format == "0.000000"
    assert {style.font.name for style in styles.values()} == {"Calibri"}
    inputs = [styles[name] for name in REQUIRED_STYLES if name.startswith("cba input")]
    assert len(inputs) == 3
    for style in inputs:
        assert style.fill.fgColor.rgb == "FFFFF2CC"
        assert style.font.color.rgb == "FF1F3864"
        assert style.protection.locked is False
    others = [styles[name] for name in REQUIRED_STYLES if not name.startswith("cba input")]
    assert all(style.protection.locked is not False for style in others)
    assert all(style_purposes()[name] for name in REQUIRED_STYLES)


def test_package_copy_is_the_repository_template() -> None:
    assert DEFAULT_TEMPLATE.read_bytes() == REPO_TEMPLATE.read_bytes()


def test_digest_is_the_files_sha256() -> None:
    expected = hashlib.sha256(DEFAULT_TEMPLATE.read_bytes()).hexdigest()
    assert template_digest(DEFAULT_TEMPLATE) == expected


# --- the builder ------------------------------------------------------------------------------


def test_builder_gives_identical_bytes_twice(builder: ModuleType, tmp_path: Path) -> None:
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    builder.build(first)
    builder.build(second)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert core.count("2000-01-01T00:00:00Z") == 2


def test_builder_command_line_is_reproducible(tmp_path: Path) -> None:
    outputs = []
    for run in ("one", "two"):
        folder = tmp_path / run
        subprocess.run(
            [sys.executable, str(BUILDER), "--output", str(folder)], check=True, capture_output=True
        )
        outputs.append((folder / "default.xlsx").read_bytes())
    assert outputs[0] == outputs[1]


def test_shipped_templates_are_up_to_date(builder: ModuleType) -> None:
    # Decompressed members, not bytes: DEFLATE output can differ between zlib builds.
    fresh = _members(builder.build_bytes())
    assert _members(REPO_TEMPLATE.read_bytes()) == fresh, "run the builder and commit the output"


# --- refusals ---------------------------------------------------------------------------------


def test_refuses_a_missing_file(tmp_path: Path) -> None:
    message = _refusal(tmp_path / "nowhere.xlsx")
    assert "nowhere.xlsx" in message
    assert "not found" in message


def test_refuses_a_folder(tmp_path: Path) -> None:
    assert "is not a file" in _refusal(tmp_path)


def test_refuses_a_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_text("just some text\n")
    message = _refusal(path)
    assert "not an .xlsx workbook" in message
    assert "not a zip archive" in message
    assert "notes.xlsx" in message


def test_refuses_an_old_xls_or_encrypted_file(tmp_path: Path) -> None:
    path = tmp_path / "old.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    assert ".xls workbook or a password-protected one" in _refusal(path)


def test_refuses_a_zip_without_workbook_xml(tmp_path: Path) -> None:
    path = tmp_path / "parts.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("readme.txt", "hello")
    message = _refusal(path)
    assert "not an .xlsx workbook" in message
    assert "no xl/workbook.xml" in message


def test_refuses_an_opendocument_spreadsheet(tmp_path: Path) -> None:
    path = tmp_path / "sheet.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    assert "OpenDocument" in _refusal(path)


def test_refuses_a_macro_enabled_content_type(tmp_path: Path) -> None:
    def to_xlsm(members: dict[str, bytes]) -> None:
        types = members["[Content_Types].xml"].decode()
        assert XLSX_TYPE in types
        members["[Content_Types].xml"] = types.replace(XLSX_TYPE, XLSM_TYPE).encode()

    path = tmp_path / "macros.xlsx"
    path.write_bytes(_rewrite(DEFAULT_TEMPLATE.read_bytes(), to_xlsm))
    message = _refusal(path)
    assert "macro-enabled workbook (.xlsm)" in message
    assert "Excel Workbook (*.xlsx)" in message


def test_refuses_a_workbook_carrying_a_vba_project(tmp_path: Path) -> None:
    def add_vba(members: dict[str, bytes]) -> None:
        members["xl/vbaProject.bin"] = b"\x00" * 64

    path = tmp_path / "vba.xlsx"
    path.write_bytes(_rewrite(DEFAULT_TEMPLATE.read_bytes(), add_vba))
    assert "contains macros (VBA or Excel 4.0 macro sheets)" in _refusal(path)


def test_refuses_another_content_type(tmp_path: Path) -> None:
    def to_other(members: dict[str, bytes]) -> None:
        types = members["[Content_Types].xml"].decode()
        members["[Content_Types].xml"] = types.replace(XLSX_TYPE, "application/xml").encode()

    path = tmp_path / "other.xlsx"
    path.write_bytes(_rewrite(DEFAULT_TEMPLATE.read_bytes(), to_other))
    message = _refusal(path)
    assert "content type 'application/xml'" in message


def test_refuses_a_file_over_20_mib(tmp_path: Path) -> None:
    path = tmp_path / "huge.xlsx"
    with path.open("wb") as stream:
        stream.truncate(21 * MIB)  # sparse: no 21 MiB written
    message = _refusal(path)
    assert "too large (21.0 MiB; the limit is 20.0 MiB)" in message


def _write_zeros(archive: zipfile.ZipFile, name: str, size: int) -> None:
    with archive.open(name, "w", force_zip64=True) as member:
        for _ in range(size // MIB):
            member.write(bytes(MIB))


def test_refuses_a_zip_bomb_before_loading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        _write_zeros(archive, "xl/worksheets/sheet1.xml", 160 * MIB)
    assert path.stat().st_size < 400 * 1024  # a few hundred KB on disk

    def must_not_load(*args: object, **kwargs: object) -> None:
        raise AssertionError("openpyxl must not see a zip bomb")

    monkeypatch.setattr(template_module.openpyxl, "load_workbook", must_not_load)
    message = _refusal(path)
    assert "possible zip bomb" in message
    assert "expand to 160.0 MiB (the limit is 100.0 MiB)" in message


def test_refuses_a_member_compressed_too_far(tmp_path: Path) -> None:
    path = tmp_path / "dense.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        _write_zeros(archive, "xl/sharedStrings.xml", 8 * MIB)
    message = _refusal(path)
    assert "possible zip bomb" in message
    assert "'xl/sharedStrings.xml'" in message
    assert f"the limit is {MAX_COMPRESSION_RATIO} to 1" in message


def test_wraps_an_openpyxl_failure(tmp_path: Path) -> None:
    def break_styles(members: dict[str, bytes]) -> None:
        members["xl/styles.xml"] = b"<styleSheet><fonts>"

    path = tmp_path / "broken.xlsx"
    path.write_bytes(_rewrite(DEFAULT_TEMPLATE.read_bytes(), break_styles))
    message = _refusal(path)
    assert "openpyxl cannot read this workbook: no element found: line 1, column 19" in message


def test_refuses_a_malformed_workbook_part_before_openpyxl(tmp_path: Path) -> None:
    def break_workbook(members: dict[str, bytes]) -> None:
        members["xl/workbook.xml"] = b"<workbook><sheets>"

    path = tmp_path / "broken.xlsx"
    path.write_bytes(_rewrite(DEFAULT_TEMPLATE.read_bytes(), break_workbook))
    message = _refusal(path)
    assert "xl/workbook.xml is not well-formed XML (no element found: line 1, column 18)" in message


def test_refuses_an_xml_entity_bomb(tmp_path: Path) -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )

    def add_entities(members: dict[str, bytes]) -> None:
        workbook = members["xl/workbook.xml"]
        members["xl/workbook.xml"] = laughs + workbook.replace(b"<definedNames>", b"&lol2;", 0)

    path = tmp_path / "laughs.xlsx"
    path.write_bytes(_rewrite(DEFAULT_TEMPLATE.read_bytes(), add_entities))
    message = _refusal(path)
    assert "declares entities" in message


def test_refuses_a_workbook_without_the_cba_styles(tmp_path: Path) -> None:
    path = tmp_path / "plain.xlsx"
    openpyxl.Workbook().save(path)
    message = _refusal(path)
    assert f"lacks {len(REQUIRED_STYLES)} of cba's named cell styles" in message
    assert "'cba title'" in message
    assert "'cba highlight'" in message
    assert "templates/xlsx/default.xlsx" in message


def test_lists_only_the_missing_styles(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    for style in named_styles():
        if style.name not in {"cba money", "cba year"}:
            wb.add_named_style(style)
    path = tmp_path / "partial.xlsx"
    wb.save(path)
    message = _refusal(path)
    assert "lacks 2 of cba's named cell styles: 'cba money', 'cba year'." in message


def test_an_xltx_template_is_accepted_and_writes_an_xlsx(tmp_path: Path) -> None:
    xltx_type = XLSX_TYPE.replace(".sheet.", ".template.")

    def to_xltx(members: dict[str, bytes]) -> None:
        types = members["[Content_Types].xml"].decode()
        members["[Content_Types].xml"] = types.replace(XLSX_TYPE, xltx_type).encode()

    path = tmp_path / "branded.xltx"
    path.write_bytes(_rewrite(DEFAULT_TEMPLATE.read_bytes(), to_xltx))
    output = tmp_path / "output.xlsx"
    load_template(path).save(output)
    types = _members(output.read_bytes())["[Content_Types].xml"].decode()
    assert XLSX_TYPE in types
    assert xltx_type not in types


# --- branding survives ------------------------------------------------------------------------


def test_a_logo_survives_load_and_save(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    Image.new("RGB", (48, 24), (31, 56, 100)).save(logo)
    wb = load_template(DEFAULT_TEMPLATE)
    wb["Cover"].add_image(SheetImage(str(logo)), "D1")
    branded = tmp_path / "branded.xlsx"
    wb.save(branded)

    loaded = load_template(branded)
    assert len(loaded["Cover"]._images) == 1
    output = tmp_path / "output.xlsx"
    loaded.save(output)

    with zipfile.ZipFile(output) as archive:
        media = [name for name in archive.namelist() if name.startswith("xl/media/")]
        assert len(media) == 1
        picture = Image.open(io.BytesIO(archive.read(media[0])))
    assert picture.size == (48, 24)
    assert picture.convert("RGB").getpixel((0, 0)) == (31, 56, 100)
