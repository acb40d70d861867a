"""References to the shipped tables in a scenario file, resolved before validation.

Wherever a number (or a series by year) goes, a scenario may write a reference instead::

    amount: {ref: gmca_unit_costs@1.4:cr8_7_1.fiscal}
    amount: {ref: gmca_unit_costs@1.4:cr1_0.fiscal, share: 0.5}
    amount: {ref: gmca_unit_costs@1.4:ss7_0.fiscal, times: 52}   # per week -> per year
    amount: {ref: desnz_carbon_values@2023-11:central.per_tonne, year: 2030}
    deflator: {ref: gdp_deflator_fy@2026-03}

A money value is brought from its published price year to the price year of the line it sits
in (the line's ``price_year``, else the scenario's ``price_base_year``) with the scenario's
deflator, and, for values that grow with real incomes, with the table's real-income rule. The
file's data then holds plain numbers, validated like typed ones; every resolution is recorded
(:class:`cba.reference.records.ReferenceUse`) for the results, the workbook and the JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cba.reference.records import ReferenceUse

REFERENCE_KEYS = ("ref", "share", "times", "year")
"""The keys a reference mapping may have."""

SERIES_KEYS = ("series", "index")
"""Keys (or key endings) whose value is a series by year."""


@dataclass(frozen=True)
class ReferenceProblem:
    """A reference that cannot be resolved: where (a location in the file's data) and why."""

    loc: tuple[str | int, ...]
    message: str


def is_reference(value: Any) -> bool:
    """True for a mapping with a ``ref`` key (a reference, well-formed or not)."""
    return isinstance(value, dict) and "ref" in value


def contains_reference(node: Any) -> bool:
    """True when ``node`` (loaded scenario data) holds a reference anywhere."""
    if is_reference(node):
        return True
    if isinstance(node, dict):
        return any(contains_reference(v) for v in node.values())
    if isinstance(node, list):
        return any(contains_reference(v) for v in node)
    return False


def _wants_series(key: str | int) -> bool:
    return isinstance(key, str) and any(key == k or key.endswith("_" + k) for k in SERIES_KEYS)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Resolver:
    def __init__(self, data: dict[str, Any]) -> None:
        from cba.reference.library import reference_library

        self.data = data
        self.library = reference_library()
        self.uses: list[ReferenceUse] = []
        self.problems: list[ReferenceProblem] = []
        base = data.get("price_base_year")
        self.base_year = base if isinstance(base, int) and not isinstance(base, bool) else None
        first, period = data.get("first_year"), data.get("appraisal_period_years")
        self.period: tuple[int, int] | None = None
        if isinstance(first, int) and isinstance(period, int) and period >= 1:
            self.period = (first, first + period - 1)
        self.deflator_label = ""
        self.deflator_basis: str | None = None
        self.deflator_failed = False
        """True when the deflator is a reference that could not be resolved (reported once)."""

    # --- the scenario's deflator ---------------------------------------------------------------

    def deflator(self) -> None:
        node = self.data.get("deflator")
        if not isinstance(node, dict) or not is_reference(node):
            if isinstance(node, dict):
                self.deflator_label = str(node.get("vintage", ""))
            return
        loc: tuple[str | int, ...] = ("deflator",)
        self.deflator_failed = True
        extra = sorted(set(node) - {"ref"})
        if extra:
            self.problem(loc, f"a deflator reference takes only ref; remove {', '.join(extra)}")
            return
        from cba.reference.library import ReferenceLookupError

        try:
            shipped = self.library.parse(str(node["ref"]))
        except ReferenceLookupError as exc:
            self.problem((*loc, "ref"), str(exc))
            return
        table = shipped.table
        if table.kind != "deflator":
            deflators = [s.table.label for s in self.library.tables if s.table.kind == "deflator"]
            self.problem(
                (*loc, "ref"),
                f"{table.label} is not a deflator table; deflators: {', '.join(deflators)}",
            )
            return
        series = table.series()
        field = next(iter(table.fields))
        self.data["deflator"] = {
            "vintage": f"{table.publisher}, {table.title} ({table.label})"[:200],
            "source": f"{table.edition}. Shipped reference table {table.label}: {table.copy_read}"[
                :4000
            ],
            "index": dict(series),
        }
        self.deflator_label = table.label
        self.deflator_basis = table.year_basis
        self.deflator_failed = False
        entry = next(iter(table.entries))
        self.uses.append(
            ReferenceUse(
                path="deflator",
                reference=str(node["ref"]),
                table=table.label,
                table_sha256=shipped.sha256,
                title=table.title,
                publisher=table.publisher,
                edition=table.edition,
                url=table.url,
                licence=table.licence,
                entry=entry,
                entry_label=table.entries[entry].label,
                field=field,
                unit=table.unit_of(entry, field),
                original=tuple(sorted(series.items())),
                from_price_year=None,
                to_price_year=None,
                deflator="",
                deflator_factor=1.0,
                real_income_factor=1.0,
                share=1.0,
                times=1.0,
                value=tuple(sorted(series.items())),
                read=table.read_of(entry),
                grade=table.entries[entry].grade,
                source=table.entries[entry].source,
                note=f"year n is the {table.year_basis} year"
                + (" n/n+1" if table.year_basis == "financial" else " n"),
            )
        )

    # --- every other reference -----------------------------------------------------------------

    def problem(self, loc: tuple[str | int, ...], message: str) -> None:
        self.problems.append(ReferenceProblem(loc, message))

    def walk(self, node: Any, loc: tuple[str | int, ...], price_year: int | None) -> None:
        if isinstance(node, dict):
            own = node.get("price_year")
            if isinstance(own, int) and not isinstance(own, bool):
                price_year = own
            items: list[tuple[Any, Any]] = list(node.items())
        elif isinstance(node, list):
            items = list(enumerate(node))
        else:
            return
        for key, child in items:
            if loc == () and key == "deflator":
                continue
            if is_reference(child):
                resolved = self.resolve(child, (*loc, key), price_year, node)
                if resolved is not None:
                    node[key] = resolved
            else:
                self.walk(child, (*loc, key), price_year)

    def resolve(
        self,
        node: dict[str, Any],
        loc: tuple[str | int, ...],
        price_year: int | None,
        parent: Any,
    ) -> float | dict[int, float] | None:
        from cba.reference.library import ReferenceLookupError

        extra = sorted(str(k) for k in set(node) - set(REFERENCE_KEYS))
        if extra:
            self.problem(
                loc,
                f"a reference takes ref, and optionally share, times and year; "
                f"{', '.join(extra)} is not one of them",
            )
            return None
        text = node["ref"]
        if not isinstance(text, str):
            self.problem((*loc, "ref"), "ref is a reference written as text: table@vintage:entry")
            return None
        try:
            named = self.library.value(text)
        except ReferenceLookupError as exc:
            self.problem((*loc, "ref"), str(exc))
            return None
        table = named.shipped.table
        published = named.value
        share = node.get("share", 1.0)
        if not _number(share) or not 0.0 < float(share) <= 1.0:
            self.problem((*loc, "share"), f"share is a fraction above 0 and at most 1; got {share}")
            return None
        share = float(share)
        times = node.get("times", 1.0)
        if not _number(times) or not 0.0 < float(times) <= 1e6:
            self.problem(
                (*loc, "times"),
                f"times is a multiplier above 0 and at most 1,000,000 (52 turns a weekly cost "
                f"into a yearly one); got {times}",
            )
            return None
        times = float(times)
        year = node.get("year")
        key = loc[-1]
        if isinstance(published, dict):
            if year is not None:
                if not isinstance(year, int) or isinstance(year, bool) or year not in published:
                    years = sorted(published)
                    self.problem(
                        (*loc, "year"),
                        f"{text} has values for {years[0]}-{years[-1]}; got year {year}",
                    )
                    return None
                published = float(published[year])
            elif not _wants_series(key):
                years = sorted(published)
                self.problem(
                    loc,
                    f"{text} is a series by year ({years[0]}-{years[-1]}): add year: "
                    f"{years[0]} to take one year's value, or use it where a series goes",
                )
                return None
        elif year is not None:
            self.problem((*loc, "year"), f"{text} is one value, not a series: remove year")
            return None
        elif _wants_series(key):
            self.problem(loc, f"{text} is one value; {key} needs a value by year")
            return None

        notes: list[str] = []
        deflator_factor = real_income_factor = 1.0
        from_year: int | None = None
        to_year: int | None = None
        if named.is_money:
            from_year = table.price_year_of(named.entry, named.field)
            to_year = price_year if price_year is not None else self.base_year
            if from_year is not None and to_year is not None and from_year != to_year:
                factors = self.rebase(text, table.uprating, from_year, to_year, loc)
                if factors is None:
                    return None
                deflator_factor, real_income_factor = factors
                if table.uprating.caveat:
                    notes.append(table.uprating.caveat)
                if self.deflator_basis is not None and self.deflator_basis != table.year_basis:
                    notes.append(
                        f"{table.year_basis} year {from_year} prices read as the deflator's "
                        f"{self.deflator_basis} year {from_year}"
                    )
        factor = deflator_factor * real_income_factor * share * times

        value: float | dict[int, float]
        if isinstance(published, dict):
            kept = dict(sorted(published.items()))
            if self.period is not None:
                first, last = self.period
                dropped = [y for y in kept if not first <= y <= last]
                kept = {y: v for y, v in kept.items() if first <= y <= last}
                if dropped:
                    notes.append(
                        f"years outside the appraisal period not used ({len(dropped)} of "
                        f"{len(published)})"
                    )
            value = {y: v * factor for y, v in kept.items()}
            original: float | tuple[tuple[int, float], ...] = tuple(kept.items())
            used: float | tuple[tuple[int, float], ...] = tuple(value.items())
        else:
            value = float(published) * factor
            original, used = float(published), value

        entry = table.entries[named.entry]
        if isinstance(parent, dict) and "source" not in parent:
            parent["source"] = self.citation(text, table, named.entry, named.field)
        from cba.spec.parameters import id_path

        self.uses.append(
            ReferenceUse(
                path=id_path(self.data, loc),
                reference=text,
                table=table.label,
                table_sha256=named.shipped.sha256,
                title=table.title,
                publisher=table.publisher,
                edition=table.edition,
                url=table.url,
                licence=table.licence,
                entry=named.entry,
                entry_label=entry.label,
                field=named.field,
                unit=table.unit_of(named.entry, named.field),
                original=original,
                from_price_year=from_year,
                to_price_year=to_year if named.is_money else None,
                deflator=self.deflator_label if deflator_factor != 1.0 else "",
                deflator_factor=deflator_factor,
                real_income_factor=real_income_factor,
                share=share,
                times=times,
                value=used,
                read=table.read_of(named.entry),
                grade=entry.grade,
                source=entry.source,
                note="; ".join(notes),
            )
        )
        return value

    def rebase(
        self,
        text: str,
        uprating: Any,
        from_year: int,
        to_year: int,
        loc: tuple[str | int, ...],
    ) -> tuple[float, float] | None:
        if self.deflator_failed:
            self.problem(
                loc,
                f"{text} is in {from_year} prices: it is rebased once the deflator reference "
                "is fixed",
            )
            return None
        deflator = self.data.get("deflator")
        index = deflator.get("index") if isinstance(deflator, dict) else None
        if not isinstance(index, dict):
            self.problem(
                loc,
                f"{text} is in {from_year} prices and this line is in {to_year} prices, but the "
                "scenario has no deflator: add deflator: {ref: gdp_deflator_fy@2026-03} (cba "
                "reference list shows the deflators)",
            )
            return None
        missing = [y for y in (from_year, to_year) if not _number(index.get(y))]
        if missing:
            years = sorted(k for k in index if isinstance(k, int))
            held = f"{years[0]}-{years[-1]}" if years else "no years"
            self.problem(
                loc,
                f"{text} is in {from_year} prices; the deflator ({self.deflator_label or 'typed'}"
                f") has no value for {', '.join(str(y) for y in missing)} (it holds {held})",
            )
            return None
        deflator_factor = float(index[to_year]) / float(index[from_year])
        real_income_factor = 1.0
        if uprating.method == "gdp_deflator_and_real_income":
            from cba.reference.library import ReferenceLookupError

            try:
                income = self.library.parse(uprating.real_income).table.series()
            except ReferenceLookupError as exc:  # a shipped table names a table not shipped
                self.problem(loc, f"{text}: its uprating rule cannot be applied: {exc}")
                return None
            missing = [y for y in (from_year, to_year) if y not in income]
            if missing:
                years = sorted(income)
                self.problem(
                    loc,
                    f"{text} grows with real incomes, and {uprating.real_income} has no value for "
                    f"{', '.join(str(y) for y in missing)} (it holds {years[0]}-{years[-1]})",
                )
                return None
            ratio = income[to_year] / income[from_year]
            real_income_factor = float(ratio ** float(uprating.income_elasticity))
        return deflator_factor, real_income_factor

    @staticmethod
    def citation(text: str, table: Any, entry: str, field: str) -> str:
        row = table.entries[entry]
        year = table.price_year_of(entry, field)
        prices = f", {year} prices" if year is not None and table.fields[field].is_money else ""
        return (
            f"{table.publisher}, {table.title} ({table.edition}): {row.label}, {field}{prices} "
            f"(shipped reference {text})."
        )[:4000]


def resolve_references(data: Any) -> tuple[list[ReferenceUse], list[ReferenceProblem]]:
    """Replace every reference in a scenario's loaded data by its value, in place.

    Parameters
    ----------
    data : Any
        The scenario file as loaded (a mapping). Anything else is left alone.

    Returns
    -------
    (uses, problems)
        One :class:`ReferenceUse` per resolved reference (the deflator first), and every
        reference that could not be resolved, located in ``data``.
    """
    if not isinstance(data, dict) or not contains_reference(data):
        return [], []
    resolver = _Resolver(data)
    resolver.deflator()
    resolver.walk(data, (), None)
    return resolver.uses, resolver.problems
