"""The files of a batch run (``cba batch``) for analysts: a table of every area and option
(CSV, and Parquet where pyarrow is installed) and the whole run as JSON with units.

Deterministic: the same results give the same bytes (floats written as Python's shortest
round-trip form; no timestamps). The JSON results list each data file's name and sha256, which
is how ``cba`` recognises, on a later run, a table it wrote (a CSV file carries no mark).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

from cba.batch_results import BatchResults
from cba.io.json_results import plain_data

RESULTS_NAME = "batch.json"
"""The JSON results' file name in a batch's output folder."""
TABLE_NAME = "areas"
"""The table's file name (``areas.csv``, ``areas.parquet``) in a batch's output folder."""
SUMMARY_NAME = "summary.xlsx"
"""The summary workbook's file name in a batch's output folder."""
WORKBOOKS_FOLDER = "workbooks"
"""The folder of per-area workbooks (``--workbooks``)."""
STORE_FOLDER = "chunks"
"""The folder of finished Monte Carlo chunks (``--resume`` reads it)."""

BATCH_JSON_VERSION = "1.0"
"""Format of the JSON results of ``cba batch``."""

MAX_RESULTS_BYTES = 512 * 1024 * 1024
"""Largest existing JSON results file read to recognise it [bytes]."""

RESULT_COLUMNS = (
    "area_id",
    "name",
    "option",
    "npsv",
    "npsv_excluding_community_inputs",
    "pv_benefits",
    "pv_public_costs",
    "pv_non_public_costs",
    "pv_community_inputs",
    "pv_marginal_excess_tax_burden",
    "bcr_public",
    "bcr_public_and_community",
    "value_for_money",
    "npsv_mean",
    "npsv_p5",
    "npsv_p95",
    "probability_npsv_positive",
)
"""The table's columns before the area's attributes (``attribute.<name>``)."""

BATCH_UNITS: dict[str, str] = {
    "npsv, npsv_excluding_community_inputs, pv_benefits, pv_public_costs, pv_non_public_costs, "
    "pv_community_inputs, pv_marginal_excess_tax_burden, npsv_mean, npsv_p5, npsv_p95, "
    "total_npsv, total_npsv_excluding_community_inputs, total_pv_benefits, "
    "total_pv_public_costs, total_pv_community_inputs, "
    "npsv_percentiles": "GBP, present value, real terms at price_base_year; incremental (the "
    "option less the template's counterfactual in the same area)",
    "bcr_public, bcr_public_and_community, bcr_public_of_totals, bcr_percentiles": (
        "ratio; null where undefined (no public cost)"
    ),
    "probability_npsv_positive, mean_probability_npsv_positive": (
        "probability over the area's draws (0 to 1); null without draws"
    ),
    "npsv_percentiles, bcr_percentiles": "across the areas: minimum, 25th, median, 75th, maximum",
    "attributes": "each attribute in the unit the template's area: block gives it",
    "row": "the row as the area table numbers it (CSV: its line; the header is line 1)",
}
"""Units of the fields of the JSON results and the table's columns."""


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def result_rows(results: BatchResults) -> tuple[list[str], list[list[object]]]:
    """The table's header and rows: one per area and option, in the table's order, with the
    area's attributes last (``attribute.<name>``)."""
    names = sorted({name for area in results.inputs for name in area.attributes})
    header = [*RESULT_COLUMNS, *(f"attribute.{name}" for name in names)]
    attributes = {area.area_id: area.attributes for area in results.inputs}
    rows: list[list[object]] = []
    for r in results.results:
        own = attributes[r.area_id]
        rows.append(
            [
                r.area_id,
                r.name,
                r.option_id,
                r.npsv,
                r.npsv_excluding_community_inputs,
                r.pv_benefits,
                r.pv_public_costs,
                r.pv_non_public_costs,
                r.pv_community_inputs,
                r.pv_marginal_excess_tax_burden,
                r.bcr_public,
                r.bcr_public_and_community,
                r.value_for_money,
                r.npsv_mean,
                r.npsv_p5,
                r.npsv_p95,
                r.probability_npsv_positive,
                *(own.get(name) for name in names),
            ]
        )
    return header, rows


def csv_bytes(results: BatchResults) -> bytes:
    """The table as UTF-8 CSV ("\\n" line endings; empty cells for undefined figures).

    A text cell that a spreadsheet program would read as a formula (starting ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return) is written with a leading apostrophe: names from
    the area table never become formulas when the file is opened.
    """
    header, rows = result_rows(results)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe(_cell(v)) if isinstance(v, str) else _cell(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def _safe(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def parquet_available() -> bool:
    """Whether pyarrow is installed (Parquet is written beside the CSV only then)."""
    import importlib.util

    return importlib.util.find_spec("pyarrow") is not None


def parquet_bytes(results: BatchResults) -> bytes | None:
    """The table as Parquet (numbers as float64, text as strings), or None without pyarrow."""
    try:
        import pyarrow as pa  # type: ignore[import-not-found, import-untyped, unused-ignore]
        import pyarrow.parquet as pq  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        return None
    header, rows = result_rows(results)
    text = {"area_id", "name", "option", "value_for_money"}
    columns = {}
    for index, name in enumerate(header):
        values = [row[index] for row in rows]
        kind = pa.string() if name in text else pa.float64()
        columns[name] = pa.array(values, type=kind)
    table = pa.table(columns)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd", write_statistics=False)
    return buffer.getvalue()


def json_bytes(results: BatchResults, provenance: dict[str, Any], files: dict[str, bytes]) -> bytes:
    """The whole run as JSON: format, units, provenance, the data files' sha256, then every
    field of the results."""
    document = {
        "cba_batch": BATCH_JSON_VERSION,
        "units": BATCH_UNITS,
        "provenance": provenance,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
        **plain_data(results),
    }
    return (json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode(
        "utf-8"
    )


def _document(path: Path) -> dict[str, Any] | None:
    try:
        if path.stat().st_size > MAX_RESULTS_BYTES:
            return None
        data = path.read_bytes()
        document = json.loads(data.decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def is_cba_batch_results(path: Path) -> bool:
    """Whether ``path`` is the JSON results of ``cba batch``."""
    document = _document(path)
    return (
        document is not None
        and isinstance(document.get("cba_batch"), str)
        and isinstance(document.get("provenance"), dict)
        and isinstance(document.get("files"), dict)
        and isinstance(document.get("units"), dict)
    )


def is_cba_batch_file(path: Path, results_name: str) -> bool:
    """Whether ``path`` is a data file of a batch run: the JSON results beside it
    (``results_name``) are cba's and record this file's name with its current sha256."""
    document = _document(path.parent / results_name)
    if document is None or not isinstance(document.get("cba_batch"), str):
        return False
    files = document.get("files")
    if not isinstance(files, dict) or not isinstance(files.get(path.name), str):
        return False
    try:
        return bool(hashlib.sha256(path.read_bytes()).hexdigest() == files[path.name])
    except OSError:
        return False
