"""An independent re-computation of the headline figures in exact rational arithmetic.

Written from docs/methods.md, not from cba.pipeline or cba.engine: plain loops over years and
``fractions.Fraction``. Used as an oracle for every example scenario.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction as F

from cba.reference.discount_schedules import NAMED_SCHEDULES
from cba.reference.optimism_bias import mott_macdonald_2002
from cba.spec.benefits import FiscalValue
from cba.spec.community import TimeInput
from cba.spec.discounting import ConstantRate
from cba.spec.optimism import GradedCorrection, MottMacDonaldUplift
from cba.spec.scenario import Option, Scenario


def _bands(spec) -> list[tuple[int, F]]:
    if isinstance(spec, str):
        return [(b.from_year_offset, F(b.rate)) for b in NAMED_SCHEDULES[spec].bands]
    if isinstance(spec, ConstantRate):
        return [(0, F(spec.constant_rate))]
    return [(b.from_year_offset, F(b.rate)) for b in spec.bands]


def factors(spec, n: int) -> list[F]:
    bands = _bands(spec)
    out = [F(1)]
    for t in range(1, n):
        rate = [r for start, r in bands if start <= t][-1]
        out.append(out[-1] / (1 + rate))
    return out


@dataclass
class Totals:
    public: F
    non_public: F
    community: F
    benefits: F  # transfers excluded


def option_totals(s: Scenario, option: Option) -> Totals:
    n = s.appraisal_period_years
    std = factors(s.discounting.schedule, n)
    health = factors(s.discounting.health_schedule, n)
    public = {a.id for a in s.agencies if a.sector == "public"}
    grades = s.confidence_grades.corrections

    def rebase(price_year: int | None) -> F:
        if price_year is None or price_year == s.price_base_year:
            return F(1)
        assert s.deflator is not None
        return F(s.deflator.index[s.price_base_year]) / F(s.deflator.index[price_year])

    def years(start: int | None, end: int | None) -> range:
        first = (start or s.first_year) - s.first_year
        last = (end or s.last_year) - s.first_year
        return range(first, last + 1)

    t = Totals(F(0), F(0), F(0), F(0))
    for c in option.costs:
        ob = c.optimism_bias
        if isinstance(ob, MottMacDonaldUplift):
            up = F(mott_macdonald_2002()[ob.category].upper_bound) * (1 - F(ob.mitigation))
        elif isinstance(ob, GradedCorrection):
            up = F(grades[ob.confidence_grade])
        else:
            up = F(ob)
        if c.series is not None:
            amounts = {y - s.first_year: F(v) for y, v in c.series.items()}
        else:
            amounts = {y: F(c.amount_per_year) for y in years(c.start_year, c.end_year)}
        pv = sum((a * std[y] for y, a in amounts.items()), F(0)) * (1 + up) * rebase(c.price_year)
        shares = (
            {c.paid_by: F(1)}
            if isinstance(c.paid_by, str)
            else {k: F(v) for k, v in c.paid_by.items()}
        )
        for agency, share in shares.items():
            if agency in public:
                t.public += pv * share
            else:
                t.non_public += pv * share
    for i in option.community_inputs:
        per_year = (
            F(i.hours) * F(i.value_per_hour) if isinstance(i, TimeInput) else F(i.value_per_year)
        )
        t.community += sum((per_year * std[y] for y in years(i.start_year, i.end_year)), F(0)) * (
            rebase(i.price_year)
        )
    for b in option.benefits:
        cohort, engagement, success = b.gross_outcomes_per_year
        ob = b.optimism_bias
        reduction = F(grades[ob.confidence_grade]) if isinstance(ob, GradedCorrection) else F(ob)
        net = (
            F(cohort)
            * F(engagement)
            * F(success)
            * (1 - F(b.deadweight))
            * (1 - F(b.displacement))
            * (1 - F(b.leakage))
            * (1 - F(b.substitution))
            * (1 - F(b.attribution))
            * F(b.multiplier)
            * (1 - reduction)
        )
        value = sum(
            (F(v.amount) for v in b.unit_values if not (isinstance(v, FiscalValue) and v.transfer)),
            F(0),
        )
        d = health if b.health else std
        first = (b.start_year or s.first_year) - s.first_year
        duration = b.duration_years or (n - first)
        keep = 1 - F(b.drop_off)
        pv = sum((keep**k * d[first + k] for k in range(duration)), F(0))
        t.benefits += net * value * pv * rebase(b.price_year)
    return t
