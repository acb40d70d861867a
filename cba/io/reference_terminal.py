"""``cba reference``: the shipped reference tables in the terminal and as JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cba.io.terminal import plain, prose

if TYPE_CHECKING:
    from rich.console import Console

    from cba.reference.library import ShippedTable
    from cba.reference.table import ReferenceTable, Value


def _figure(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return f"{value:,.0f}"
    return f"{value:,.4f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.2f}"


def value_text(value: Value) -> str:
    """A value in words: a number, or a series' first and last years."""
    if isinstance(value, dict):
        years = sorted(value)
        first, last = years[0], years[-1]
        return f"{first}-{last}: {_figure(value[first])} ... {_figure(value[last])}"
    return _figure(value)


def _price(table: ReferenceTable, entry: str, field: str) -> str:
    if not table.fields[field].is_money:
        return ""
    year = table.price_year_of(entry, field)
    return f", {_year_label(year, table.year_basis)} prices" if year is not None else ""


def _year_label(year: int, basis: str) -> str:
    """``2010-11`` for a financial year, ``2010`` for a calendar year."""
    return f"{year}-{(year + 1) % 100:02d}" if basis == "financial" else str(year)


def table_summary(shipped: ShippedTable) -> dict[str, Any]:
    """One table's metadata as JSON-ready data."""
    t = shipped.table
    return {
        "table": t.label,
        "name": t.name,
        "vintage": t.vintage,
        "kind": t.kind,
        "title": t.title,
        "publisher": t.publisher,
        "edition": t.edition,
        "published": t.published,
        "url": t.url,
        "licence": t.licence,
        "copy_read": t.copy_read,
        "read": t.read,
        "price_year": t.price_year,
        "year_basis": t.year_basis,
        "grade_scale": t.grade_scale,
        "uprating": t.uprating.model_dump(),
        "fields": {name: f.model_dump() for name, f in t.fields.items()},
        "entries": len(t.entries),
        "notes": t.notes,
        "sha256": shipped.sha256,
    }


def entry_data(shipped: ShippedTable, name: str) -> dict[str, Any]:
    """One entry as JSON-ready data, with the reference that names each of its values."""
    t = shipped.table
    entry = t.entries[name]
    return {
        "entry": name,
        "label": entry.label,
        "values": {
            field: {
                "reference": f"{t.label}:{name}.{field}",
                "value": [[y, v] for y, v in sorted(value.items())]
                if isinstance(value, dict)
                else value,
                "unit": t.unit_of(name, field),
                "price_year": t.price_year_of(name, field) if t.fields[field].is_money else None,
            }
            for field, value in entry.values.items()
        },
        "bears": entry.bears,
        "grade": entry.grade,
        "read": t.read_of(name),
        "source": entry.source,
        "note": entry.note,
    }


def print_table_list(tables: list[ShippedTable], console: Console) -> None:
    """Every shipped table: its reference, title, publisher, price year and how it was read."""
    for shipped in tables:
        t = shipped.table
        console.print(plain(t.label, "bold"), soft_wrap=True)
        money = any(f.is_money for f in t.fields.values())
        if t.kind != "values":
            prices = t.kind.replace("_", " ") + " series"
        elif not money:
            prices = "no money values"
        elif t.price_year is not None:
            prices = f"{_year_label(t.price_year, t.year_basis)} prices"
        else:
            prices = "price year by entry"
        count = f"{len(t.entries)} {'entry' if len(t.entries) == 1 else 'entries'}"
        prose(
            console,
            f"{t.title}. {t.publisher}, {t.edition}. {count}; {prices}; "
            f"years are {t.year_basis} years; read: {t.read}.",
            indent=2,
        )
    console.print()
    prose(
        console,
        "Name a value in a scenario as {ref: table@vintage:entry.field}; cba reference show "
        "TABLE lists its entries, cba reference search WORDS finds them.",
        "dim",
    )


def print_table(shipped: ShippedTable, console: Console, only: str | None = None) -> None:
    """A table's metadata and its entries (or one entry in full)."""
    t = shipped.table
    console.print(plain(f"{t.label}: {t.title}", "bold"), soft_wrap=True)
    if only is None:
        for label, text in (
            ("Publisher", t.publisher),
            ("Edition", t.edition),
            ("Published", t.published),
            ("URL", t.url),
            ("Licence", t.licence),
            ("Price year", str(t.price_year) if t.price_year is not None else "by entry"),
            ("Years", f"{t.year_basis} years"),
            (
                "Uprating",
                t.uprating.method
                + (f": {t.uprating.rule_source}" if t.uprating.rule_source else ""),
            ),
            ("Read", f"{t.read}: {t.copy_read}"),
            ("Grades", t.grade_scale or ""),
            ("Notes", t.notes),
            ("sha256", shipped.sha256),
        ):
            if text:
                prose(console, f"{label}: {text}", indent=2)
        console.print()
        console.print(plain("Fields", "bold"))
        for name, field in t.fields.items():
            prose(console, f"{name} [{field.unit}]: {field.description}", indent=2)
        console.print()
        console.print(plain(f"Entries ({len(t.entries)})", "bold"))
    names = [only] if only is not None else list(t.entries)
    for name in names:
        _print_entry(shipped, name, console, full=only is not None)


def _print_entry(shipped: ShippedTable, name: str, console: Console, *, full: bool) -> None:
    t = shipped.table
    entry = t.entries[name]
    console.print(plain(f"  {t.label}:{name}", "bold"), soft_wrap=True)
    prose(console, entry.label, indent=4)
    for field, value in entry.values.items():
        unit = t.unit_of(name, field)
        prose(console, f"{field} = {value_text(value)} {unit}{_price(t, name, field)}", indent=4)
    extras = []
    if entry.grade:
        extras.append(f"grade {entry.grade}")
    if entry.read:
        extras.append(f"read: {entry.read}")
    if entry.bears:
        extras.append(f"borne by: {entry.bears}")
    if extras:
        prose(console, "; ".join(extras), "dim", indent=4)
    if full:
        prose(console, f"Source: {entry.source}", indent=4)
        if entry.note:
            prose(console, f"Note: {entry.note}", indent=4)
        for field, value in entry.values.items():
            if isinstance(value, dict):
                console.print(plain(f"    {field} by year:"), soft_wrap=True)
                for year, number in sorted(value.items()):
                    console.print(plain(f"      {year}  {_figure(number):>14}"), soft_wrap=True)


def print_search(
    found: list[tuple[ShippedTable, str | None]], words: str, console: Console
) -> None:
    """The tables and entries matching ``words``."""
    if not found:
        prose(
            console,
            f"Nothing in the shipped tables matches '{words}'. cba reference list "
            "shows every table.",
        )
        return
    for shipped, entry in found:
        if entry is None:
            t = shipped.table
            console.print(plain(f"{t.label}: {t.title} (whole table)", "bold"), soft_wrap=True)
        else:
            _print_entry(shipped, entry, console, full=False)
