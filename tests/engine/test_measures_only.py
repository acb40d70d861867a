"""``appraisal.measures(only=...)``: a measure asked for alone has the same bits as in the full
set; a measure not asked for is not computed (NaN, -1 for the band) unless one asked for is
built from it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cba.engine import appraisal
from cba.engine.discounting import discount_factors
from tests.engine.test_appraisal import LOWER, _inputs


@given(
    st.integers(0, 2**32 - 1),
    st.lists(st.sampled_from(appraisal.MEASURE_NAMES), max_size=6, unique=True),
)
def test_measures_asked_for_have_the_bits_of_the_full_set(seed: int, names: list[str]) -> None:
    rng = np.random.default_rng(seed)
    totals = appraisal.yearly_totals(**_inputs(rng, (5,), 8))
    factors = discount_factors(np.full(8, 0.035))
    full = appraisal.measures(totals, factors, LOWER, with_irr=False)
    some = appraisal.measures(totals, factors, LOWER, with_irr=False, only=names)
    for name in appraisal.MEASURE_NAMES:
        got = np.asarray(getattr(some, name))
        want = np.asarray(getattr(full, name))
        if name in names:
            np.testing.assert_array_equal(got, want)
            continue
        # not asked for: not computed, or computed on the way to one that was (then the same)
        missing = got == -1 if name in appraisal.INTEGER_MEASURES else np.isnan(got)
        assert np.all(missing) or np.array_equal(got, want, equal_nan=True), name


def test_only_nothing_computes_nothing_and_an_unknown_name_is_refused() -> None:
    rng = np.random.default_rng(2)
    totals = appraisal.yearly_totals(**_inputs(rng, (3,), 4))
    factors = discount_factors(np.full(4, 0.035))
    none = appraisal.measures(totals, factors, LOWER, only=())
    assert np.all(np.isnan(none.npsv)) and np.all(none.value_for_money_band == -1)
    with pytest.raises(ValueError, match="not a measure: npv"):
        appraisal.measures(totals, factors, LOWER, only=["npv"])
