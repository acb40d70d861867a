"""The budget period (docs/allocation.md): totals count the schemes' public costs in the
period's years only; costs after it are reported as commitments; a by-year limit outside the
period is refused, located."""

from __future__ import annotations

from pathlib import Path

import pytest

from cba.allocate import allocate_budget
from cba.io.budget_file import load_budget
from cba.io.problems import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "budgets" / "ladywood_neighbourhood_budget.yaml"


def written(tmp_path: Path, old: str, new: str) -> Path:
    """The example with ``old`` replaced by ``new``, in ``tmp_path``, its scenario files named
    by absolute path."""
    import re

    text = EXAMPLE.read_text(encoding="utf-8")
    assert text.count(old) == 1
    text = re.sub(
        r"(scenario: )(\S+)",
        lambda m: m.group(1) + str((EXAMPLE.parent / m.group(2)).resolve()),
        text.replace(old, new),
    )
    path = tmp_path / "budget.yaml"
    path.write_text(text, encoding="utf-8")
    return path


PERIOD = "period: {first_year: 2024, last_year: 2028}"


def test_the_example_counts_the_period_and_reports_what_comes_after() -> None:
    allocation = allocate_budget(load_budget(EXAMPLE), draws=0)
    assert allocation.period == (2024, 2028)
    best = allocation.optimal
    whole_life = sum(sum(s.costs_by_year.values()) for s in best.schemes if s.funded)
    in_period = sum(
        a for s in best.schemes if s.funded for y, a in s.costs_by_year.items() if y <= 2028
    )
    assert best.spent == pytest.approx(in_period, abs=1e-6)
    assert best.committed_after_period == pytest.approx(whole_life - in_period, abs=1e-6)
    assert best.committed_after_period > 0  # the example has schemes running past 2028
    (total,) = [x for x in allocation.limits if x.label == "envelope, total"]
    assert total.used == pytest.approx(best.spent, abs=1e-3)
    assert sum(a.contribution for a in best.agencies) == pytest.approx(best.spent, abs=1e-3)


def test_without_a_period_every_year_counts(tmp_path: Path) -> None:
    allocation = allocate_budget(load_budget(written(tmp_path, PERIOD, "")), draws=0)
    best = allocation.optimal
    assert allocation.period is None and best.committed_after_period == 0.0
    whole_life = sum(sum(s.costs_by_year.values()) for s in best.schemes if s.funded)
    assert best.spent == pytest.approx(whole_life, abs=1e-6)
    # Counting every year leaves less room in the same envelope: no more NPSV than with it.
    with_period = allocate_budget(load_budget(EXAMPLE), draws=0).optimal.npsv
    assert best.npsv <= with_period + 1e-6


def test_a_by_year_limit_outside_the_period_is_refused(tmp_path: Path) -> None:
    path = written(tmp_path, "{2024: 420000, 2025: 320000}", "{2024: 420000, 2031: 50000}")
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(k for k, text in enumerate(lines, start=1) if "2031: 50000" in text)
    with pytest.raises(
        ScenarioError, match=rf"budget.yaml:{line}:\d+: envelope.by_year\[2031\]: 2031 is outside"
    ):
        load_budget(path)


def test_a_period_ending_before_it_starts_is_refused(tmp_path: Path) -> None:
    path = written(tmp_path, PERIOD, "period: {first_year: 2028, last_year: 2024}")
    with pytest.raises(ScenarioError, match="last_year 2024 is before first_year 2028"):
        load_budget(path)
