"""Machine-readable results as JSON: every figure with its unit.

Undefined figures are ``null`` with an ``undefined`` reason beside them, never NaN or infinity
(``allow_nan=False`` guarantees valid JSON). Output is deterministic: same results, same bytes.

``cba run`` writes the JSON with its workbook and records the workbook's digests under
``workbook`` (``content_digest``: sha256 over the decompressed members, as ``cba verify`` and
the terminal report it; ``sha256``: of the file's bytes), so a JSON file and a workbook can be
checked to come from the same run.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from cba.results import (
    MEASURE_LABELS,
    MEASURE_UNITS,
    SROI_UNITS,
    Measures,
    Results,
    SensitivityResults,
)

RESULTS_FORMAT = "1.4"
"""Version of this JSON layout; a reader checks ``cba_results``."""

LINE_UNITS: dict[str, str] = {
    "flows": "GBP per year, real, price base year, undiscounted, year by year from first_year",
    "flows_before_optimism_bias": "GBP per year, undiscounted",
    "pv": "GBP, present value at first_year",
    "optimism_bias": "fraction (cost uplift or benefit reduction)",
    "rebase_factor": "dimensionless (deflator[price_base_year] / deflator[price_year])",
    "hours_per_year": "hours per year",
    "value_per_hour": "GBP per hour, price base year",
    "amount_per_outcome": "GBP per outcome, price base year",
    "amounts_by_year": "GBP per outcome, price base year, year by year from first_year",
    "net_outcomes": "outcomes per year",
    "outcomes_first_year": "outcomes per year, in the line's first year",
    "outcomes_total": "outcomes over the appraisal period",
    "factor": "fraction kept by this step of the chain",
    "paid_by": "share of the line each agency pays, fraction",
    "pv_paid": "GBP, present value",
    "pv_contributed": "GBP, present value of community inputs given",
    "pv_fiscal_gain": "GBP, present value",
    "pv_fiscal_cashable_gain": "GBP, present value",
    "pv_other_gain": "GBP, present value (economic and social to named beneficiary)",
    "net_position": "GBP, present value (gains - paid - contributed)",
    "fiscal_roi": "ratio",
    "roi": "ratio",
    "cashable_share": "fraction of fiscal gain",
    "rates": "fraction per year, by year offset",
    "factors": "dimensionless discount factor, by year offset",
    "yearly": "GBP per year, undiscounted unless named discounted",
}


def _finite(value: Any) -> Any:
    return None if type(value) is float and not math.isfinite(value) else value


def _plain(value: Any) -> Any:
    """Dataclasses, tuples and dicts as JSON-ready data; NaN and infinity as None."""
    if type(value) is tuple and all(type(v) in _SCALARS for v in value):
        return [_finite(v) for v in value]  # a sweep's figures: 100,000 points at most
    if isinstance(value, Measures):
        return measures_to_dict(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def plain_data(value: Any) -> Any:
    """Results (dataclasses, tuples, dicts) as JSON-ready data; NaN and infinity as None."""
    return _plain(value)


_SCALARS = frozenset({float, int, str, bool, type(None)})


def measures_to_dict(measures: Measures) -> dict[str, Any]:
    """Each figure as ``{"value", "unit", "label"}`` plus ``undefined`` when it is."""
    out: dict[str, Any] = {}
    for name, value in measures.as_dict().items():
        entry: dict[str, Any] = {
            "value": _plain(value),
            "unit": MEASURE_UNITS[name],
            "label": MEASURE_LABELS[name],
        }
        if name in measures.undefined:
            entry["undefined"] = measures.undefined[name]
        out[name] = entry
    return out


REFERENCE_UNITS: dict[str, str] = {
    "original": "as the reference's 'unit' says, at from_price_year prices; a series is "
    "[year, value] pairs",
    "value": "as 'unit' (x times), at to_price_year prices (original x deflator_factor x "
    "real_income_factor x share x times)",
    "deflator_factor": "dimensionless (deflator[to_price_year] / deflator[from_price_year])",
    "real_income_factor": "dimensionless ((real GDP per head[to] / [from]) ** elasticity)",
    "share": "fraction",
    "times": "dimensionless multiplier (52: per week to per year)",
    "from_price_year": "year (the table's year basis)",
    "to_price_year": "year",
}
"""Units of the figures in the ``references`` section."""


def results_to_dict(
    results: Results,
    provenance: dict[str, Any] | None = None,
    workbook: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The whole results object as plain JSON-ready data, with units and provenance, and the
    digests of the workbook written with it (``{"content_digest": ..., "sha256": ...}``)."""
    figures = _plain(results)
    figures.pop("distributional")  # its own section below, with units, when there is one
    out = {
        "cba_results": RESULTS_FORMAT,
        "provenance": _plain(provenance or {}),
        **({"workbook": dict(workbook)} if workbook is not None else {}),
        "units": {"measures": MEASURE_UNITS, "lines": LINE_UNITS, "references": REFERENCE_UNITS},
        **figures,
    }
    if results.sensitivity is not None:
        out["sensitivity"] = sensitivity_to_dict(results.sensitivity)
    if results.uncertainty is not None:
        out["uncertainty"] = {"units": UNCERTAINTY_UNITS, **_plain(results.uncertainty)}
    if results.strategy_map is not None:
        out["strategy_map"] = {"units": STRATEGY_MAP_UNITS, **_plain(results.strategy_map)}
    if results.sroi is not None:
        out["sroi"] = {
            "units": SROI_UNITS,
            "note": SROI_NOTE,
            "years": list(results.years),
            **_plain(results.sroi),
        }
    if results.distributional is not None:
        out["distributional_weights"] = {
            "units": DISTRIBUTIONAL_UNITS,
            "note": DISTRIBUTIONAL_NOTE,
            **_plain(results.distributional),
        }
    return out


DISTRIBUTIONAL_UNITS = {
    "elasticity": "dimensionless (elasticity of the marginal utility of income)",
    "reference_income, income": "GBP per household per year, price base year",
    "weight": "dimensionless: (reference_income / income) ** elasticity",
    "pv_benefits, pv_costs, pv_community_inputs, npsv": "GBP, present value, unweighted",
    "weighted_pv_benefits, weighted_pv_costs": "GBP, present value, each line times its weight",
    "weighted_npsv": "GBP, present value: weighted_pv_benefits - weighted_pv_costs - "
    "pv_community_inputs",
}
"""Units of the ``distributional_weights`` section."""

DISTRIBUTIONAL_NOTE = (
    "Distributional weights (Green Book 2022, Annex A3): each benefit and cost line's PV times "
    "its income group's weight; lines without a group and community inputs have weight 1. "
    "Shown beside the unweighted figures, never instead of them. Incremental figures are each "
    "option minus the counterfactual."
)
"""What the ``distributional_weights`` section is, for a reader of the JSON alone."""


def results_to_json(
    results: Results,
    provenance: dict[str, Any] | None = None,
    workbook: dict[str, str] | None = None,
) -> bytes:
    """Deterministic UTF-8 JSON bytes, ending in a newline (see :func:`results_to_dict`)."""
    text = json.dumps(
        results_to_dict(results, provenance, workbook),
        indent=2,
        ensure_ascii=False,
        allow_nan=False,
    )
    return (text + "\n").encode("utf-8")


SROI_NOTE = (
    "Social Return on Investment on the SROI guide's conventions (docs/sroi.md): a different "
    "convention from the Green Book BCR, shown beside it, never instead of it. Incremental "
    "figures are each option minus the counterfactual, year by year."
)
"""What the ``sroi`` section is, for a reader of the JSON alone."""


SENSITIVITY_UNITS = {
    "central, low, high, npsv_zero, bcr_one, values, domain_low, domain_high": "the input's unit",
    "npsv, npsv_low, npsv_high, npsv_swing": "GBP, present value (incremental)",
    "bcr_public, bcr_public_and_community, bcr_public_low, bcr_public_high": "ratio",
    "npsv_zero_change, bcr_one_change": "fraction of the central value",
}
"""Units of the figures in the ``sensitivity`` section."""


UNCERTAINTY_UNITS = {
    "npsv, pv_benefits, pv_costs, pv_community_inputs, gross_npsv, evpi, evppi": (
        "GBP, present value (incremental unless gross)"
    ),
    "bcr_public, bcr_public_and_community": "ratio",
    "probability_*, value_for_money, payback_year, undefined_share": "probability (fraction)",
    "npsv_curve": "(NPSV in GBP PV, cumulative probability)",
    "npsv_histogram": "(from GBP PV, to GBP PV, draws)",
    "mean_standard_error, probability_standard_error": "Monte Carlo standard error, same unit",
}
"""Units of the figures in the ``uncertainty`` section."""


STRATEGY_MAP_UNITS = {
    "units_per_year, levels, target, delivered, needed, available, used": (
        "the node's (or limit's) unit per year"
    ),
    "link_flows": "the link's source unit per year",
    "rate": "the link's target unit per unit of its source",
    "unit_cost": "GBP per unit of the input, price base year",
    "value_per_year, total, public, co_produced, by_contributor": "GBP per year, price base year",
    "cost_per_unit, public_cost_per_unit, marginal_cost": "GBP per year per unit of outcome",
    "shadow_price": "GBP per year saved per extra unit of the limit",
    "co_produced_share, approximation": "fraction",
}
"""Units of the figures in the ``strategy_map`` section."""


def sensitivity_to_dict(sensitivity: SensitivityResults) -> dict[str, Any]:
    """Switching values, tornado, one-way and rate tests as JSON-ready data, with units."""
    return {"units": SENSITIVITY_UNITS, **_plain(sensitivity)}
