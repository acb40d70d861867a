"""Agencies: the organisations and groups that pay, contribute and benefit."""

from __future__ import annotations

from typing import Literal

from cba.spec.base import Identifier, ShortText, StrictModel, Text

Sector = Literal["public", "private", "third_sector", "community"]
"""Sector of an agency. Costs paid by ``public`` agencies form the public cost base."""


class Agency(StrictModel):
    """An organisation or group (council, police, NHS, DWP, a residents' group, a charity)."""

    id: Identifier
    """Short id that cost, input and benefit lines use to name this agency."""
    name: ShortText
    """Full name, as shown in outputs."""
    sector: Sector
    """public, private, third_sector or community."""
    description: Text = ""
    """Optional note on the agency's role."""
