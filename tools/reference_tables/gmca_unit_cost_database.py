"""Write cba/reference/tables/gmca_unit_costs@1.4.json from the GMCA / New Economy Unit Cost
Database v1.4 workbook (March 2015, CC BY 4.0).

How the shipped table was made, so an auditor can make it again:

    git -C <econstack-data snapshot> show HEAD:src/gmca-raw/unit-cost-database.xlsx > ucd.xlsx
    python tools/reference_tables/gmca_unit_cost_database.py ucd.xlsx

The workbook's sha256 is recorded in the table. Every row with a cost code on the seven data
sheets becomes one entry (code CR8.7.1 -> entry cr8_7_1) with its fiscal, economic and social
values *as first estimated* and the year each was estimated in. The workbook's "Updated"
columns (uprated to 2015/16 with the March 2015 deflator) are not copied: cba rebases with the
deflator vintage the scenario chooses. Cells that are formulas are read as the workbook last
calculated them.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

SHEETS = (
    "Crime",
    "Education & Skills",
    "Employment & Economy",
    "Fire",
    "Health",
    "Housing",
    "Social Services",
)
OUT = Path(__file__).resolve().parents[2] / "cba/reference/tables/gmca_unit_costs@1.4.json"


def metadata(sha: str) -> dict[str, Any]:
    """The table's metadata (everything but its entries)."""
    return {
        "name": "gmca_unit_costs",
        "vintage": "1.4",
        "kind": "values",
        "title": "Unit Cost Database",
        "publisher": "New Economy (now part of the Greater Manchester Combined Authority)",
        "edition": "v1.4, updated March 2015",
        "published": "2015-03",
        "url": (
            "https://www.greatermanchester-ca.gov.uk/what-we-do/research/"
            "research-cost-benefit-analysis/"
        ),
        "licence": (
            "Creative Commons Attribution 4.0 International (stated on the workbook's "
            "Introduction sheet). Authors named there: Francis Markus, Julian Cox, David Morris, "
            "Rupert Greenhalgh (New Economy)."
        ),
        "copy_read": (
            f"The v1.4 workbook itself (unit-cost-database.xlsx, sha256 {sha}), held in the "
            "public repository charlescoverdale/econstack-data at "
            "src/gmca-raw/unit-cost-database.xlsx, read cell by cell (cached values of formula "
            "cells) by tools/reference_tables/gmca_unit_cost_database.py. Not obtained from "
            "GMCA directly."
        ),
        "read": "READ-PRIMARY-COPY",
        "year_basis": "financial",
        "grade_scale": (
            'The workbook\'s "RAG assessment" column, its overall confidence in the figure: G '
            "(green, robust and recent), A (amber), R (red: old data or weak method; use with "
            "care)."
        ),
        "uprating": {
            "method": "gdp_deflator",
            "rule_source": (
                "The workbook's Guidance sheet: \"All costs are updated to account for "
                'inflation" with the HM Treasury GDP deflator (its Lookups sheet holds the '
                "March 2015 release)."
            ),
        },
        "fields": {
            "fiscal": {
                "unit": "GBP",
                "description": (
                    "Fiscal value: the cost to (or saving for) the public sector, borne by the "
                    'agency the entry names ("When looking at the financial case for a '
                    'project, only the fiscal values should be considered", Guidance sheet).'
                ),
            },
            "economic": {
                "unit": "GBP",
                "description": (
                    "Economic value: net increase in earnings or growth in the local economy "
                    "(costs falling to individuals and businesses, e.g. lost property, "
                    "self-funded care)."
                ),
            },
            "social": {
                "unit": "GBP",
                "description": (
                    "Social value: wider gains to society (e.g. the physical and emotional "
                    "impact on victims of crime, health and wellbeing)."
                ),
            },
        },
        "notes": (
            "Values are the original estimates in their original price years; the database's "
            'own "updated" 2015/16 column is not copied (cba rebases with the scenario\'s '
            "deflator). The database reproduces Home Office 2010/11 costs of crime (IOM "
            "toolkit, 2011) split into fiscal (by agency: sub-rows .1 police to .6 NHS), "
            "economic and social parts (CR8 rows). One valued row has no cost code in the "
            "workbook (Crime sheet, after CR8.0: average police cost per incident across all "
            "crime) and is not shipped. Written by a script from the workbook: do not edit by "
            "hand; a shipped vintage never changes."
        ),
    }


def _entry_name(code: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", code.lower().replace("&", "")).strip("_")


def _year(text: object) -> int:
    match = re.fullmatch(r"(\d{4})/\d{2}", str(text).strip())
    if match is None:
        raise ValueError(f"not a financial year: {text!r}")
    return int(match[1])


def _text(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def entries(book: Any) -> dict[str, dict[str, Any]]:
    """Every valued row with a cost code, as table entries."""
    found: dict[str, dict[str, Any]] = {}
    for sheet in SHEETS:
        for row in book[sheet].iter_rows(min_row=3, values_only=True):
            code = row[2]
            if not code or not str(code).strip():
                continue  # one valued row has a blank code (Crime, after CR8.0): see notes
            values: dict[str, float] = {}
            years: dict[str, int] = {}
            for field, (value, year) in zip(
                ("fiscal", "economic", "social"),
                ((row[7], row[8]), (row[10], row[11]), (row[13], row[14])),
                strict=True,
            ):
                if isinstance(value, int | float):
                    values[field] = float(value)
                    years[field] = _year(year)
            if not values:
                continue
            main_year = years.get("fiscal", next(iter(years.values())))
            entry: dict[str, Any] = {"label": f"{code} {_text(row[3])}"}
            if row[4]:
                entry["per"] = _text(row[4]).lower()
            bears = " / ".join(_text(x) for x in (row[5], row[6]) if x)
            if bears:
                entry["bears"] = bears
            entry["price_year"] = main_year
            other_years = {f: y for f, y in years.items() if y != main_year}
            if other_years:
                entry["field_price_years"] = other_years
            entry["values"] = values
            if row[17]:
                entry["grade"] = _text(row[17])
            source = f"Sheet {sheet}, code {code}. Original source: {_text(row[16])}"
            entry["source"] = source[:1200]
            comment = _text(row[18])
            if comment:
                entry["note"] = comment if len(comment) <= 1500 else comment[:1497] + "..."
            found[_entry_name(str(code))] = entry
    return found


def main(workbook: Path) -> None:
    import openpyxl

    raw = workbook.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    book = openpyxl.load_workbook(workbook, data_only=True, read_only=True)
    table = {**metadata(sha), "entries": entries(book)}
    OUT.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT} from workbook sha256 {sha}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
