"""The value of information (cba.engine.information) against cases with known answers.

Two options, the counterfactual (net 0) and a scheme whose net value is a function of standard
normal inputs x1, x2 (independent):

- net = x1 + x2: EVPI = E[max(0, x1 + x2)] = sqrt(2) phi(0) = 1/sqrt(pi); EVPPI(x1) =
  E[max(0, x1)] = phi(0) = 1/sqrt(2 pi); EVPPI({x1, x2}) = EVPI.
- net = x1 x2: EVPI = E|x1 x2| / 2 = 1/pi; EVPPI(x1) = 0 (E[x1 x2 | x1] = 0 for every x1);
  EVPPI({x1, x2}) = EVPI (the pairwise product is in the regression).

Tolerances: the Monte Carlo standard error of each estimate (about sd(net)/sqrt(n)) times 5,
plus the bias of fitting within bins (upwards, of the order of the bin means' noise).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cba.engine.information import partial_information, perfect_information

N = 200_000


def _normals(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(N), rng.standard_normal(N)


def _table(scheme: np.ndarray) -> np.ndarray:
    return np.column_stack([np.zeros(len(scheme)), scheme])


def test_additive_scheme_matches_the_analytic_values() -> None:
    x1, x2 = _normals(1)
    net = _table(x1 + x2)
    se = math.sqrt(2.0) / math.sqrt(N)
    assert perfect_information(net) == pytest.approx(1 / math.sqrt(math.pi), abs=5 * se)
    assert partial_information([x1], net) == pytest.approx(
        1 / math.sqrt(2 * math.pi), abs=5 * se + 0.005
    )
    assert partial_information([x1, x2], net) == pytest.approx(
        1 / math.sqrt(math.pi), abs=5 * se + 0.005
    )


def test_interaction_is_valued_only_with_both_inputs() -> None:
    x1, x2 = _normals(2)
    net = _table(x1 * x2)
    se = 1.0 / math.sqrt(N)
    assert perfect_information(net) == pytest.approx(1 / math.pi, abs=5 * se)
    assert partial_information([x1], net) == pytest.approx(0.0, abs=0.01)
    assert partial_information([x1, x2], net) == pytest.approx(1 / math.pi, abs=5 * se + 0.01)


def test_group_order_does_not_matter_and_never_exceeds_evpi_by_more_than_noise() -> None:
    x1, x2 = _normals(3)
    net = _table(0.3 + x1 - 0.5 * x2)
    a = partial_information([x1, x2], net)
    b = partial_information([x2, x1], net)
    assert a == pytest.approx(b, rel=1e-9)
    assert a <= perfect_information(net) + 0.01


def test_a_discrete_input_uses_one_bin_per_value() -> None:
    rng = np.random.default_rng(4)
    choice = rng.choice(np.array(["low", "high"]), size=N)
    noise = rng.standard_normal(N)
    scheme = np.where(choice == "high", 1.0, -1.0) + 0.1 * noise
    net = _table(scheme)
    # Knowing the choice settles the decision: EVPPI = E[max(0, scheme) | choice] ~ 0.5 * 1.
    share_high = float(np.mean(choice == "high"))
    expected = share_high * float(scheme[choice == "high"].mean()) - max(0.0, scheme.mean())
    assert partial_information([choice], net) == pytest.approx(expected, rel=1e-9)


def test_exactly_zero_when_one_option_is_always_best() -> None:
    x1, x2 = _normals(5)
    net = _table(10.0 + 0.1 * x1 + 0.1 * x2)  # the scheme wins at every draw
    assert perfect_information(net) == 0.0
    assert partial_information([x1], net) == 0.0
    assert partial_information([x1, x2], net) == 0.0


def test_irrelevant_input_is_worth_about_nothing() -> None:
    x1, x2 = _normals(6)
    net = _table(x1)
    assert partial_information([x2], net) == pytest.approx(0.0, abs=0.01)
    assert partial_information([], net) == 0.0
