"""Load a workbook template safely: styles, names, page setup and branding for the writer.

A template may come from outside (a partner's branded copy of the default one), so it is
treated as untrusted, in three steps:

1. **The file and its zip** (:func:`check_xlsx`), before anything parses it: a regular file
   (never a device or a pipe), at most :data:`MAX_FILE_BYTES` read; the zip directory's declared
   sizes within :data:`MAX_UNCOMPRESSED_BYTES`, :data:`MAX_COMPRESSION_RATIO` and
   :data:`MAX_MEMBERS` (a zip bomb; Python's zipfile stops a member at its declared size and
   checks its CRC, so a zip that lies cannot expand further); an .xlsx content type, no macros.
   The same checks, with the larger limits :data:`MAX_WORKBOOK_FILE_BYTES` and
   :data:`MAX_WORKBOOK_UNCOMPRESSED_BYTES`, guard ``cba verify``'s reading of a workbook.
2. **What a branding template needs**, from the zip listing and a cheap scan of the XML, before
   openpyxl parses anything: at most :data:`MAX_SHEETS` sheets, :data:`MAX_CELLS` cells (merged
   areas, hyperlink areas and comments count: openpyxl makes a cell for each),
   :data:`MAX_ROWS` rows, :data:`MAX_SHEET_XML_BYTES` of sheet XML, :data:`MAX_PARTS_BYTES` of
   everything but pictures, :data:`MAX_DRAWING_OBJECTS` drawing objects, and
   :data:`MAX_PICTURES` pictures of at most :data:`MAX_PICTURE_BYTES` and
   :data:`MAX_PICTURE_PIXELS` each. openpyxl then parses it with defusedxml (no XML entities).
3. **Nothing live is copied** (:func:`open_template`): a template's formulas, defined names,
   conditional formats, data validations and table formulas are kept only when they use cell
   references, names and the functions in :data:`ALLOWED_FUNCTIONS` (``=WEBSERVICE(...)`` on the
   Cover would send results to a server when the workbook is opened); links to other workbooks,
   data connections, pivot tables and charts (cba draws its own) are dropped, as are hyperlinks
   to anything but ``https:`` and ``mailto:``, pictures other than PNG, JPEG and GIF, and
   ``cba_*`` document properties (cba writes its own). What was dropped is listed in
   :attr:`LoadedTemplate.dropped`, for the caller to report.

Each refusal is a :class:`TemplateError` that names the file, says what is wrong and what to do.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from xml.etree.ElementTree import Element

import openpyxl  # type: ignore[import-untyped, unused-ignore]
from defusedxml import DefusedXmlException  # type: ignore[import-untyped, unused-ignore]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped, unused-ignore]

from cba.io.file_kinds import UnreadableFileError, read_regular_file
from cba.io.workbook.styles import REQUIRED_STYLES

DEFAULT_TEMPLATE: Final[Path] = Path(__file__).with_name("default_template.xlsx")
"""The default template shipped inside the package (a copy of ``templates/xlsx/default.xlsx``)."""

DEFAULT_TEMPLATE_SOURCE: Final = "templates/xlsx/default.xlsx"
"""Where the default template lives in the repository, for messages."""

_MIB: Final = 1024 * 1024

# --- Limits: templates ------------------------------------------------------------------------

MAX_FILE_BYTES: Final = 20 * _MIB
"""Largest template file accepted [bytes]."""

MAX_UNCOMPRESSED_BYTES: Final = 100 * _MIB
"""Largest total uncompressed size of the template's zip members [bytes]."""

MAX_COMPRESSION_RATIO: Final = 200
"""Largest uncompressed/compressed size ratio of any one zip member (templates and workbooks)."""

MAX_MEMBERS: Final = 10_000
"""Most zip members accepted (a template has a few dozen; a cba workbook about 30)."""

MAX_SHEETS: Final = 10
"""Most sheets in a template (the default one has one, the Cover)."""

MAX_CELLS: Final = 10_000
"""Most cells in a template's sheets together, counting every cell of a merged area or a
hyperlink area and every comment (openpyxl makes a cell object for each)."""

MAX_ROWS: Final = 10_000
"""Most row records in a template's sheets together."""

MAX_SHEET_XML_BYTES: Final = 4 * _MIB
"""Largest total uncompressed size of a template's sheets [bytes]."""

MAX_PARTS_BYTES: Final = 8 * _MIB
"""Largest total uncompressed size of a template's members other than pictures (``xl/media/``):
sheets, styles, theme, strings, drawings, names [bytes]."""

MAX_PICTURES: Final = 10
"""Most pictures (``xl/media/`` members) in a template."""

MAX_PICTURE_BYTES: Final = 5 * _MIB
"""Largest picture file in a template [bytes]."""

MAX_PICTURE_PIXELS: Final = 25_000_000
"""Largest picture in a template [pixels] (a logo needs far fewer)."""

MAX_DRAWING_OBJECTS: Final = 20
"""Most drawing objects (pictures, charts, shapes) anchored on a template's sheets."""

# --- Limits: workbooks read by cba verify -----------------------------------------------------

MAX_WORKBOOK_FILE_BYTES: Final = 256 * _MIB
"""Largest workbook ``cba verify`` reads [bytes]. Generous: cba's own workbooks grow with the
scenario (the 31-option, 60-year test scenario writes 1.6 MB), and openpyxl would need many GB
of memory to write one this size."""

MAX_WORKBOOK_UNCOMPRESSED_BYTES: Final = 4 * 1024 * _MIB
"""Largest total uncompressed size of a verified workbook's zip members [bytes]. cba's workbooks
compress about 9 to 1; ``cba verify`` streams sheets rather than holding them in memory."""

_CONTENT_TYPES = "[Content_Types].xml"
_WORKBOOK_PART = "xl/workbook.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_MEDIA = "xl/media/"
_XLSX_TYPES: Final = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": ".xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": ".xltx",
}
_MACRO_TYPES: Final = {
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": ".xlsm",
    "application/vnd.ms-excel.template.macroEnabled.main+xml": ".xltm",
    "application/vnd.ms-excel.sheet.binary.macroEnabled.main": ".xlsb",
}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SAVE_AS_XLSX = 'save it in Excel as "Excel Workbook (*.xlsx)"'
_MAX_SMALL_PART: Final = 4 * _MIB
"""Largest [Content_Types].xml, workbook.xml or relationships part parsed whole [bytes]."""


class XlsxError(Exception):
    """An .xlsx file from outside is refused; the message names the file, says why and what to
    do."""


class TemplateError(XlsxError):
    """A workbook template cannot be used; the message says why and how to fix it."""


@dataclass(frozen=True)
class XlsxKind:
    """What an .xlsx from outside is for: how messages name it, its limits, the advice given."""

    noun: str
    file_bytes: int
    uncompressed_bytes: int
    advice: str
    """A sentence completing each refusal: what to use instead."""
    error: type[XlsxError]


TEMPLATE: Final = XlsxKind(
    "template",
    MAX_FILE_BYTES,
    MAX_UNCOMPRESSED_BYTES,
    f"Use a template built from {DEFAULT_TEMPLATE_SOURCE}",
    TemplateError,
)
WORKBOOK: Final = XlsxKind(
    "workbook",
    MAX_WORKBOOK_FILE_BYTES,
    MAX_WORKBOOK_UNCOMPRESSED_BYTES,
    "cba verify checks workbooks as `cba run` writes them: run it again to get one",
    XlsxError,
)


# --- Text for messages ------------------------------------------------------------------------


def printable(text: str, limit: int = 120) -> str:
    """``text`` safe to print in a message: characters that do not print are written as escapes
    (``\\n``, ``\\x1b``), and it is cut to ``limit`` characters with an ellipsis."""
    shown = "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text[: limit + 1]
    )
    return shown if len(shown) <= limit and len(text) <= limit else shown[: limit - 1] + "…"


def quoted(text: str, limit: int = 80) -> str:
    """``text`` in single quotes for a message, made printable and cut (see :func:`printable`)."""
    return f"'{printable(text, limit)}'"


def mib(size: int) -> str:
    """A size in MiB for messages."""
    return f"{size / _MIB:.1f} MiB"


# --- Reading a file from outside --------------------------------------------------------------


def _read(path: Path, kind: XlsxKind) -> bytes:
    try:
        return read_regular_file(path, kind.file_bytes)
    except UnreadableFileError as problem:
        if problem.missing:
            where = (
                f"Check the path, or leave the template out to use the default one "
                f"({DEFAULT_TEMPLATE_SOURCE})"
                if kind is TEMPLATE
                else "Check the path of the workbook to verify"
            )
            raise kind.error(f"{path}: {kind.noun} not found. {where}") from None
        if problem.reason == "too large":
            size = f"{mib(problem.size)}; " if problem.size is not None else ""
            what = (
                "A template holds styles, names, page setup and a logo only: delete data sheets "
                f"and large pictures, or start again from {DEFAULT_TEMPLATE_SOURCE}"
                if kind is TEMPLATE
                else "cba does not write workbooks this large; check that this is the right file"
            )
            raise kind.error(
                f"{path}: {kind.noun} is too large ({size}the limit is "
                f"{mib(kind.file_bytes)}). {what}"
            ) from None
        if problem.reason.startswith("is "):
            raise kind.error(
                f"{path}: {problem.reason}; give the path of an .xlsx {kind.noun}"
            ) from None
        raise kind.error(f"{path}: the {kind.noun} {problem.reason}") from None


# --- The zip archive and its content type -----------------------------------------------------


def _not_a_zip(path: Path, data: bytes, kind: XlsxKind) -> XlsxError:
    if data.startswith(_OLE_MAGIC):
        return kind.error(
            f"{path}: not an .xlsx workbook: this is an old-style .xls workbook or a "
            f"password-protected one. Remove any password, then {_SAVE_AS_XLSX}"
        )
    advice = (
        f"Use an .xlsx built from {DEFAULT_TEMPLATE_SOURCE}" if kind is TEMPLATE else kind.advice
    )
    return kind.error(
        f"{path}: not an .xlsx workbook: the file is not a zip archive (an .xlsx is one), or "
        f"it is damaged. {advice}"
    )


def _damaged(path: Path, kind: XlsxKind, member: str = "") -> XlsxError:
    where = f" (member {quoted(member)})" if member else ""
    return kind.error(
        f"{path}: the {kind.noun}'s zip archive is damaged{where}. "
        + (
            f"Save it again from Excel, or get a fresh copy. {kind.advice}"
            if kind is TEMPLATE
            else kind.advice
        )
    )


def _check_sizes(path: Path, members: list[zipfile.ZipInfo], kind: XlsxKind) -> None:
    if len(members) > MAX_MEMBERS:
        raise kind.error(
            f"{path}: refused: the zip archive has {len(members)} members (the limit is "
            f"{MAX_MEMBERS}); an .xlsx {kind.noun} has a few dozen. {kind.advice}"
        )
    total = sum(member.file_size for member in members)
    if total > kind.uncompressed_bytes:
        raise kind.error(
            f"{path}: refused as a possible zip bomb: it would expand to {mib(total)} "
            f"(the limit is {mib(kind.uncompressed_bytes)}). {kind.advice}"
            + (", holding styles and branding only" if kind is TEMPLATE else "")
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > MAX_COMPRESSION_RATIO:
            raise kind.error(
                f"{path}: refused as a possible zip bomb: member {quoted(member.filename)} is "
                f"compressed {ratio:.0f} to 1 (the limit is {MAX_COMPRESSION_RATIO} to 1). "
                f"{kind.advice}"
            )


def read_part(path: Path, archive: zipfile.ZipFile, name: str, limit: int, kind: XlsxKind) -> bytes:
    """One zip member, whole, refused (without reading it) when it declares more than ``limit``
    bytes."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise kind.error(
            f"{path}: not a valid .xlsx {kind.noun}: it has no {name}. {kind.advice}"
        ) from None
    if info.file_size > limit:
        raise kind.error(
            f"{path}: refused: its {name} is {mib(info.file_size)} (the limit is {mib(limit)}). "
            f"{kind.advice}"
        )
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError):
        raise _damaged(path, kind, name) from None


def parse_part(
    path: Path, archive: zipfile.ZipFile, name: str, limit: int, kind: XlsxKind
) -> Element:
    """One XML member, parsed with defusedxml (no entities, no external references)."""
    data = read_part(path, archive, name, limit, kind)
    try:
        root: Element = fromstring(data)
    except DefusedXmlException:
        raise kind.error(
            f"{path}: refused: its {name} declares entities, which Excel never writes and "
            f"XML entity bombs rely on. {kind.advice}"
        ) from None
    except (SyntaxError, ValueError) as exc:
        raise kind.error(
            f"{path}: not a valid .xlsx {kind.noun}: {name} is not well-formed XML "
            f"({printable(str(exc), 80)}). {kind.advice}"
        ) from None
    return root


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _check_content_type(
    path: Path, archive: zipfile.ZipFile, names: set[str], kind: XlsxKind
) -> None:
    if "mimetype" in names and _CONTENT_TYPES not in names:
        raise kind.error(
            f"{path}: not an .xlsx workbook: this looks like an OpenDocument file (.ods); "
            f"{_SAVE_AS_XLSX}"
        )
    if _CONTENT_TYPES not in names or _WORKBOOK_PART not in names:
        missing = _CONTENT_TYPES if _CONTENT_TYPES not in names else _WORKBOOK_PART
        advice = (
            f"Use an .xlsx built from {DEFAULT_TEMPLATE_SOURCE}"
            if kind is TEMPLATE
            else kind.advice
        )
        raise kind.error(
            f"{path}: not an .xlsx workbook: the zip archive has no {missing}. {advice}"
        )
    root = parse_part(path, archive, _CONTENT_TYPES, _MAX_SMALL_PART, kind)
    content_type = ""
    all_types: set[str] = set()
    main_parts = 0
    for entry in root:
        declared = entry.get("ContentType", "")
        all_types.add(declared.lower())
        if declared in _XLSX_TYPES or declared in _MACRO_TYPES:
            # openpyxl reads the first workbook part the manifest declares, by type: exactly
            # one, and the one checked here, or the checks below would be about another part.
            main_parts += _local(entry.tag) == "Override"
        if entry.get("PartName", "").lstrip("/") == _WORKBOOK_PART:
            content_type = declared
    if content_type in _MACRO_TYPES:
        raise kind.error(
            f"{path}: refused: this is a macro-enabled workbook ({_MACRO_TYPES[content_type]}); "
            f"{kind.noun}s must not contain macros. To remove them, {_SAVE_AS_XLSX}"
        )
    if any(
        "vbaproject" in name.lower() or name.startswith("xl/macrosheets/") for name in names
    ) or any("vbaproject" in kind_ or "macro" in kind_ for kind_ in all_types):
        raise kind.error(
            f"{path}: refused: the workbook contains macros (VBA or Excel 4.0 macro sheets); "
            f"{kind.noun}s must not. To remove them, {_SAVE_AS_XLSX}"
        )
    if content_type not in _XLSX_TYPES:
        found = f"content type {quoted(content_type)}" if content_type else "no content type"
        raise kind.error(
            f"{path}: not an .xlsx workbook: its {_WORKBOOK_PART} has {found}; expected an "
            f"Excel workbook (.xlsx). {_SAVE_AS_XLSX[0].upper()}{_SAVE_AS_XLSX[1:]}"
        )
    if main_parts != 1:
        raise kind.error(
            f"{path}: refused: its {_CONTENT_TYPES} declares {main_parts} workbook parts; an "
            f".xlsx has exactly one, {_WORKBOOK_PART}. {_SAVE_AS_XLSX[0].upper()}"
            f"{_SAVE_AS_XLSX[1:]}"
        )


def open_archive(path: Path, data: bytes, kind: XlsxKind) -> zipfile.ZipFile:
    """The zip archive of an .xlsx read with :func:`read_xlsx`, checked already."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError):
        raise _not_a_zip(path, data, kind) from None


def _check_archive(path: Path, data: bytes, kind: XlsxKind) -> None:
    with open_archive(path, data, kind) as archive:
        members = archive.infolist()
        _check_sizes(path, members, kind)
        _check_content_type(path, archive, {member.filename for member in members}, kind)
        if kind is TEMPLATE:
            _check_template_contents(path, archive, members)


def read_xlsx(path: Path, kind: XlsxKind) -> bytes:
    """Read an .xlsx from outside and check its size, zip structure and content type (and for a
    template, what it holds) before anything parses it; returns its bytes.

    Raises
    ------
    XlsxError
        ``kind.error``: a :class:`TemplateError` for :data:`TEMPLATE`.
    """
    data = _read(path, kind)
    _check_archive(path, data, kind)
    return data


def check_xlsx(path: Path) -> bytes:
    """Read a template and check it before anything parses it; returns its bytes. Raises
    TemplateError."""
    return read_xlsx(path, TEMPLATE)


# --- What a branding template may hold (checked before openpyxl parses it) ---------------------

_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_COMMENT_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?comment[\s/>]")
_AREA_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(?:mergeCell|hyperlink)\s[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']"
)
_ANCHOR_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(?:twoCellAnchor|oneCellAnchor|absoluteAnchor)[\s/>]"
)
_AREA = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})(?::\$?([A-Za-z]{1,3})\$?([0-9]{1,7}))?")


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _area_cells(reference: str) -> int:
    """Cells in an A1 area reference (``B2:D5`` is 12); a reference that is not one counts 1."""
    match = _AREA.fullmatch(reference.strip())
    if match is None or match.group(3) is None:
        return 1
    columns = abs(_column_number(match.group(3)) - _column_number(match.group(1))) + 1
    rows = abs(int(match.group(4)) - int(match.group(2))) + 1
    return columns * rows


def _part_target(base: str, target: str) -> str:
    """A relationship target as a zip member name, as openpyxl resolves it."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def sheet_parts(path: Path, archive: zipfile.ZipFile, kind: XlsxKind) -> list[tuple[str, str, str]]:
    """(sheet name, relationship type's last word, zip member) of every sheet ``xl/workbook.xml``
    declares, in workbook order."""
    workbook = parse_part(path, archive, _WORKBOOK_PART, _MAX_SMALL_PART, kind)
    targets: dict[str, tuple[str, str]] = {}
    if _WORKBOOK_RELS in archive.NameToInfo:
        rels = parse_part(path, archive, _WORKBOOK_RELS, _MAX_SMALL_PART, kind)
        for rel in rels:
            kind_of = rel.get("Type", "").rpartition("/")[2]
            targets[rel.get("Id", "")] = (
                kind_of,
                _part_target(_WORKBOOK_PART, rel.get("Target", "")),
            )
    sheets: list[tuple[str, str, str]] = []
    for element in workbook.iter():
        if _local(element.tag) != "sheet":
            continue
        rel_id = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
        kind_of, member = targets.get(rel_id, ("", ""))
        sheets.append((element.get("name", ""), kind_of, member))
    return sheets


def _refuse_contents(path: Path, what: str, found: str, limit: str) -> TemplateError:
    return TemplateError(
        f"{path}: refused: the template has {found} {what} (the limit is {limit}). A template "
        f"holds the Cover's branding, named styles and page setup; cba writes every figure. "
        f"Delete data sheets, cells and pictures it does not need, or start again from "
        f"{DEFAULT_TEMPLATE_SOURCE}"
    )


def _check_template_contents(
    path: Path, archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]
) -> None:
    """Refuse a template holding more than a branding template needs, from the zip listing and a
    scan of its (size-limited) XML, before openpyxl parses anything."""
    pictures = [m for m in members if m.filename.startswith(_MEDIA) and not m.is_dir()]
    if len(pictures) > MAX_PICTURES:
        raise _refuse_contents(path, "pictures", f"{len(pictures)}", f"{MAX_PICTURES}")
    for picture in pictures:
        if picture.file_size > MAX_PICTURE_BYTES:
            raise _refuse_contents(
                path,
                f"picture ({quoted(picture.filename)})",
                f"a {mib(picture.file_size)}",
                mib(MAX_PICTURE_BYTES),
            )
    parts = [m for m in members if not m.filename.startswith(_MEDIA)]
    parts_bytes = sum(m.file_size for m in parts)
    if parts_bytes > MAX_PARTS_BYTES:
        raise _refuse_contents(
            path, "of sheets, styles and other parts", mib(parts_bytes), mib(MAX_PARTS_BYTES)
        )
    sheets = sheet_parts(path, archive, TEMPLATE)
    if len(sheets) > MAX_SHEETS:
        raise _refuse_contents(path, "sheets", f"{len(sheets)}", f"{MAX_SHEETS}")
    sheet_members = {member for _, _, member in sheets if member in archive.NameToInfo}
    sheet_bytes = sum(archive.getinfo(member).file_size for member in sheet_members)
    if sheet_bytes > MAX_SHEET_XML_BYTES:
        raise _refuse_contents(path, "of sheet XML", mib(sheet_bytes), mib(MAX_SHEET_XML_BYTES))
    cells = rows = anchors = 0
    for member in parts:
        if member.is_dir():
            continue
        data = read_part(path, archive, member.filename, MAX_PARTS_BYTES, TEMPLATE)
        if member.filename in sheet_members:
            cells += len(_CELL_TAG.findall(data))
            rows += len(_ROW_TAG.findall(data))
            for reference in _AREA_TAG.findall(data):
                cells += _area_cells(reference.decode("ascii", "replace"))
        cells += len(_COMMENT_TAG.findall(data))
        anchors += len(_ANCHOR_TAG.findall(data))
    if cells > MAX_CELLS:
        raise _refuse_contents(
            path,
            "cells",
            f"{cells:,}",
            f"{MAX_CELLS:,}; every cell of a merged or hyperlinked area and every comment counts",
        )
    if rows > MAX_ROWS:
        raise _refuse_contents(path, "rows", f"{rows:,}", f"{MAX_ROWS:,}")
    if anchors > MAX_DRAWING_OBJECTS:
        raise _refuse_contents(
            path,
            "drawing objects (pictures, charts, shapes)",
            f"{anchors}",
            f"{MAX_DRAWING_OBJECTS}",
        )
    if pictures:
        _check_picture_sizes(path, archive, pictures)


def _picture_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a picture from its header [pixels]; None when not known. PNG and GIF
    are read here (exactly, whatever they claim); other kinds by Pillow, which reads the header
    only."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
        except Image.DecompressionBombError:
            return MAX_PICTURE_PIXELS + 1, 1
        except Exception:  # not a picture Pillow knows: openpyxl drops it
            return None
    return width, height


def _check_picture_sizes(
    path: Path, archive: zipfile.ZipFile, pictures: list[zipfile.ZipInfo]
) -> None:
    for picture in pictures:
        size = _picture_size(
            read_part(path, archive, picture.filename, MAX_PICTURE_BYTES, TEMPLATE)
        )
        if size is not None and size[0] * size[1] > MAX_PICTURE_PIXELS:
            raise _refuse_contents(
                path,
                f"picture ({quoted(picture.filename)})",
                f"a {size[0]:,} by {size[1]:,} pixel",
                f"{MAX_PICTURE_PIXELS:,} pixels",
            )


# --- Formulas: what a template may keep -------------------------------------------------------

_FUNCTION_WORDS = """
    ABS AND AVERAGE AVERAGEA AVERAGEIF AVERAGEIFS CEILING CHAR CHOOSE CLEAN CODE COLUMN COLUMNS
    CONCAT CONCATENATE COUNT COUNTA COUNTBLANK COUNTIF COUNTIFS DATE DATEDIF DAY DAYS DOLLAR
    EDATE EOMONTH EXACT EXP FIND FIXED FLOOR HLOOKUP HOUR IF IFERROR IFNA IFS INDEX INT IRR
    ISBLANK ISERR ISERROR ISEVEN ISLOGICAL ISNA ISNONTEXT ISNUMBER ISODD ISTEXT LARGE LEFT LEN LN
    LOG LOG10 LOOKUP LOWER MATCH MAX MAXA MAXIFS MEDIAN MID MIN MINA MINIFS MINUTE MOD MONTH N NA
    NETWORKDAYS NOT NOW NPV OR PI PMT POWER PRODUCT PROPER RANK REPLACE REPT RIGHT ROUND ROUNDDOWN
    ROUNDUP ROW ROWS SEARCH SECOND SIGN SMALL SQRT SUBSTITUTE SUBTOTAL SUM SUMIF SUMIFS SUMPRODUCT
    SWITCH T TEXT TEXTJOIN TIME TODAY TRIM TRUNC UPPER VALUE VLOOKUP WEEKDAY XLOOKUP XOR YEAR
    """

ALLOWED_FUNCTIONS: Final = frozenset(_FUNCTION_WORDS.split())
"""Functions a template's formulas may use: arithmetic, text, dates, logic and lookups within the
workbook. Nothing that fetches (WEBSERVICE, IMAGE, RTD, FILTERXML), links (HYPERLINK), builds a
reference from text (INDIRECT, OFFSET), reads the environment (CELL, INFO) or runs code (CALL,
REGISTER, user-defined functions)."""

MAX_FORMULA_CHARACTERS: Final = 8192
"""Longest formula kept (Excel's own limit)."""

_SHEET_PREFIX = r"(?:'(?:[^'\\/?*\[\]:]|'')+'|[^\W\d][\w.]*)!"
_CELL = r"\$?[A-Za-z]{1,3}\$?[0-9]{1,7}"
_LOCAL_AREA = re.compile(
    rf"(?:{_SHEET_PREFIX})?(?:{_CELL}(?::{_CELL})?|\$?[A-Za-z]{{1,3}}:\$?[A-Za-z]{{1,3}}"
    rf"|\$?[0-9]{{1,7}}:\$?[0-9]{{1,7}}|#REF!)"
)
_NAME_OPERAND = re.compile(rf"(?:{_SHEET_PREFIX})?([^\W\d][\w.]*)")


def formula_problem(formula: str, names: Iterable[str] = ()) -> str | None:
    """Why a formula from outside may not be kept, or None when it may.

    A formula may be kept when every operand is a number, text, TRUE/FALSE, an error value, a
    reference to cells of this workbook (``B4``, ``'Cover'!$B$4:$C$5``, ``A:A``) or one of
    ``names``, and every function is in :data:`ALLOWED_FUNCTIONS`. References to other
    workbooks (``[1]Sheet!A1``, ``'C:\\x\\[book.xlsx]S'!A1``), DDE (``cmd|'/c calc'!A0``) and
    structured references are refused.

    Parameters
    ----------
    formula
        With or without its leading ``=``.
    names
        Defined names the formula may refer to (compared without regard to case).
    """
    from openpyxl.formula.tokenizer import Token, Tokenizer

    text = formula if formula.startswith("=") else "=" + formula
    if len(text) > MAX_FORMULA_CHARACTERS:
        return f"longer than {MAX_FORMULA_CHARACTERS} characters"
    try:
        tokens = Tokenizer(text).items
    except Exception:  # the tokenizer raises several types on bad input
        return "it cannot be read as a formula"
    known = {name.lower() for name in names}
    for token in tokens:
        if token.type == Token.FUNC and token.subtype == Token.OPEN:
            name = token.value[:-1].upper()
            while name.startswith(("_XLFN.", "_XLWS.")):
                name = name[6:]
            if name not in ALLOWED_FUNCTIONS:
                return f"function {printable(token.value[:-1], 40)} is not allowed"
        elif token.type == Token.OPERAND and token.subtype == Token.RANGE:
            value = token.value
            if _LOCAL_AREA.fullmatch(value):
                continue
            named = _NAME_OPERAND.fullmatch(value)
            if named is None or named.group(1).lower() not in known:
                return f"it refers to {printable(value, 60)}, not to cells of this workbook"
        elif token.type == Token.OPERAND:
            if token.subtype not in (Token.TEXT, Token.NUMBER, Token.LOGICAL, Token.ERROR):
                return "it cannot be read as a formula"
        elif token.type not in (
            Token.FUNC,
            Token.ARRAY,
            Token.PAREN,
            Token.SEP,
            Token.OP_PRE,
            Token.OP_IN,
            Token.OP_POST,
            Token.WSPACE,
        ):
            return "it cannot be read as a formula"
    return None


# --- Loading and making safe ------------------------------------------------------------------


@dataclass(frozen=True)
class DroppedItem:
    """Something a template held that is not copied into workbooks."""

    where: str
    """Where it was: ``Cover!B3``, ``defined name 'x'``, ``the workbook``."""
    what: str
    """What it was: ``formula =WEBSERVICE("http://...``."""
    why: str
    """Why it was dropped."""

    def __str__(self) -> str:
        return f"{self.where}: {self.what} ({self.why})"


@dataclass(frozen=True)
class LoadedTemplate:
    """A template, loaded and made safe, with what was dropped from it."""

    path: Path
    workbook: openpyxl.Workbook
    """The template with everything listed in ``dropped`` removed; the writer builds on it."""
    sha256: str
    """The sha256 of the bytes that were loaded [hex], for the workbook's provenance."""
    dropped: tuple[DroppedItem, ...] = field(default=())

    def warnings(self, limit: int = 20) -> list[str]:
        """Lines telling the user what was dropped (none when nothing was): a heading, then one
        line per item, at most ``limit`` of them."""
        if not self.dropped:
            return []
        count = len(self.dropped)
        lines = [
            f"{self.path}: {count} item{'' if count == 1 else 's'} of the template "
            f"{'is' if count == 1 else 'are'} not copied into the workbook: a template keeps "
            "only styles, names, page setup, text, pictures and formulas that refer to cells of "
            "the workbook and use plain functions (SUM, IF, TEXT, ...); cba writes every figure:"
        ]
        lines.extend(f"  {item}" for item in self.dropped[:limit])
        if count > limit:
            lines.append(f"  ... and {count - limit} more")
        return lines


def _unreadable(path: Path, exc: Exception) -> TemplateError:
    # openpyxl wraps parse errors in a ValueError naming the step ("could not read stylesheet");
    # the original error, at the end of the chain, says what is wrong.
    from xml.parsers.expat import ExpatError

    step = re.search(r"could not (.+?) from ", str(exc))
    cause: BaseException = exc
    parse_error: BaseException | None = None
    while True:
        if isinstance(cause, SyntaxError | ExpatError) and parse_error is None:
            parse_error = cause
        inner = cause.__cause__ or cause.__context__
        if inner is None:
            break
        cause = inner
    if isinstance(cause, DefusedXmlException):
        return TemplateError(
            f"{path}: refused: the workbook's XML declares entities, which Excel never writes "
            f"and XML entity bombs rely on. Use a template built from {DEFAULT_TEMPLATE_SOURCE}"
        )
    where = f" (could not {printable(step.group(1), 60)})" if step else ""
    # Only an XML parser's own message is shown: others can carry reprs of internal values.
    detail = f": {printable(str(parse_error), 100)}" if parse_error is not None else ""
    return TemplateError(
        f"{path}: openpyxl cannot read this workbook{where}{detail}. Open it in Excel and save "
        f"it again, or start again from {DEFAULT_TEMPLATE_SOURCE}"
    )


def _formula_text(value: object) -> str | None:
    """The formula of a cell value openpyxl loaded, or None when it is not a formula."""
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    if isinstance(value, ArrayFormula):
        return str(value.text or "")
    if isinstance(value, DataTableFormula):
        return "=TABLE()"  # a what-if data table: never kept
    if isinstance(value, str) and value.startswith("="):
        return value
    return None


class _Sanitiser:
    """Removes from a loaded template everything it may not carry, recording each removal."""

    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self.dropped: list[DroppedItem] = []
        self.names: set[str] = set()

    def drop(self, where: str, what: str, why: str) -> None:
        self.dropped.append(DroppedItem(where, what, why))

    def formula(self, where: str, text: str, what: str = "formula") -> bool:
        """Whether ``text`` may stay; records it as dropped when not."""
        problem = formula_problem(text, self.names)
        if problem is None:
            return True
        shown = text if text.startswith("=") else "=" + text
        self.drop(where, f"{what} {printable(shown, 60)}", problem)
        return False

    def run(self, parts: set[str]) -> tuple[DroppedItem, ...]:
        workbook = self.workbook
        for prefix, what, why in (
            ("xl/connections.xml", "data connections", "they fetch data from outside"),
            ("xl/externalLinks/", "links to other workbooks", "they read files and servers"),
            ("xl/queryTables/", "query tables", "they fetch data from outside"),
            ("xl/embeddings/", "embedded objects", "they can run programs"),
            ("xl/activeX/", "ActiveX controls", "they can run programs"),
        ):
            if any(part.startswith(prefix) for part in parts):
                self.drop("the workbook", what, why)
        for chartsheet in list(workbook.chartsheets):
            workbook.remove(chartsheet)
            self.drop(f"sheet {quoted(chartsheet.title)}", "chart sheet", "cba draws every chart")
        self._names()
        for sheet in workbook.worksheets:
            self._sheet(sheet)
        self._properties()
        return tuple(self.dropped)

    def _scoped_names(self) -> list[tuple[Any, str, Any]]:
        found: list[tuple[Any, str, Any]] = [
            (self.workbook.defined_names, name, defined)
            for name, defined in self.workbook.defined_names.items()
        ]
        for sheet in self.workbook.worksheets:
            found.extend((sheet.defined_names, name, d) for name, d in sheet.defined_names.items())
        return found

    def _names(self) -> None:
        scoped = self._scoped_names()
        self.names = {name for _, name, _ in scoped}
        changed = True
        while changed:  # a name may refer to a name that is dropped
            changed = False
            for container, name, defined in scoped:
                if name not in container:
                    continue
                where = f"defined name {quoted(name, 60)}"
                if defined.function or defined.vbProcedure or defined.xlm:
                    why = "it names a macro function"
                    self.drop(where, "macro name", why)
                elif not self.formula(where, str(defined.attr_text or ""), "reference"):
                    pass
                elif name in ("cba_cover_title", "cba_cover_subtitle") and not self._one_cell(
                    defined
                ):
                    self.drop(where, "reference", "it must name one cell of a sheet")
                else:
                    continue
                del container[name]
                self.names.discard(name)
                changed = True

    def _one_cell(self, defined: Any) -> bool:
        try:
            destinations = list(defined.destinations)
        except Exception:  # openpyxl raises on a reference it cannot split
            return False
        sheets = set(self.workbook.sheetnames)
        return len(destinations) == 1 and all(
            title in sheets and re.fullmatch(r"\$?[A-Z]{1,3}\$?[0-9]{1,7}", coordinate)
            for title, coordinate in destinations
        )

    def _sheet(self, sheet: Any) -> None:
        title = sheet.title
        for cell in list(sheet._cells.values()):
            where = f"{title}!{cell.coordinate}"
            text = _formula_text(cell.value) if cell.data_type == "f" else None
            if text is not None and not self.formula(where, text):
                cell.value = None
            link = cell.hyperlink
            if link is not None and link.target:
                target = str(link.target)
                if not target.lower().startswith(("https:", "mailto:")):
                    self.drop(
                        where,
                        f"hyperlink to {printable(target, 60)}",
                        "only https: and mailto: links are kept",
                    )
                    cell.hyperlink = None
        for attribute in ("print_area", "print_title_rows", "print_title_cols"):
            value = getattr(sheet, attribute)
            if value and not all(
                _LOCAL_AREA.fullmatch(part.strip()) for part in str(value).split(",")
            ):
                self.drop(
                    title,
                    f"{attribute.replace('_', ' ')} {printable(str(value), 60)}",
                    "not a range of this sheet",
                )
                setattr(sheet, attribute, None)
        self._conditional_formats(sheet)
        self._validations(sheet)
        self._tables(sheet)
        charts, pivots = sheet._charts, sheet._pivots
        if charts:
            self.drop(title, f"{len(charts)} chart(s)", "cba draws every chart")
            sheet._charts = []
        if pivots:
            self.drop(title, f"{len(pivots)} pivot table(s)", "they can fetch data from outside")
            sheet._pivots = []
        kept = []
        for image in sheet._images:
            kind = str(getattr(image, "format", "") or "").lower()
            if kind in ("png", "jpeg", "gif"):
                kept.append(image)
            else:
                self.drop(
                    title, f"a {kind or 'unknown'} picture", "only PNG, JPEG and GIF are kept"
                )
        sheet._images = kept

    def _conditional_formats(self, sheet: Any) -> None:
        formats = sheet.conditional_formatting
        for key in list(formats._cf_rules):
            rules = formats._cf_rules[key]
            where = f"{sheet.title}!{key.sqref} (conditional format)"
            kept = [rule for rule in rules if self._rule_is_safe(where, rule)]
            if kept:
                formats._cf_rules[key] = kept
            else:
                del formats._cf_rules[key]

    def _rule_is_safe(self, where: str, rule: Any) -> bool:
        texts = [str(f) for f in (rule.formula or ())]
        for scale in (rule.colorScale, rule.dataBar, rule.iconSet):
            if scale is not None:
                texts.extend(str(cfvo.val) for cfvo in scale.cfvo or () if cfvo.type == "formula")
        return all(self.formula(where, text) for text in texts)

    def _validations(self, sheet: Any) -> None:
        validations = sheet.data_validations
        kept = []
        for validation in validations.dataValidation:
            where = f"{sheet.title}!{validation.sqref} (data validation)"
            texts = [t for t in (validation.formula1, validation.formula2) if t]
            if all(self.formula(where, str(text)) for text in texts):
                kept.append(validation)
        validations.dataValidation = kept

    def _tables(self, sheet: Any) -> None:
        for name in list(sheet.tables):
            table = sheet.tables[name]
            where = f"{sheet.title} (table {quoted(name, 40)})"
            if table.tableType not in (None, "worksheet") or table.connectionId is not None:
                self.drop(where, "query table", "it fetches data from outside")
                del sheet.tables[name]
                continue
            for column in table.tableColumns:
                for attribute in ("calculatedColumnFormula", "totalsRowFormula"):
                    formula = getattr(column, attribute)
                    text = getattr(formula, "attr_text", None)
                    if text and not self.formula(where, str(text), "column formula"):
                        setattr(column, attribute, None)

    def _properties(self) -> None:
        from openpyxl.packaging.custom import CustomPropertyList

        properties = self.workbook.custom_doc_props
        kept = [p for p in properties.props if not str(p.name).startswith("cba_")]
        if len(kept) != len(properties.props):
            count = len(properties.props) - len(kept)
            self.drop(
                "the document",
                f"{count} cba_* propert{'y' if count == 1 else 'ies'}",
                "cba writes its own provenance",
            )
            replacement: Any = CustomPropertyList()
            for prop in kept:
                replacement.append(prop)
            self.workbook.custom_doc_props = replacement


def open_template(path: Path) -> LoadedTemplate:
    """Load a workbook template, refusing anything unsafe or unusable and dropping anything live.

    Parameters
    ----------
    path
        An .xlsx file built from the default template (:data:`DEFAULT_TEMPLATE`), e.g. a copy
        a partner has branded with a logo and colours.

    Returns
    -------
    LoadedTemplate
        The workbook, loaded without macros (``keep_vba=False``) and without links to other
        workbooks (``keep_links=False``), with unsafe formulas, names, links, charts and
        connections removed; ``dropped`` lists each removal.

    Raises
    ------
    TemplateError
        If the file is missing or not a regular file, too large, not an .xlsx workbook,
        macro-enabled, a possible zip bomb, holds more than a branding template needs (sheets,
        cells, rows, pictures: see the module docstring), is unreadable by openpyxl (including
        XML entity bombs), or lacks any of the named styles in
        :data:`~cba.io.workbook.styles.REQUIRED_STYLES`.
    """
    data = read_xlsx(path, TEMPLATE)
    if not openpyxl.DEFUSEDXML:
        raise TemplateError(
            f"{path}: cannot load a template safely: the defusedxml package is missing or "
            "disabled (OPENPYXL_DEFUSEDXML). Reinstall cba with its dependencies"
        )
    try:
        with warnings.catch_warnings():
            # openpyxl warns about parts it drops (shapes, unsupported pictures, data
            # validation extensions); what matters is listed in ``dropped``.
            warnings.simplefilter("ignore", UserWarning)
            workbook: openpyxl.Workbook = openpyxl.load_workbook(
                io.BytesIO(data), keep_vba=False, keep_links=False, rich_text=False
            )
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise _unreadable(path, exc) from None
    # An .xltx loads as a template and would be saved as one, which Excel refuses to open
    # under an .xlsx name: what is written from a template is always a workbook.
    workbook.template = False
    present = set(workbook.named_styles)
    missing = [name for name in REQUIRED_STYLES if name not in present]
    if missing:
        raise TemplateError(
            f"{path}: the template lacks {len(missing)} of cba's named cell styles: "
            f"{', '.join(quoted(name) for name in missing)}. Templates must be built from the "
            f"default one ({DEFAULT_TEMPLATE_SOURCE}): copy it, then add your logo and change "
            "colours and fonts in Excel (Home → Cell Styles → Modify) without renaming or "
            "deleting the cba styles"
        )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = set(archive.namelist())
    dropped = _Sanitiser(workbook).run(parts)
    return LoadedTemplate(path, workbook, hashlib.sha256(data).hexdigest(), dropped)


def load_template(path: Path) -> openpyxl.Workbook:
    """The workbook of :func:`open_template` (refused or made safe as it describes), for the
    writer; use :func:`open_template` to learn what was dropped."""
    return open_template(path).workbook


def template_digest(path: Path) -> str:
    """The sha256 of the template file [hex], for the workbook's provenance record (the same as
    :attr:`LoadedTemplate.sha256` when the file has not changed since)."""
    try:
        data = read_regular_file(path, MAX_FILE_BYTES)
    except UnreadableFileError as problem:
        raise TemplateError(f"{path}: the template {problem.reason}. Check the path") from None
    return hashlib.sha256(data).hexdigest()


def fill_cover(workbook: Any, title: str, subtitle: str) -> str | None:
    """Put ``title`` and ``subtitle`` in the template's named cover cells (``cba_cover_title``,
    ``cba_cover_subtitle``) as text, never a formula; the cover sheet's title, or None when
    the template names no cover cells."""
    from cba.io.workbook.cells import FORMULA_TRIGGERS

    cover = None
    for name, text in (("cba_cover_title", title), ("cba_cover_subtitle", subtitle)):
        defined = workbook.defined_names.get(name)
        if defined is None:
            continue
        for sheet_title, coordinate in defined.destinations:
            cell = workbook[sheet_title][coordinate.replace("$", "")]
            cell.value = text
            cell.data_type = "s"
            if text.startswith(FORMULA_TRIGGERS):
                cell.quotePrefix = True
            cover = sheet_title
    return cover
