"""Load a workbook template safely: styles, names, page setup and branding for the writer.

A template may come from outside (a partner's branded copy of the default one), so it is
treated as untrusted: its size, zip structure and content type are checked **before** openpyxl
parses it, from the zip's own directory, and openpyxl parses it with defusedxml (which refuses
XML entity bombs and external entities). Each refusal is a :class:`TemplateError` that says what
is wrong and how to fix it.

Limits (see ``docs`` ``excel.md``, "Untrusted input": a 310 KB zip bomb used 361 MB of memory):

- the file itself: at most :data:`MAX_FILE_BYTES` (20 MiB);
- all members together, uncompressed: at most :data:`MAX_UNCOMPRESSED_BYTES` (100 MiB);
- any one member: compression ratio at most :data:`MAX_COMPRESSION_RATIO` (200);
- at most :data:`MAX_MEMBERS` members.

The sizes checked are those the zip directory declares; Python's zipfile stops decompressing a
member at its declared size and checks its CRC, so a zip that lies about them cannot expand
further when openpyxl reads it.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
import zlib
from pathlib import Path
from typing import Final
from xml.etree.ElementTree import Element

import openpyxl  # type: ignore[import-untyped, unused-ignore]
from defusedxml import DefusedXmlException  # type: ignore[import-untyped, unused-ignore]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped, unused-ignore]

from cba.io.workbook.styles import REQUIRED_STYLES

DEFAULT_TEMPLATE: Final[Path] = Path(__file__).with_name("default_template.xlsx")
"""The default template shipped inside the package (a copy of ``templates/xlsx/default.xlsx``)."""

DEFAULT_TEMPLATE_SOURCE: Final = "templates/xlsx/default.xlsx"
"""Where the default template lives in the repository, for messages."""

MAX_FILE_BYTES: Final = 20 * 1024 * 1024
"""Largest template file accepted [bytes]."""

MAX_UNCOMPRESSED_BYTES: Final = 100 * 1024 * 1024
"""Largest total uncompressed size of the template's zip members [bytes]."""

MAX_COMPRESSION_RATIO: Final = 200
"""Largest uncompressed/compressed size ratio of any one zip member."""

MAX_MEMBERS: Final = 10_000
"""Most zip members accepted (a workbook template has a few dozen)."""

_CONTENT_TYPES = "[Content_Types].xml"
_WORKBOOK_PART = "xl/workbook.xml"
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


class TemplateError(Exception):
    """A workbook template cannot be used; the message says why and how to fix it."""


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


def _read(path: Path) -> bytes:
    if not path.exists():
        raise TemplateError(
            f"{path}: template not found. Check the path, or leave the template out to use "
            f"the default one ({DEFAULT_TEMPLATE_SOURCE})"
        )
    if not path.is_file():
        raise TemplateError(f"{path}: is not a file; give the path of an .xlsx template")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise TemplateError(
                f"{path}: template is too large ({_mib(size)}; the limit is "
                f"{_mib(MAX_FILE_BYTES)}). A template holds styles, names, page setup and a "
                "logo only: delete data sheets and large pictures, or start again from "
                f"{DEFAULT_TEMPLATE_SOURCE}"
            )
        with path.open("rb") as stream:
            # One read, bounded: the checks below and openpyxl see the same bytes.
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise TemplateError(f"{path}: cannot read the template: {exc.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise TemplateError(f"{path}: template is larger than {_mib(MAX_FILE_BYTES)}")
    return data


def _not_a_zip(path: Path, data: bytes) -> TemplateError:
    if data.startswith(_OLE_MAGIC):
        return TemplateError(
            f"{path}: not an .xlsx workbook: this is an old-style .xls workbook or a "
            f"password-protected one. Remove any password, then {_SAVE_AS_XLSX}"
        )
    return TemplateError(
        f"{path}: not an .xlsx workbook: the file is not a zip archive (an .xlsx is one), or "
        f"it is damaged. Use an .xlsx built from {DEFAULT_TEMPLATE_SOURCE}"
    )


def _check_sizes(path: Path, members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_MEMBERS:
        raise TemplateError(
            f"{path}: refused: the zip archive has {len(members)} members (the limit is "
            f"{MAX_MEMBERS}); a workbook template has a few dozen"
        )
    total = sum(member.file_size for member in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise TemplateError(
            f"{path}: refused as a possible zip bomb: it would expand to {_mib(total)} "
            f"(the limit is {_mib(MAX_UNCOMPRESSED_BYTES)}). Use a template built from "
            f"{DEFAULT_TEMPLATE_SOURCE}, holding styles and branding only"
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > MAX_COMPRESSION_RATIO:
            raise TemplateError(
                f"{path}: refused as a possible zip bomb: member {member.filename!r} is "
                f"compressed {ratio:.0f} to 1 (the limit is {MAX_COMPRESSION_RATIO} to 1). "
                f"Use a template built from {DEFAULT_TEMPLATE_SOURCE}"
            )


def _check_content_type(path: Path, archive: zipfile.ZipFile, names: set[str]) -> None:
    if "mimetype" in names and _CONTENT_TYPES not in names:
        raise TemplateError(
            f"{path}: not an .xlsx workbook: this looks like an OpenDocument file (.ods); "
            f"{_SAVE_AS_XLSX}"
        )
    if _CONTENT_TYPES not in names or _WORKBOOK_PART not in names:
        missing = _CONTENT_TYPES if _CONTENT_TYPES not in names else _WORKBOOK_PART
        raise TemplateError(
            f"{path}: not an .xlsx workbook: the zip archive has no {missing}. Use an .xlsx "
            f"built from {DEFAULT_TEMPLATE_SOURCE}"
        )
    try:
        root: Element = fromstring(archive.read(_CONTENT_TYPES))
    except (DefusedXmlException, SyntaxError, ValueError) as exc:
        raise TemplateError(
            f"{path}: not a valid .xlsx workbook: {_CONTENT_TYPES}: {exc}"
        ) from None
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError) as exc:
        raise TemplateError(f"{path}: the zip archive is damaged: {exc}") from None
    content_type = ""
    all_types: set[str] = set()
    for entry in root:
        all_types.add(entry.get("ContentType", "").lower())
        if entry.get("PartName", "").lstrip("/") == _WORKBOOK_PART:
            content_type = entry.get("ContentType", "")
    if content_type in _MACRO_TYPES:
        raise TemplateError(
            f"{path}: refused: this is a macro-enabled workbook ({_MACRO_TYPES[content_type]}); "
            f"templates must not contain macros. To remove them, {_SAVE_AS_XLSX}"
        )
    if any(
        "vbaproject" in name.lower() or name.startswith("xl/macrosheets/") for name in names
    ) or any("vbaproject" in kind or "macro" in kind for kind in all_types):
        raise TemplateError(
            f"{path}: refused: the workbook contains macros (VBA or Excel 4.0 macro sheets); "
            f"templates must not. To remove them, {_SAVE_AS_XLSX}"
        )
    if content_type not in _XLSX_TYPES:
        found = f"content type {content_type!r}" if content_type else "no content type"
        raise TemplateError(
            f"{path}: not an .xlsx workbook: its {_WORKBOOK_PART} has {found}; expected an "
            f"Excel workbook (.xlsx). {_SAVE_AS_XLSX[0].upper()}{_SAVE_AS_XLSX[1:]}"
        )


def _check_archive(path: Path, data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            _check_sizes(path, members)
            _check_content_type(path, archive, {member.filename for member in members})
    except zipfile.BadZipFile:
        raise _not_a_zip(path, data) from None


def check_xlsx(path: Path) -> bytes:
    """Read an .xlsx from outside and check its size, zip structure and content type before
    anything parses it; returns its bytes. Raises TemplateError."""
    data = _read(path)
    _check_archive(path, data)
    return data


def _unreadable(path: Path, exc: Exception) -> TemplateError:
    # openpyxl wraps parse errors in a ValueError naming the step ("could not read stylesheet");
    # the original error, at the end of the chain, says what is wrong.
    step = re.search(r"could not (.+?) from ", str(exc))
    cause: BaseException = exc
    while (inner := cause.__cause__ or cause.__context__) is not None:
        cause = inner
    if isinstance(cause, DefusedXmlException):
        return TemplateError(
            f"{path}: refused: the workbook's XML declares entities ({type(cause).__name__}), "
            f"which Excel never writes and XML entity bombs rely on. Use a template built from "
            f"{DEFAULT_TEMPLATE_SOURCE}"
        )
    where = f" (could not {step.group(1)})" if step else ""
    return TemplateError(
        f"{path}: openpyxl cannot read this workbook{where}: {type(cause).__name__}: {cause}. "
        f"Open it in Excel and save it again, or start again from {DEFAULT_TEMPLATE_SOURCE}"
    )


def load_template(path: Path) -> openpyxl.Workbook:
    """Load a workbook template, refusing anything unsafe or unusable.

    Parameters
    ----------
    path
        An .xlsx file built from the default template (:data:`DEFAULT_TEMPLATE`), e.g. a copy
        a partner has branded with a logo and colours.

    Returns
    -------
    openpyxl.Workbook
        The template, loaded without macros (``keep_vba=False``) and without links to other
        workbooks (``keep_links=False``).

    Raises
    ------
    TemplateError
        If the file is missing, too large, not an .xlsx workbook, macro-enabled, a possible zip
        bomb, unreadable by openpyxl (including XML entity bombs), or lacks any of the named
        styles in :data:`~cba.io.workbook.styles.REQUIRED_STYLES`.
    """
    data = _read(path)
    _check_archive(path, data)
    if not openpyxl.DEFUSEDXML:
        raise TemplateError(
            f"{path}: cannot load a template safely: the defusedxml package is missing or "
            "disabled (OPENPYXL_DEFUSEDXML). Reinstall cba with its dependencies"
        )
    try:
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
            f"{', '.join(repr(name) for name in missing)}. Templates must be built from the "
            f"default one ({DEFAULT_TEMPLATE_SOURCE}): copy it, then add your logo and change "
            "colours and fonts in Excel (Home → Cell Styles → Modify) without renaming or "
            "deleting the cba styles"
        )
    return workbook


def template_digest(path: Path) -> str:
    """The sha256 of the template file [hex], for the workbook's provenance record."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise TemplateError(f"{path}: cannot read the template: {exc.strerror}") from None
    return digest.hexdigest()
