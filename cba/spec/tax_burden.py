"""The marginal excess tax burden (METB) in the scenario language: the cost to the economy of
raising the public money an option needs, beyond the money itself (docs/methods.md §19).

The 2026 Green Book (chapter 6, "Costs of raising public funds") advises that these costs
should not generally be included in appraisal: most proposals are funded from pre-determined
budgets, so the cost of raising the funds does not vary between the options compared; its one
exception is private finance model options. It sets no rate. cba therefore adds no METB unless
a scenario asks for one, for the options it names, with the rate it cites and the reason it
departs from the general advice; the result then shows the METB as its own line, beside the
figures without it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, Tag

from cba.spec.base import OptionRef, Source, StrictModel, Text, discriminator, tag

GREEN_BOOK_2026_ADVICE = (
    "HM Treasury (2026), The Green Book, chapter 6, 'Costs of raising public funds': "
    "practitioners should not generally include these costs in appraisal (proposals are mostly "
    "funded from pre-determined budgets, so the cost of raising funds does not vary between "
    "options); the exception is private finance model options. No rate is set. Read as quoted "
    "by a third party (RECALLED/VERIFY; docs/reference-values.md)."
)
"""The advice cba applies when a scenario gives no ``marginal_excess_tax_burden`` block."""

Uplift = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


def _options_form(value: Any) -> str | None:
    if value == "all":
        return tag("all")
    if isinstance(value, list | tuple):
        return tag("list")
    return None


OptionsNamed = Annotated[
    Annotated[Literal["all"], Tag(tag("all"))]
    | Annotated[list[OptionRef], Field(min_length=1), Tag(tag("list"))],
    discriminator(_options_form, "all, or a list of option ids"),
]


class MarginalExcessTaxBurden(StrictModel):
    """An uplift for the excess burden of raising public funds, on the options named.

    Each year's METB [GBP per year] is ``uplift x (public costs - cashable fiscal savings)``:
    the net cost to public budgets (the net Exchequer cost) that taxation must finance. A year in
    which cashable savings exceed costs has a negative METB (less tax is raised). Non-cashable
    savings free capacity, not cash, and are left out. The METB is a cost to the economy that no
    agency pays: it is taken from benefits in the NPSV and in the BCR numerators (as non-public
    costs are), and it is not in any agency's position.
    """

    uplift: Uplift
    """Excess burden per pound of net public cost [fraction of net public cost], e.g. 0.2. The
    rates that circulate (0.2, 0.3) are in the shipped table ``costs_of_raising_public_funds``,
    graded RECALLED/VERIFY: ``uplift: {ref: costs_of_raising_public_funds@2026-02:
    reduced_uplift.rate}``."""
    options: OptionsNamed
    """The options it applies to: a list of option ids, or ``all``. The Green Book's exception
    is private finance model options; applying it to some options and not others is itself a
    difference between them."""
    why: Text
    """Why this appraisal departs from the Green Book's general advice not to include these
    costs (shown with the result)."""
    source: Source
    """Where the uplift comes from."""

    def applies_to(self, option_id: str) -> bool:
        """True when the METB is added to ``option_id``."""
        return self.options == "all" or option_id in self.options
