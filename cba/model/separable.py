"""Separable evaluation: lines whose set values enter linearly, summed over the years once.

When every value an evaluation sets enters the flows of the lines that read it linearly (a cost
amount, a unit value, an outcome count, an additionality share, hours, an optimism-bias figure:
not a year, a duration, a drop-off, a discount rate or a named schedule) and no line reads two of
them, each option's totals are affine in the values set:

    totals(x) = totals(x0) + sum_j (x_j - x0_j) u_j

``x0`` the scenario's values and ``u_j`` the totals of the lines that read ``x_j``, per unit of
``x_j``: their flows at ``x_j = 1`` less their flows at ``x_j = 0``, built by the same
``OptionModel`` and ``appraisal.yearly_totals`` as every run, once for a set of paths. A
leading axis of settings then meets each line as one number per setting: a present value is
``k`` products and sums of arrays of the leading shape, and only a figure by year (the payback
year's discounted net flows) has a year axis.

Sums run over the inputs in a fixed order with elementwise products and sums (no BLAS), so a
setting's figures do not depend on how many settings are evaluated together, nor on the CPU. At
the scenario's own values every deviation is exactly 0 and the totals are the scenario's, bit
for bit. Elsewhere a figure agrees with the line-by-line evaluation to the rounding of the sums
(a few units in the last place of the gross terms; docs/methods.md §15).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cba.engine import appraisal
from cba.model.compile import OptionModel, Schedules
from cba.spec.scenario import Scenario

FloatArray = NDArray[np.float64]

FLOW_KEYS = ("cost_flows", "input_flows", "value_flows")
"""Engine inputs that hold the lines' flows (``(lead, L, T)``); the others do not vary."""

PROBES = (0.0, 1.0, 2.0)
"""Values at which each input's lines are built: the slope is taken from 0 and 1, and 2 checks
that the flows lie on a straight line."""

LINEARITY = 1e-9
"""Largest departure from a straight line, relative to the largest flow, still counted as
linear (the rounding of a few products is far below it; any real curvature is far above)."""


@dataclass(frozen=True)
class Basis:
    """Totals of one option (gross) or one option less the counterfactual (incremental), as an
    affine function of the set values."""

    base: appraisal.YearlyTotals
    """At the scenario's values (year fields ``(T,)``, present values scalars)."""
    per_unit: tuple[appraisal.YearlyTotals | None, ...]
    """For each set value, in the plan's order: the totals per unit of it; None where it
    reaches no line of this basis."""

    @property
    def varies(self) -> bool:
        return any(u is not None for u in self.per_unit)

    @cached_property
    def _terms(self) -> dict[str, tuple[Term, ...]]:
        return {}

    def terms(self, name: str, pv: bool = False) -> tuple[Term, ...]:
        """The non-zero coefficients of a field (of ``pv`` with ``pv``), in the plan's order."""
        key = f"pv.{name}" if pv else name
        if key not in self._terms:
            self._terms[key] = terms(
                [
                    None if u is None else (u.pv[name] if pv else getattr(u, name))
                    for u in self.per_unit
                ]
            )
        return self._terms[key]


@dataclass(frozen=True)
class SeparablePlan:
    """How an evaluation that sets ``paths`` is computed in separable form."""

    paths: tuple[str, ...]
    centre: tuple[float, ...]
    """Each path's value in the scenario (the deviations are taken from it)."""
    gross: dict[str, Basis]
    incremental: dict[str, Basis]


def _negated(totals: appraisal.YearlyTotals) -> appraisal.YearlyTotals:
    values: dict[str, Any] = {
        f.name: -getattr(totals, f.name) for f in fields(totals) if f.name != "pv"
    }
    values["pv"] = {k: -v for k, v in totals.pv.items()}
    return appraisal.YearlyTotals(**values)


def _difference(
    a: appraisal.YearlyTotals | None, b: appraisal.YearlyTotals | None
) -> appraisal.YearlyTotals | None:
    if b is None:
        return a
    if a is None:
        return _negated(b)
    return a - b


def _per_unit(
    scenario: Scenario, schedules: Schedules, option_index: int, path: str
) -> tuple[appraisal.YearlyTotals | None, set[tuple[int, int]]] | None:
    """The totals per unit of ``path`` of the lines of one option that read it, and which lines
    those are ((kind, index): 0 costs, 1 community inputs, 2 benefit values); None when the
    lines' flows are not a straight line in it."""
    option = scenario.options[option_index]
    model = OptionModel(scenario, option, schedules, {path: np.array(PROBES)}, (len(PROBES),))
    parts = model.parts(only_varying=True)
    rows = {(kind, i) for kind, indices in enumerate(parts.varying) for i in indices}
    if not rows:
        return None, rows
    inputs = dict(parts.engine_inputs)
    for key in FLOW_KEYS:
        flows = np.asarray(inputs[key], dtype=np.float64)
        slope = flows[1] - flows[0]
        scale = float(np.max(np.abs(flows), initial=0.0))
        if not np.all(np.abs(flows[2] - flows[1] - slope) <= LINEARITY * scale):
            return None
        inputs[key] = slope
    return appraisal.yearly_totals(**inputs), rows


def separable_plan(
    scenario: Scenario,
    schedules: Schedules,
    paths: Sequence[str],
    centre: Sequence[float],
    base_totals: Mapping[str, appraisal.YearlyTotals],
) -> SeparablePlan | None:
    """The separable form of evaluations setting ``paths`` (every one a linear input, checked
    by the caller), or None when some line reads two of them or its flows are not a straight
    line in one."""
    gross: dict[str, Basis] = {}
    for k, option in enumerate(scenario.options):
        per_unit: list[appraisal.YearlyTotals | None] = []
        seen: set[tuple[int, int]] = set()
        for path in paths:
            if path.startswith("options.") and not path.startswith(f"options.{option.id}."):
                per_unit.append(None)
                continue
            found = _per_unit(scenario, schedules, k, path)
            if found is None:
                return None
            unit, rows = found
            if rows & seen:  # a line reads two set values: its flows are a product of them
                return None
            seen |= rows
            per_unit.append(unit)
        gross[option.id] = Basis(base_totals[option.id], tuple(per_unit))
    cf = scenario.counterfactual
    incremental = {
        o: Basis(
            base_totals[o] - base_totals[cf],
            tuple(
                _difference(a, b) for a, b in zip(basis.per_unit, gross[cf].per_unit, strict=True)
            ),
        )
        for o, basis in gross.items()
    }
    return SeparablePlan(tuple(paths), tuple(centre), gross, incremental)


BLOCK_BYTES = 2**20
"""Settings are summed in blocks of about this many bytes per array (kept in cache)."""


PROPORTIONAL = 1e-15
"""Two coefficients over the same years are one row times two numbers when their shapes
(each divided by its largest element) agree to this, relative (a few units in the last place):
such inputs are combined before they meet the year axis."""


@dataclass(frozen=True)
class Term:
    """The coefficients of one input, or of inputs that are multiples of one row, restricted to
    where they are not zero."""

    indices: tuple[int, ...]
    """Positions of the inputs' deviations."""
    multiples: tuple[float, ...] | None
    """With several inputs, each one's multiple of ``coefficient``; None for one input, whose
    coefficient it is."""
    coefficient: FloatArray
    """The change per unit over ``span``, with a trailing axis for the settings."""
    span: slice
    """The positions of the first trailing axis it covers (all of a scalar)."""


def terms(coefficients: Sequence[Any]) -> tuple[Term, ...]:
    """The non-zero ``coefficients`` (each ``(*tail,)`` or None), as ``Term`` s in order; rows
    (``tail`` of one axis) over the same span that are multiples of one another make one term,
    at the place of the first of them."""
    out: list[Term] = []
    rows: dict[tuple[int, int], list[tuple[FloatArray, list[int], list[float]]]] = {}
    for j, coefficient in enumerate(coefficients):
        if coefficient is None:
            continue
        c = np.asarray(coefficient, dtype=np.float64)
        nonzero = np.flatnonzero(c.reshape(-1))
        if nonzero.size == 0:
            continue
        if c.ndim != 1:
            out.append(Term((j,), None, c[..., np.newaxis], slice(None)))
            continue
        lo, hi = int(nonzero[0]), int(nonzero[-1]) + 1  # only where it is not zero
        row = c[lo:hi]
        largest = float(row[np.argmax(np.abs(row))])
        shape = row / largest
        for shared, indices, multiples in rows.get((lo, hi), []):
            if np.all(np.abs(shape - shared) <= PROPORTIONAL * np.abs(shared)):
                indices.append(j)
                multiples.append(largest)
                break
        else:
            group = (shape, [j], [largest])
            rows.setdefault((lo, hi), []).append(group)
            out.append(Term((j,), None, row[:, np.newaxis], slice(lo, hi)))
    grouped = {
        indices[0]: (shape, indices, multiples)
        for groups in rows.values()
        for shape, indices, multiples in groups
        if len(indices) > 1
    }
    return tuple(
        Term(
            tuple(grouped[t.indices[0]][1]),
            tuple(grouped[t.indices[0]][2]),
            grouped[t.indices[0]][0][:, np.newaxis],
            t.span,
        )
        if t.multiples is None and t.span != slice(None) and t.indices[0] in grouped
        else t
        for t in out
    )


def affine(
    base: Any,
    deviations: Sequence[FloatArray],
    found: Sequence[Term],
    shape: tuple[int, ...],
) -> FloatArray:
    """``base + sum_j deviations[j] * coefficients[j]`` at every setting.

    Parameters
    ----------
    base : (*tail,)
        The value at the scenario's values.
    deviations : each (*shape,)
        Each set value less the scenario's value.
    found : Terms
        The non-zero coefficients (``terms``): the change per unit of each value.
    shape : tuple of int
        The leading shape of the settings.

    Returns
    -------
    ndarray, shape (*shape, *tail)

    Notes
    -----
    The products are summed in the order of the terms, elementwise (no BLAS), with the
    settings as the last axis while summing, a block of settings at a time; inputs whose rows
    are multiples of one row are summed (times their multiples) before the row meets them.
    Each setting's result therefore depends on that setting's deviations only, not on how many
    settings there are or how they are blocked.
    """
    base_array = np.asarray(base, dtype=np.float64)
    tail = base_array.shape
    if not found:
        return np.array(np.broadcast_to(base_array, (*shape, *tail)))
    n = int(np.prod(shape, dtype=np.int64))
    flat = [np.ascontiguousarray(d, dtype=np.float64).reshape(n) for d in deviations]
    size = int(np.prod(tail, dtype=np.int64))
    block = max(256, BLOCK_BYTES // (8 * max(size, 1)))
    out = np.empty((n, *tail))
    acc = np.empty((*tail, min(n, block)))
    scratch = np.empty_like(acc)
    for start in range(0, n, block):
        stop = min(n, start + block)
        a = acc[..., : stop - start]
        w = scratch[..., : stop - start]
        a[...] = 0.0
        for term in found:
            if term.multiples is None:
                d = flat[term.indices[0]][start:stop]
            else:  # sum_j x_j m_j, then times the shared row
                d = flat[term.indices[0]][start:stop] * term.multiples[0]
                for index, multiple in zip(term.indices[1:], term.multiples[1:], strict=True):
                    d += flat[index][start:stop] * multiple
            np.multiply(term.coefficient, d, out=w[term.span])
            np.add(a[term.span], w[term.span], out=a[term.span])
        np.add(base_array[..., np.newaxis], a, out=a)
        out[start:stop] = np.moveaxis(a, -1, 0)
    return out.reshape(*shape, *tail)


class _PresentValues(Mapping[str, FloatArray]):
    """``YearlyTotals.pv`` of a separable evaluation: each present value computed when read."""

    def __init__(self, totals: SeparableTotals) -> None:
        self._totals = totals
        self._found: dict[str, FloatArray] = {}

    def __getitem__(self, key: str) -> FloatArray:
        if key not in self._found:
            t = self._totals
            self._found[key] = affine(
                t.basis.base.pv[key], t.deviations, t.basis.terms(key, pv=True), t.shape
            )
        return self._found[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._totals.basis.base.pv)

    def __len__(self) -> int:
        return len(self._totals.basis.base.pv)


class SeparableTotals:
    """An option's totals (or an option less the counterfactual) at every setting of a
    separable evaluation, each part computed when first read (``appraisal.TotalsView``)."""

    def __init__(
        self, basis: Basis, deviations: Sequence[FloatArray], shape: tuple[int, ...]
    ) -> None:
        self.basis = basis
        self.deviations = deviations
        self.shape = shape
        self.pv: Mapping[str, FloatArray] = _PresentValues(self)

    def field(self, name: str) -> FloatArray:
        """A field of ``YearlyTotals`` (or a property of one, such as ``d_net_social``)."""
        return affine(
            getattr(self.basis.base, name), self.deviations, self.basis.terms(name), self.shape
        )

    @cached_property
    def pv_paid_by_agency(self) -> FloatArray:
        return self.field("pv_paid_by_agency")

    @cached_property
    def pv_contributed_by_agency(self) -> FloatArray:
        return self.field("pv_contributed_by_agency")

    @cached_property
    def pv_fiscal_by_agency(self) -> FloatArray:
        return self.field("pv_fiscal_by_agency")

    @cached_property
    def pv_fiscal_cashable_by_agency(self) -> FloatArray:
        return self.field("pv_fiscal_cashable_by_agency")

    @cached_property
    def pv_other_by_agency(self) -> FloatArray:
        return self.field("pv_other_by_agency")

    @cached_property
    def net_social(self) -> FloatArray:
        """Net social benefit per year [GBP per year], ``(*shape, T)``."""
        return self.field("net_social")

    @cached_property
    def d_net_social(self) -> FloatArray:
        """Discounted net social benefit per year [GBP PV per year], ``(*shape, T)``."""
        return self.field("d_net_social")

    def full(self) -> appraisal.YearlyTotals:
        """Every field at every setting (each ``(*shape, T)`` year field built in full)."""
        values: dict[str, Any] = {
            f.name: self.field(f.name) for f in fields(appraisal.YearlyTotals) if f.name != "pv"
        }
        values["pv"] = {k: self.pv[k] for k in self.basis.base.pv}
        return appraisal.YearlyTotals(**values)
