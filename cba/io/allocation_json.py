"""`cba allocate --json`: every figure of an allocation with its unit, deterministic."""

from __future__ import annotations

from typing import Any

from cba.allocation_results import Allocation
from cba.io.json_results import plain_data

ALLOCATION_UNITS: dict[str, str] = {
    "npsv, interaction_npsv, pv_public_costs, net_position, npsv_approximation_error": (
        "GBP, present value, real terms at price_base_year"
    ),
    "spent, costs_by_year, contribution, limit, used, unused, cost_approximation_error, "
    "committed_after_period": (
        "GBP, undiscounted, real terms at price_base_year; incremental public costs (spent and "
        "contribution: in the budget period, every year without one)"
    ),
    "period": "[first, last] calendar year the budget covers; null: every year counts",
    "bcr_public": "ratio; null where undefined",
    "scale, min_scale, max_scale": "units of the scheme's scale driver (driver)",
    "objective_value, interaction_objective, objective_approximation_error, left_on_table": (
        "the objective's unit: GBP, present value, real terms at price_base_year for the money "
        "measures (npsv, public_value, weighted_npsv); discounted outcomes for outcomes"
    ),
    "marginal_value": (
        "the objective's unit (GBP of NPSV by default) per GBP more in that limit, by "
        "re-solving with marginal_step"
    ),
    "marginal_step": "GBP",
    "npsv_mean, npsv_p5, npsv_p50, npsv_p95, central_npsv_mean": (
        "GBP, present value, real terms at price_base_year; over the uncertainty draws"
    ),
    "funded_probability, central_optimal_probability": "probability over the draws (0 to 1)",
    "draws": "number of Monte Carlo draws re-solved",
}
"""Units of the fields of ``cba allocate --json``."""

ALLOCATION_JSON_VERSION = "1.1"
"""1.1: the objective, and each figure of it (``objective_value`` ...)."""


def allocation_to_dict(allocation: Allocation) -> dict[str, Any]:
    """The allocation as JSON-ready data, units first."""
    data: dict[str, Any] = plain_data(allocation)
    if data.get("uncertainty") is not None:  # a timing: not the same on every run
        del data["uncertainty"]["seconds_per_draw"]
    return {"cba_allocation": ALLOCATION_JSON_VERSION, "units": ALLOCATION_UNITS, **data}
