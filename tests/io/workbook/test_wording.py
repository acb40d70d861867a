"""Scenario values in words (cba.io.workbook.wording) and the text measure of the layout
(cba.io.workbook.layout)."""

from __future__ import annotations

import math

import pytest

from cba.io.workbook.layout import count_style, required_height, text_lines
from cba.io.workbook.wording import (
    applied_optimism_text,
    benefit_optimism_fraction,
    benefit_optimism_text,
    cost_optimism_fraction,
    cost_optimism_text,
    paid_by_text,
    percent_text,
    range_text,
)
from cba.spec.optimism import ConfidenceGradeTable, GradedCorrection, MottMacDonaldUplift

LP2014 = ConfidenceGradeTable()


@pytest.mark.parametrize(
    ("fraction", "text"),
    [
        (0.5, "50%"),
        (1.0, "100%"),
        (0.0, "0%"),
        (0.6, "60%"),
        (1 / 3, "33.33%"),
        (0.0225, "2.25%"),
        (0.035, "3.5%"),
        (2.0, "200%"),
        (math.nan, "undefined"),
    ],
)
def test_percent_text(fraction: float, text: str) -> None:
    assert percent_text(fraction) == text


def test_paid_by_one_agency_is_its_id() -> None:
    assert paid_by_text("police") == "police"
    assert paid_by_text({"police": 1.0}) == "police"


def test_paid_by_shares_read_as_percentages_in_the_scenario_order() -> None:
    assert paid_by_text({"nhs": 0.5, "council": 0.5}) == "nhs 50%, council 50%"
    assert paid_by_text({"council": 0.6, "nhs": 0.4}) == "council 60%, nhs 40%"
    assert paid_by_text({"a": 1 / 3, "b": 2 / 3}) == "a 33.33%, b 66.67%"


def test_cost_optimism_bias_given_as_a_fraction() -> None:
    assert cost_optimism_text(0.24, LP2014) == "24% uplift, given in the scenario"
    assert cost_optimism_text(0.0, LP2014) == "none (0% uplift)"
    assert cost_optimism_fraction(0.24, LP2014) == 0.24


def test_cost_optimism_bias_from_a_mott_macdonald_category() -> None:
    ob = MottMacDonaldUplift(category="standard_buildings", mitigation=0.5)
    assert cost_optimism_text(ob, LP2014) == (
        "Mott MacDonald (2002) standard buildings, 24% upper bound, 50% mitigated (12% uplift)"
    )
    assert cost_optimism_fraction(ob, LP2014) == pytest.approx(0.12)


def test_optimism_bias_from_a_confidence_grade_names_the_grade_and_its_correction() -> None:
    grade = GradedCorrection(confidence_grade=3)
    assert cost_optimism_text(grade, LP2014) == "confidence grade 3 (10% uplift, lp2014 table)"
    assert benefit_optimism_text(grade, LP2014) == (
        "confidence grade 3 (10% reduction, lp2014 table)"
    )
    assert cost_optimism_fraction(grade, LP2014) == 0.10
    assert benefit_optimism_fraction(grade, LP2014) == 0.10


def test_optimism_bias_reads_the_scenarios_own_grade_table() -> None:
    table = ConfidenceGradeTable(name="ours", corrections={1: 0.0, 2: 0.3}, source="ours")
    grade = GradedCorrection(confidence_grade=2)
    assert benefit_optimism_text(grade, table) == "confidence grade 2 (30% reduction, ours table)"


def test_benefit_optimism_bias_given_as_a_fraction() -> None:
    assert benefit_optimism_text(0.1, LP2014) == "10% reduction, given in the scenario"
    assert benefit_optimism_text(0.0, LP2014) == "none (0% reduction)"
    assert benefit_optimism_fraction(0.1, LP2014) == 0.1


def test_applied_optimism_bias_from_the_results() -> None:
    assert applied_optimism_text(0.15, "confidence grade 4 (lp2014 table)", "reduction") == (
        "confidence grade 4 (15% reduction, lp2014 table)"
    )
    assert applied_optimism_text(0.22, "Mott MacDonald (2002) outsourcing", "uplift") == (
        "22% uplift: Mott MacDonald (2002) outsourcing"
    )
    assert applied_optimism_text(0.1, "reduction given in the scenario", "reduction") == (
        "10% reduction, given in the scenario"
    )


@pytest.mark.parametrize(
    ("low", "high", "unit", "text"),
    [
        (0.0, 1.0, "fraction", "0 to 1"),
        (0.0, 1e12, "GBP per year", "0 to 1,000,000,000,000"),
        (2020.0, 2030.0, "calendar year", "2020 to 2030"),
        (0.5, None, "", "at least 0.5"),
        (None, 10.0, "", "at most 10"),
        (None, None, "", "any value"),
    ],
)
def test_range_text_never_shows_infinity(
    low: float | None, high: float | None, unit: str, text: str
) -> None:
    assert range_text(low, high, unit) == text


def test_text_lines_wrap_whole_words() -> None:
    assert text_lines("PV community inputs given [GBP]", 16) == 3
    assert text_lines("short", 16) == 1
    assert text_lines("", 16) == 1
    assert text_lines("a" * 25, 10) == 3  # a word longer than a line is broken
    assert text_lines("one\ntwo", 40) == 2  # a line break starts a line


def test_text_lines_never_fewer_than_the_length_allows() -> None:
    text = "Illustrative assumption: " * 12
    for width in (5, 12, 30, 90):
        assert text_lines(text, width) >= math.ceil(len(text) / width)


def test_required_height_grows_with_lines_and_font() -> None:
    one = required_height("x", 10)
    assert one == 15.0
    assert required_height("x " * 40, 10) > one
    assert required_height("x", 10, font_size=16) > one


def test_count_style_shows_whole_counts_as_integers() -> None:
    assert count_style(150.0) == "cba integer"
    assert count_style(9.1) == "cba count"
    assert count_style(None) == "cba count"
