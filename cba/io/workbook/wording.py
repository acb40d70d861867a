"""Scenario values in words for the workbook: who pays, what optimism bias was applied, what
range was searched. A partner reads "council 60%, nhs 40%", never a Python mapping.

Shares and rates are fractions (0.6) and are written as percentages ("60%"); agencies are
named by the ids the scenario gives them, as everywhere else in the workbook.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from cba.reference.optimism_bias import mott_macdonald_2002
from cba.spec.optimism import (
    BenefitOptimismBias,
    ConfidenceGradeTable,
    CostOptimismBias,
    GradedCorrection,
    MottMacDonaldUplift,
    UpperBoundUplift,
)


def percent_text(fraction: float, decimals: int = 2) -> str:
    """A fraction as a percentage with at most ``decimals`` decimals, without trailing zeros.

    Parameters
    ----------
    fraction : float
        A share or rate [fraction]: 0.5 is 50%.
    decimals : int
        Most decimal places of the percentage shown.

    Returns
    -------
    str
        ``"50%"``, ``"33.33%"``, ``"2.25%"``; ``"undefined"`` for NaN.
    """
    if math.isnan(fraction):
        return "undefined"
    text = f"{fraction * 100:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return ("0" if text in {"-0", ""} else text) + "%"


def paid_by_text(paid_by: str | Mapping[str, float]) -> str:
    """Who bears a cost, in words: an agency id, or each agency id with its share.

    Parameters
    ----------
    paid_by : str or mapping of str to float
        An agency id, or shares by agency id [fraction] in the order the scenario gives them.

    Returns
    -------
    str
        ``"police"`` or ``"council 60%, nhs 40%"``; one agency paying it all is named alone.
    """
    if isinstance(paid_by, str):
        return paid_by
    if len(paid_by) == 1 and next(iter(paid_by.values())) == 1.0:
        return next(iter(paid_by))
    return ", ".join(f"{agency} {percent_text(share)}" for agency, share in paid_by.items())


def _grade_text(grade: int, table: ConfidenceGradeTable, effect: str) -> str:
    correction = table.corrections.get(grade)
    amount = "not in the table" if correction is None else f"{percent_text(correction)} {effect}"
    return f"confidence grade {grade} ({amount}, {table.name} table)"


def _category_text(name: str) -> str:
    return name.replace("_", " ")


def cost_optimism_fraction(ob: CostOptimismBias, table: ConfidenceGradeTable) -> float:
    """The uplift a cost line's optimism bias applies [fraction of cost] (GB §5.43-5.46).

    A Mott MacDonald category gives its upper bound x (1 - mitigation); a confidence grade
    gives the grade's correction in ``table`` (NaN if the table lacks the grade).
    """
    if isinstance(ob, MottMacDonaldUplift):
        return mott_macdonald_2002()[ob.category].upper_bound * (1.0 - ob.mitigation)
    if isinstance(ob, UpperBoundUplift):
        return ob.upper_bound * (1.0 - ob.mitigation)
    if isinstance(ob, GradedCorrection):
        return table.corrections.get(ob.confidence_grade, math.nan)
    return float(ob)


def benefit_optimism_fraction(ob: BenefitOptimismBias, table: ConfidenceGradeTable) -> float:
    """The reduction a benefit line's optimism bias applies [fraction of benefit] (LP2014)."""
    if isinstance(ob, GradedCorrection):
        return table.corrections.get(ob.confidence_grade, math.nan)
    return float(ob)


def cost_optimism_text(ob: CostOptimismBias, table: ConfidenceGradeTable) -> str:
    """A cost line's optimism bias in words, with the numbers behind it.

    Parameters
    ----------
    ob : CostOptimismBias
        An uplift [fraction of cost], a Mott MacDonald (2002) category with mitigation
        [fraction of its upper bound], or a confidence grade.
    table : ConfidenceGradeTable
        The scenario's confidence-grade table, for a grade's correction.

    Returns
    -------
    str
        ``"24% uplift, given in the scenario"``; ``"Mott MacDonald (2002) standard buildings,
        24% upper bound, 50% mitigated (12% uplift)"``; ``"confidence grade 3 (10% uplift,
        lp2014 table)"``.
    """
    if isinstance(ob, MottMacDonaldUplift):
        bound = mott_macdonald_2002()[ob.category].upper_bound
        uplift = cost_optimism_fraction(ob, table)
        return (
            f"Mott MacDonald (2002) {_category_text(ob.category)}, {percent_text(bound)} upper "
            f"bound, {percent_text(ob.mitigation)} mitigated ({percent_text(uplift)} uplift)"
        )
    if isinstance(ob, UpperBoundUplift):
        uplift = cost_optimism_fraction(ob, table)
        return (
            f"{percent_text(ob.upper_bound)} upper bound given in the scenario, "
            f"{percent_text(ob.mitigation)} mitigated ({percent_text(uplift)} uplift; "
            f"{ob.source})"
        )
    if isinstance(ob, GradedCorrection):
        return _grade_text(ob.confidence_grade, table, "uplift")
    if float(ob) == 0.0:
        return "none (0% uplift)"
    return f"{percent_text(float(ob))} uplift, given in the scenario"


def benefit_optimism_text(ob: BenefitOptimismBias, table: ConfidenceGradeTable) -> str:
    """A benefit line's optimism bias in words, with the numbers behind it.

    Parameters
    ----------
    ob : BenefitOptimismBias
        A reduction [fraction of benefit], or a confidence grade.
    table : ConfidenceGradeTable
        The scenario's confidence-grade table, for a grade's correction.

    Returns
    -------
    str
        ``"10% reduction, given in the scenario"`` or ``"confidence grade 3 (10% reduction,
        lp2014 table)"``.
    """
    if isinstance(ob, GradedCorrection):
        return _grade_text(ob.confidence_grade, table, "reduction")
    if float(ob) == 0.0:
        return "none (0% reduction)"
    return f"{percent_text(float(ob))} reduction, given in the scenario"


def applied_optimism_text(fraction: float, basis: str, effect: str) -> str:
    """Optimism bias as applied in a run, in words: the fraction and the basis the results
    record for it.

    Parameters
    ----------
    fraction : float
        The uplift or reduction applied [fraction].
    basis : str
        Where it comes from, as the results give it ("confidence grade 3 (lp2014 table)",
        "reduction given in the scenario").
    effect : str
        ``"uplift"`` (costs) or ``"reduction"`` (benefits).

    Returns
    -------
    str
        ``"confidence grade 3 (10% reduction, lp2014 table)"``, as
        :func:`benefit_optimism_text` words it from the scenario; ``"10% reduction, given in
        the scenario"``; any other basis after the amount (``"22% uplift: ..."``).
    """
    amount = f"{percent_text(fraction)} {effect}"
    if basis == f"{effect} given in the scenario":
        return f"{amount}, given in the scenario"
    grade, bracket, table = basis.partition(" (")
    if grade.startswith("confidence grade ") and bracket and table.endswith(")"):
        return f"{grade} ({amount}, {table}"
    return f"{amount}: {basis}"


def number_text(value: float, unit: str = "") -> str:
    """A number in words for running text: a year without separators, a whole number with
    thousands separators, anything else to at most four significant decimals."""
    if unit == "calendar year":
        return f"{value:.0f}"
    if value == round(value):
        return f"{value:,.0f}"
    return f"{value:,.10g}"


def range_text(low: float | None, high: float | None, unit: str = "") -> str:
    """A searched range in words; a missing end is unlimited.

    Returns
    -------
    str
        ``"0 to 1"``, ``"at least 0"``, ``"at most 10"`` or ``"any value"``.
    """
    if low is not None and high is not None:
        return f"{number_text(low, unit)} to {number_text(high, unit)}"
    if low is not None:
        return f"at least {number_text(low, unit)}"
    if high is not None:
        return f"at most {number_text(high, unit)}"
    return "any value"
