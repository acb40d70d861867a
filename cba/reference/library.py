"""The shipped reference tables: loading, lookup by ``name@vintage``, and references.

Tables are YAML files in ``cba/reference/tables/`` named ``<name>@<vintage>.yaml``; no value is
written in code. A vintage never changes once shipped (its SHA-256 is pinned in the tests); a new
edition of a publication is a new vintage.

A reference names one value: ``<table>@<vintage>:<entry>.<field>`` (the field may be left out
when the entry has one), or a whole table (``gdp_deflator_fy@2026-03``) where a table is what is
wanted (a scenario's deflator).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cba.reference.table import ReferenceTable, Value

TABLES_DIR = Path(__file__).resolve().parent / "tables"
"""Where the table files are."""

REFERENCE_FORM = re.compile(
    r"^(?P<table>[a-z][a-z0-9_]*)(?:@(?P<vintage>[0-9A-Za-z][0-9A-Za-z.\-]*))?"
    r"(?::(?P<entry>[a-z][a-z0-9_]*)(?:\.(?P<field>[a-z][a-z0-9_]*))?)?$"
)
"""``table@vintage:entry.field``; vintage, entry and field each optional in the grammar (a
scenario's reference must name the vintage)."""


class ReferenceLookupError(ValueError):
    """A reference names no shipped table, vintage, entry or field; the message says what
    there is (with a did-you-mean)."""


@dataclass(frozen=True)
class ShippedTable:
    """A table file as shipped: its validated content and the hash of its bytes."""

    table: ReferenceTable
    sha256: str
    path: Path


@dataclass(frozen=True)
class ReferencedValue:
    """What a reference names: one field of one entry of one table."""

    shipped: ShippedTable
    entry: str
    field: str

    @property
    def value(self) -> Value:
        """The published value (a number, or a series by year)."""
        return self.shipped.table.entries[self.entry].values[self.field]

    @property
    def is_money(self) -> bool:
        """True when the value is in GBP (rebased between price years)."""
        return self.shipped.table.fields[self.field].is_money


def _closest(word: str, candidates: list[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return found[0] if found else None


def _unknown(kind: str, given: str, known: list[str]) -> ReferenceLookupError:
    guess = _closest(given, known)
    hint = f" Did you mean '{guess}'?" if guess else ""
    shown = ", ".join(known[:12]) + (f" and {len(known) - 12} more" if len(known) > 12 else "")
    return ReferenceLookupError(f"no {kind} '{given}'.{hint} There are: {shown}")


def _refuse_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    found: dict[str, object] = {}
    for key, item in pairs:
        if key in found:
            raise ValueError(f"duplicate key {key!r}")
        found[key] = item
    return found


def read_table(path: Path) -> ShippedTable:
    """One table file, validated, with the hash of its bytes (duplicate keys are refused).

    Hand-written tables are YAML; tables written by a script from a publisher's file (the
    whole GMCA database) are JSON, which is YAML too and reads a hundred times faster.
    """
    raw = path.read_bytes()
    if path.suffix == ".json":
        import json

        data = json.loads(raw, object_pairs_hook=_refuse_duplicates)
    else:
        # The project's YAML reader: the tables are written in the subset its fast reader
        # takes, so that reading one does not import ruamel.yaml (a second or so at start-up).
        from cba.io.yaml_loader import plain_yaml

        data = plain_yaml(raw.decode("utf-8"), str(path))
    table = ReferenceTable.model_validate(data)
    expected = f"{table.name}@{table.vintage}{path.suffix}"
    if path.name != expected:
        raise ValueError(
            f"{path.name}: a table's file is named name@vintage{path.suffix}: {expected}"
        )
    return ShippedTable(table, hashlib.sha256(raw).hexdigest(), path)


def table_files(folder: Path = TABLES_DIR) -> dict[tuple[str, str], Path]:
    """Every table file by (name, vintage), from the file names alone."""
    found: dict[tuple[str, str], Path] = {}
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.json")]):
        name, _, vintage = path.stem.partition("@")
        if (name, vintage) in found:
            raise ValueError(f"{name}@{vintage} is shipped twice")
        found[(name, vintage)] = path
    return found


class ReferenceLibrary:
    """Every shipped table, by name and vintage; a table file is read when first asked for."""

    def __init__(
        self,
        tables: list[ShippedTable] | None = None,
        files: dict[tuple[str, str], Path] | None = None,
    ) -> None:
        self._files = dict(files or {})
        self._read: dict[tuple[str, str], ShippedTable] = {}
        for shipped in tables or []:
            key = (shipped.table.name, shipped.table.vintage)
            if key in self._read or key in self._files:
                raise ValueError(f"{shipped.table.label} is shipped twice")
            self._read[key] = shipped
        self._by_name: dict[str, list[str]] = {}
        for name, vintage in sorted([*self._files, *self._read]):
            self._by_name.setdefault(name, []).append(vintage)

    def _get(self, name: str, vintage: str) -> ShippedTable:
        key = (name, vintage)
        if key not in self._read:
            self._read[key] = read_table(self._files[key])
        return self._read[key]

    @property
    def tables(self) -> list[ShippedTable]:
        """Every table, by name then vintage (each file is read)."""
        return [self._get(name, v) for name, vintages in self._by_name.items() for v in vintages]

    def vintages(self, name: str) -> list[str]:
        """The vintages of a table, oldest first (vintage labels sort in publication order:
        dates as YYYY-MM, editions as numbers; a test checks it against the dates)."""
        if name not in self._by_name:
            raise _unknown("reference table", name, sorted(self._by_name))
        return list(self._by_name[name])

    def table(self, name: str, vintage: str | None = None) -> ShippedTable:
        """One table; the latest vintage when none is given."""
        vintages = self.vintages(name)
        if vintage is None:
            return self._get(name, vintages[-1])
        if vintage not in vintages:
            raise _unknown(f"vintage of {name}", vintage, vintages)
        return self._get(name, vintage)

    def parse(self, reference: str, *, need_vintage: bool = True) -> ShippedTable:
        """The table a reference names (entry and field not looked at)."""
        match = REFERENCE_FORM.match(reference.strip())
        if match is None:
            raise ReferenceLookupError(
                f"'{reference}' is not a reference: write table@vintage:entry.field, e.g. "
                "gmca_unit_costs@1.4:burglary_dwelling.police"
            )
        name, vintage = match["table"], match["vintage"]
        if vintage is None and need_vintage:
            latest = self.vintages(name)[-1]
            raise ReferenceLookupError(
                f"'{reference}' names no vintage: a scenario names the edition it uses, so "
                f"that the figures do not change when a new one is shipped. Write "
                f"{name}@{latest}{reference.strip()[len(name) :]} (the latest; cba reference "
                f"show {name} lists them)"
            )
        return self.table(name, vintage)

    def value(self, reference: str) -> ReferencedValue:
        """The value a reference names."""
        shipped = self.parse(reference)
        table = shipped.table
        match = REFERENCE_FORM.match(reference.strip())
        assert match is not None
        entry, field = match["entry"], match["field"]
        if entry is None:
            raise ReferenceLookupError(
                f"'{reference}' names a table, not a value: add :entry.field "
                f"(entries: {', '.join(list(table.entries)[:8])}...)"
            )
        if entry not in table.entries:
            raise _unknown(f"entry in {table.label}", entry, list(table.entries))
        fields = list(table.entries[entry].values)
        if field is None:
            if len(fields) != 1:
                raise ReferenceLookupError(
                    f"'{reference}': entry {entry} has several values; name one: "
                    + ", ".join(f"{entry}.{f}" for f in fields)
                )
            field = fields[0]
        if field not in fields:
            raise _unknown(f"value of {table.label}:{entry}", field, fields)
        return ReferencedValue(shipped, entry, field)

    def search(self, words: str) -> list[tuple[ShippedTable, str | None]]:
        """Tables whose name, title, publisher, edition or notes, and entries whose name,
        label or bearer (with their table's name and title) contain every word (case ignored):
        (table, entry) pairs, entry None for a match on the table itself."""
        terms = [w.lower() for w in words.split() if w]
        found: list[tuple[ShippedTable, str | None]] = []
        for shipped in self.tables:
            t = shipped.table
            head = " ".join([t.label, t.title, t.publisher, t.edition, t.notes]).lower()
            if terms and all(w in head for w in terms):
                found.append((shipped, None))
                continue
            title = " ".join([t.label, t.title, t.publisher]).lower()
            for name, entry in t.entries.items():
                text = " ".join([title, name, entry.label, entry.bears or ""]).lower()
                if terms and all(w in text for w in terms):
                    found.append((shipped, name))
        return found


@cache
def reference_library() -> ReferenceLibrary:
    """The shipped tables, read once per process."""
    return ReferenceLibrary(files=table_files())
