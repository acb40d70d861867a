"""Turn openpyxl's output into a reproducible, self-describing .xlsx file.

- **Cached values**: openpyxl writes formulas with empty values; every formula recorded in the
  ledger gets the engine's value written in, so readers without a calculation engine see the
  numbers (and a real spreadsheet program recalculates them on open).
- **Byte identity**: openpyxl stamps the current time into docProps/core.xml and local times
  onto zip entries; both are fixed here, keeping openpyxl's member order (docs/excel.md).
- **Content digest**: sha256 over the decompressed members, stable across zlib builds, for
  audits in another environment; the file's own sha256 is the stronger same-environment check.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping

from cba.io.workbook.cells import FormulaLedger


def escape(text: str) -> str:
    """``text`` escaped for XML character data (``&``, ``<``, ``>``), as
    ``xml.sax.saxutils.escape`` does; that module imports urllib, http and ssl (tens of
    milliseconds on every run)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


FIXED_TIME = "2000-01-01T00:00:00Z"
"""created/modified recorded in every workbook (the real run time would break byte identity)."""
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

_CORE_TIME = re.compile(
    rb"(<dcterms:(created|modified) xsi:type=\"dcterms:W3CDTF\">)[^<]*(</dcterms:\2>)"
)


def _number(value: float | int) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def inject_cached_values(xml: bytes, values: dict[str, float | str]) -> bytes:
    """Write each formula cell's value into a worksheet's XML."""
    if not values:
        return xml

    def fill(match: re.Match[bytes]) -> bytes:
        reference = match.group(2).decode()
        if reference not in values:
            return match.group(0)
        value = values[reference]
        attributes = match.group(3)
        if isinstance(value, str):
            attributes = re.sub(rb' t="[^"]*"', b"", attributes) + b' t="str"'
            cached = escape(value).encode()
        else:
            cached = _number(value).encode()
        return (
            b'<c r="'
            + match.group(2)
            + b'"'
            + attributes
            + b">"
            + match.group(4)
            + b"<v>"
            + cached
            + b"</v></c>"
        )

    pattern = re.compile(rb'(<c r=")([A-Z]+[0-9]+)"([^>]*)>(<f>.*?</f>)<v\s*/></c>', re.DOTALL)
    return pattern.sub(fill, xml)


Splice = Callable[[bytes], tuple[bytes, Iterable[bytes], bytes]]
"""Cuts a member's XML into (before, parts streamed in between, after)."""

LARGE_MEMBER = 1 << 30
"""A spliced member that may grow beyond this many bytes is written with ZIP64 headers."""


def reproducible_xlsx(
    raw: bytes,
    sheet_values: dict[str, dict[str, float | str]],
    splices: Mapping[str, tuple[Splice, int]] | None = None,
) -> bytes:
    """Rewrite an .xlsx: cached values in, fixed times, fixed zip metadata, same order.

    ``sheet_values`` maps a member name (``xl/worksheets/sheet2.xml``) to cell values.
    ``splices`` maps a member name to a function that cuts its XML and streams parts into it
    (the Draws sheet's rows), with a bound on the size it may reach [bytes]; the member is
    compressed as it is streamed, never held whole.
    """
    source = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _CORE_TIME.sub(rb"\g<1>" + FIXED_TIME.encode() + rb"\g<3>", data)
            elif info.filename in sheet_values:
                data = inject_cached_values(data, sheet_values[info.filename])
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            entry.create_system = 0
            if splices and info.filename in splices:
                cut, bound = splices[info.filename]
                before, parts, after = cut(data)
                # the zlib default level is 6, as for every other member
                with target.open(entry, "w", force_zip64=bound > LARGE_MEMBER) as member:
                    member.write(before)
                    for part in parts:
                        member.write(part)
                    member.write(after)
                continue
            target.writestr(entry, data, compresslevel=6)
    return out.getvalue()


def sheet_member_names(titles: list[str]) -> dict[str, str]:
    """openpyxl writes worksheets as xl/worksheets/sheet<N>.xml in workbook order."""
    return {title: f"xl/worksheets/sheet{i + 1}.xml" for i, title in enumerate(titles)}


def ledger_by_member(ledger: FormulaLedger, titles: list[str]) -> dict[str, dict[str, float | str]]:
    """The ledger keyed by zip member instead of sheet title."""
    members = sheet_member_names(titles)
    return {members[title]: values for title, values in ledger.expected.items()}


def content_digest(xlsx: bytes) -> str:
    """sha256 over every member's name and decompressed bytes, in name order."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            digest.update(info.filename.encode() + b"\0" + str(info.file_size).encode() + b"\0")
            with archive.open(info) as member:  # streamed: a Draws sheet may be large
                while block := member.read(1 << 20):
                    digest.update(block)
    return digest.hexdigest()
