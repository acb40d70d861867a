"""The SROI view's conventions in the scenario language (Cabinet Office / SROI Network, *A guide
to Social Return on Investment*, 2009, revised 2012; docs/sroi.md).

The SROI view is computed for every scenario, beside (never instead of) the Green Book figures;
this block only chooses its conventions. Without it the guide's worked-example convention is
used: values of a year are discounted as at its end (``discount_first_year: true``).
"""

from __future__ import annotations

from cba.spec.base import Source, StrictModel

SROI_GUIDE_SOURCE = (
    "Cabinet Office and The SROI Network (2012), A guide to Social Return on Investment, "
    "revised edition (first published 2009), stage 5: present value of the impact at the Green "
    "Book discount rate; SROI ratio = present value / value of inputs; net SROI ratio = net "
    "present value / value of inputs."
)
"""The citation the SROI view carries unless the scenario gives its own."""


class SroiSettings(StrictModel):
    """How the SROI view of the appraisal is computed (docs/sroi.md). The discount rates are
    the scenario's own schedules (``discounting``); the benefits and inputs are the same ledger
    as the Green Book figures."""

    discount_first_year: bool = True
    """Discount the benefits of each year as at the end of the year, so year 1 (offset 0) is
    divided by (1 + r) as in the SROI guide's worked example (true, the default); false leaves
    offset 0 undiscounted, as the Green Book does. Inputs are valued at the start of each year
    either way (offset 0 undiscounted) [true or false]."""
    source: Source = SROI_GUIDE_SOURCE
    """Where the SROI conventions come from. Default: the SROI guide (2012), stage 5."""
