"""``cba diff`` for people and programs: the changed inputs, the change in each figure, and each
change's share of it (cba.changes), as terminal tables or JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cba.changes import ScenarioDiff
from cba.io.terminal import Column, fitted_tables, money, plain, ratio, say

if TYPE_CHECKING:
    from rich.console import Console

DIFF_FORMAT = "1.1"
"""Version of the JSON layout ``cba diff --json`` writes (1.1: ``standard_errors`` beside the
shares when they are estimated by sampling)."""


def _value(x: float | str | None, unit: str) -> str:
    if x is None:
        return "undefined"
    if isinstance(x, str):
        return x
    if unit.startswith("GBP"):
        return f"£{x:,.2f}".replace("£-", "-£") if x != int(x) else money(x)
    return f"{x:g}"


def _figure(x: float | None, unit: str) -> str:
    if x is None:
        return "undefined"
    return money(x) if unit.startswith("GBP") else ratio(x)


def _signed(x: float | None, unit: str) -> str:
    if x is None:
        return "undefined"
    text = _figure(x, unit)
    return text if text.startswith("-") else "+" + text


def print_diff(d: ScenarioDiff, old: str, new: str, console: Console) -> None:
    """The changes, then per option the figures and the NPSV's attribution, largest first."""
    console.print(plain(f"cba diff: {old} -> {new}", "bold"), soft_wrap=True)
    if d.changes:
        for table in fitted_tables(
            [Column("input", tuple(c.path for c in d.changes), figures=False, justify="left")],
            [
                Column("old", tuple(_value(c.old, c.unit) for c in d.changes)),
                Column("new", tuple(_value(c.new, c.unit) for c in d.changes)),
                Column("unit", tuple(c.unit for c in d.changes), figures=False, justify="left"),
            ],
            f"{len(d.changes)} changed {'input' if len(d.changes) == 1 else 'inputs'}",
            console,
        ):
            console.print(table)
        sourced = [c.path for c in d.changes if c.source_changed]
        if sourced:
            say(console, "  Source text changed too: " + ", ".join(sourced) + ".")
    else:
        say(console, "  No input value changed.")
    for label, paths in (("only in the old version", d.only_old), ("only in the new", d.only_new)):
        if paths:
            shown = ", ".join(paths[:8]) + (f" and {len(paths) - 8} more" if len(paths) > 8 else "")
            say(console, f"  Inputs {label}: {shown}.")
    if d.structural:
        say(
            console,
            "  Other changes (structure, structural inputs, names or sources) are one player, "
            f"'{d.players[-1]}'.",
        )
    options = list(dict.fromkeys(a.option_id for a in d.attributions))
    for oid in options:
        rows = [d.attribution(oid, name) for name, _, _ in d.figures]
        for table in fitted_tables(
            [
                Column(
                    "figure",
                    tuple(label for _, label, _ in d.figures),
                    figures=False,
                    justify="left",
                )
            ],
            [
                Column("old", tuple(_figure(a.old, a.unit) for a in rows)),
                Column("new", tuple(_figure(a.new, a.unit) for a in rows)),
                Column("change", tuple(_signed(a.change, a.unit) for a in rows)),
            ],
            f"{oid}, against the counterfactual",
            console,
        ):
            console.print(table)
        npsv = d.attribution(oid, "npsv")
        errors = npsv.standard_error or (None,) * len(npsv.contributions)
        shares = sorted(
            ((p, s, e) for (p, s), e in zip(npsv.contributions, errors, strict=True)),
            key=lambda item: -abs(item[1]) if item[1] is not None else 0.0,
        )
        total = npsv.change
        columns = [
            Column("share of the NPSV change", tuple(_signed(s, npsv.unit) for _, s, _ in shares)),
        ]
        if npsv.standard_error is not None:  # estimated by sampling orders
            columns.append(Column("± s.e.", tuple(_figure(e, npsv.unit) for _, _, e in shares)))
        columns.append(
            Column(
                "%",
                tuple(
                    "undefined" if s is None or not total else f"{100 * s / total:.0f}%"
                    for _, s, _ in shares
                ),
            )
        )
        for table in fitted_tables(
            [Column("change", tuple(p for p, _, _ in shares), figures=False, justify="left")],
            columns,
            f"What moved the NPSV of {oid} ({_signed(total, npsv.unit)})",
            console,
        ):
            console.print(table)
    say(console, f"  Method: {d.method}. The shares add up to the change in each figure.")
    if any(a.standard_error is not None for a in d.attributions):
        say(
            console,
            "  Each estimated share is within about two standard errors (± s.e.) of its exact "
            "value, 19 times in 20.",
        )


def diff_to_json(d: ScenarioDiff, old: str, new: str) -> str:
    """The diff as JSON (format ``DIFF_FORMAT``), every figure with its unit."""
    doc: dict[str, Any] = {
        "cba_diff": DIFF_FORMAT,
        "old": old,
        "new": new,
        "changes": [
            {
                "path": c.path,
                "old": c.old,
                "new": c.new,
                "unit": c.unit,
                "source_changed": c.source_changed,
            }
            for c in d.changes
        ],
        "only_old": list(d.only_old),
        "only_new": list(d.only_new),
        "structural": d.structural,
        "players": list(d.players),
        "method": d.method,
        "attributions": [
            {
                "option_id": a.option_id,
                "figure": a.figure,
                "unit": a.unit,
                "old": a.old,
                "new": a.new,
                "change": a.change,
                "shares": dict(a.contributions),
                **(
                    {}
                    if a.standard_error is None
                    else {
                        "standard_errors": dict(
                            zip((p for p, _ in a.contributions), a.standard_error, strict=True)
                        )
                    }
                ),
            }
            for a in d.attributions
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False)
