"""Random draws for Monte Carlo (``cba.engine.sampling``): per-input streams, the distribution
families against their analytic moments, degenerate and chunked draws, the normal quantile
against the standard library, correlation-matrix checks and Iman-Conover rank correlation.

Statistical tolerances come from the sample size (4 standard errors at fixed seeds); every
expected value is computed independently of the code under test (closed-form moments,
``statistics.NormalDist``, ``math.erfc``, numpy's own Generator construction).
"""

from __future__ import annotations

import hashlib
import math
import re
import statistics
import struct
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

from cba.engine.sampling import (
    _erfc,
    check_correlation,
    draw,
    draw_choice,
    normal_quantile,
    rank_correlate,
    stream,
)

FloatArray = NDArray[np.float64]
SEED = 20260401
N_MOMENTS = 200_000
STANDARD = statistics.NormalDist()


# --------------------------------------------------------------------------------------------
# stream
# --------------------------------------------------------------------------------------------


def documented_stream(seed: int, path: str) -> np.random.Generator:
    """The construction the docstring promises, built independently: SHA-256 of the UTF-8
    path as eight little-endian uint32 words, the spawn key of a SeedSequence."""
    words = struct.unpack("<8I", hashlib.sha256(path.encode("utf-8")).digest())
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=words)
    return np.random.Generator(np.random.PCG64(sequence))


def test_same_seed_and_path_give_identical_draws() -> None:
    a = stream(SEED, "lines.footfall.quantity").random(1000)
    b = stream(SEED, "lines.footfall.quantity").random(1000)
    np.testing.assert_array_equal(a, b)


@given(st.integers(0, 2**63 - 1), st.text(max_size=40))
def test_stream_is_the_documented_seed_sequence(seed: int, path: str) -> None:
    np.testing.assert_array_equal(
        stream(seed, path).integers(0, 2**63, 8),
        documented_stream(seed, path).integers(0, 2**63, 8),
    )


def test_different_path_or_seed_gives_a_different_stream() -> None:
    base = stream(SEED, "a.b").random(100)
    assert not np.array_equal(base, stream(SEED, "a.c").random(100))
    assert not np.array_equal(base, stream(SEED + 1, "a.b").random(100))
    # Not the seed's own stream, nor the first child numpy would spawn from it.
    assert not np.array_equal(base, np.random.default_rng(SEED).random(100))
    child = np.random.SeedSequence(SEED).spawn(1)[0]
    assert not np.array_equal(base, np.random.Generator(np.random.PCG64(child)).random(100))


def test_other_inputs_never_change_an_inputs_draws() -> None:
    alone = draw("normal", {"mean": 5.0, "sd": 2.0}, stream(SEED, "x"), 500)
    # Other inputs created and drawn before and in between: x's draws are the same.
    others = [stream(SEED, f"other.{i}") for i in range(5)]
    for rng in others:
        rng.random(1000)
    mine = stream(SEED, "x")
    first = draw("normal", {"mean": 5.0, "sd": 2.0}, mine, 200)
    for rng in others:
        rng.standard_normal(77)
    second = draw("normal", {"mean": 5.0, "sd": 2.0}, mine, 300)
    np.testing.assert_array_equal(alone, np.concatenate([first, second]))


@pytest.mark.parametrize("seed", [-1, 1.5, True])
def test_stream_refuses_a_bad_seed(seed: Any) -> None:
    with pytest.raises(ValueError, match="seed"):
        stream(seed, "x")


# --------------------------------------------------------------------------------------------
# draw: moments and support
# --------------------------------------------------------------------------------------------


def truncated_normal_moments(
    mean: float, sd: float, low: float, high: float
) -> tuple[float, float]:
    """Mean and variance of a normal cut to [low, high] (closed form)."""
    a, b = (low - mean) / sd, (high - mean) / sd
    pdf_a = STANDARD.pdf(a) if math.isfinite(a) else 0.0
    pdf_b = STANDARD.pdf(b) if math.isfinite(b) else 0.0
    a_pdf_a = a * pdf_a if math.isfinite(a) else 0.0
    b_pdf_b = b * pdf_b if math.isfinite(b) else 0.0
    mass = STANDARD.cdf(b) - STANDARD.cdf(a)
    shift = (pdf_a - pdf_b) / mass
    return mean + sd * shift, sd**2 * (1 + (a_pdf_a - b_pdf_b) / mass - shift**2)


def beta_moments(alpha: float, beta: float, low: float, high: float) -> tuple[float, float]:
    total = alpha + beta
    width = high - low
    return low + width * alpha / total, width**2 * alpha * beta / (total**2 * (total + 1))


def pert_moments(low: float, mode: float, high: float, shape: float) -> tuple[float, float]:
    alpha = 1 + shape * (mode - low) / (high - low)
    beta = 1 + shape * (high - mode) / (high - low)
    mean, var = beta_moments(alpha, beta, low, high)
    assert mean == pytest.approx((low + shape * mode + high) / (shape + 2), rel=1e-12)
    return mean, var


LN_MU, LN_SIGMA = math.log(250.0), 0.4

# (family, params, analytic mean, analytic variance, support)
MOMENT_CASES: list[tuple[str, dict[str, float], float, float, tuple[float, float]]] = [
    ("uniform", {"low": -2.0, "high": 5.0}, 1.5, 49 / 12, (-2.0, 5.0)),
    (
        "triangular",
        {"low": 10.0, "mode": 12.0, "high": 20.0},
        (10 + 12 + 20) / 3,
        (100 + 144 + 400 - 120 - 200 - 240) / 18,
        (10.0, 20.0),
    ),
    (
        "pert",
        {"low": 0.2, "mode": 0.3, "high": 0.9},
        (0.2 + 4 * 0.3 + 0.9) / 6,
        pert_moments(0.2, 0.3, 0.9, 4.0)[1],
        (0.2, 0.9),
    ),
    (
        "pert",
        {"low": 100.0, "mode": 400.0, "high": 500.0, "shape": 2.0},
        *pert_moments(100.0, 400.0, 500.0, 2.0),
        (100.0, 500.0),
    ),
    ("normal", {"mean": 3.0, "sd": 0.7}, 3.0, 0.49, (-math.inf, math.inf)),
    (
        "normal",
        {"mean": 0.3, "sd": 0.2, "low": 0.0, "high": 1.0},
        *truncated_normal_moments(0.3, 0.2, 0.0, 1.0),
        (0.0, 1.0),
    ),
    (
        "normal",
        {"mean": 1.0, "sd": 1.0, "low": 0.5},
        *truncated_normal_moments(1.0, 1.0, 0.5, math.inf),
        (0.5, math.inf),
    ),
    (  # a tail slice keeping 2% of the mass: several rounds of redrawing
        "normal",
        {"mean": 0.0, "sd": 1.0, "low": 2.0, "high": 3.0},
        *truncated_normal_moments(0.0, 1.0, 2.0, 3.0),
        (2.0, 3.0),
    ),
    (
        "lognormal",
        {"median": 250.0, "sigma": LN_SIGMA},
        math.exp(LN_MU + LN_SIGMA**2 / 2),
        (math.exp(LN_SIGMA**2) - 1) * math.exp(2 * LN_MU + LN_SIGMA**2),
        (0.0, math.inf),
    ),
    ("beta", {"alpha": 2.0, "beta": 5.0}, *beta_moments(2.0, 5.0, 0.0, 1.0), (0.0, 1.0)),
    ("beta", {"alpha": 0.4, "beta": 0.6}, *beta_moments(0.4, 0.6, 0.0, 1.0), (0.0, 1.0)),
    (  # mean and sd in the input's unit, on [low, high]
        "beta",
        {"mean": 30.0, "sd": 10.0, "low": 10.0, "high": 110.0},
        30.0,
        100.0,
        (10.0, 110.0),
    ),
]


@pytest.mark.parametrize(
    ("family", "params", "mean", "variance", "support"),
    MOMENT_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(MOMENT_CASES)],
)
def test_sample_moments_match_the_analytic_ones(
    family: str,
    params: dict[str, float],
    mean: float,
    variance: float,
    support: tuple[float, float],
) -> None:
    x = draw(family, params, stream(SEED, f"moments.{family}"), N_MOMENTS)
    assert x.shape == (N_MOMENTS,)
    assert x.dtype == np.float64
    standard_error = math.sqrt(variance / N_MOMENTS)
    assert abs(x.mean() - mean) < 4 * standard_error
    # The sd within 3% (the sample sd's relative standard error here is under 0.5%).
    assert x.std() == pytest.approx(math.sqrt(variance), rel=0.03)
    low, high = support
    assert np.all(x >= low)
    assert np.all(x <= high)
    if family == "lognormal":
        assert np.all(x > 0)


def test_beta_mean_sd_and_alpha_beta_forms_agree() -> None:
    # mean 0.25, sd 0.1 on [0, 1]: common = 0.1875 / 0.01 - 1 = 17.75, alpha 4.4375, beta 13.3125
    by_moments = draw("beta", {"mean": 0.25, "sd": 0.1}, stream(SEED, "b"), 1000)
    by_shape = draw("beta", {"alpha": 4.4375, "beta": 13.3125}, stream(SEED, "b"), 1000)
    np.testing.assert_allclose(by_moments, by_shape, rtol=1e-12)


def test_scaled_draws_never_round_past_the_upper_bound() -> None:
    # Beta(50, 0.01) is exactly 1.0 in most draws, and -0.3 + (0.1 - -0.3) * 1.0 rounds above
    # 0.1 in float64: the draw must still not exceed high.
    assert -0.3 + (0.1 - -0.3) * 1.0 > 0.1
    x = draw(
        "beta", {"alpha": 50.0, "beta": 0.01, "low": -0.3, "high": 0.1}, stream(SEED, "r"), 500
    )
    assert x.max() == 0.1


# --------------------------------------------------------------------------------------------
# draw: degenerate, chunked, refused
# --------------------------------------------------------------------------------------------

DEGENERATE = [
    ("uniform", {"low": 0.1 + 0.2, "high": 0.1 + 0.2}, 0.1 + 0.2),
    ("triangular", {"low": 1 / 3, "mode": 1 / 3, "high": 1 / 3}, 1 / 3),
    ("pert", {"low": math.pi, "mode": math.pi, "high": math.pi}, math.pi),
    ("pert", {"low": 7.0, "mode": 7.0, "high": 7.0, "shape": 10.0}, 7.0),
    ("normal", {"mean": 0.1 + 0.2, "sd": 0.0}, 0.1 + 0.2),
    ("normal", {"mean": 2 / 3, "sd": 0.0, "low": 0.0, "high": 1.0}, 2 / 3),
    ("lognormal", {"median": 1 / 7, "sigma": 0.0}, 1 / 7),
    ("beta", {"mean": 0.35, "sd": 0.0}, 0.35),
    ("beta", {"alpha": 2.0, "beta": 3.0, "low": 4.5, "high": 4.5}, 4.5),
]


@pytest.mark.parametrize(("family", "params", "value"), DEGENERATE)
def test_degenerate_distribution_is_its_value_exactly_and_draws_nothing(
    family: str, params: dict[str, float], value: float
) -> None:
    rng = stream(SEED, "degenerate")
    x = draw(family, params, rng, 1000)
    assert x.dtype == np.float64
    np.testing.assert_array_equal(x, np.full(1000, value))
    assert x.tobytes() == np.full(1000, value).tobytes()
    # The stream was not advanced.
    assert rng.random() == stream(SEED, "degenerate").random()


CHUNKED = [
    ("uniform", {"low": -1.0, "high": 4.0}),
    ("triangular", {"low": 0.0, "mode": 0.7, "high": 1.0}),
    ("pert", {"low": 0.0, "mode": 0.2, "high": 1.0}),
    ("pert", {"low": 0.0, "mode": 0.5, "high": 1.0, "shape": 0.5}),
    ("normal", {"mean": 10.0, "sd": 3.0}),
    ("lognormal", {"median": 2.0, "sigma": 1.5}),
    ("beta", {"alpha": 0.5, "beta": 0.7}),  # Johnk's algorithm (both below 1)
    ("beta", {"alpha": 3.0, "beta": 0.4}),
    ("beta", {"mean": 30.0, "sd": 10.0, "low": 0.0, "high": 100.0}),
]


@pytest.mark.parametrize(("family", "params"), CHUNKED)
@pytest.mark.parametrize(("n1", "n2"), [(1, 999), (337, 663), (999, 1)])
def test_drawing_in_two_chunks_equals_drawing_at_once(
    family: str, params: dict[str, float], n1: int, n2: int
) -> None:
    whole = draw(family, params, stream(SEED, "chunks"), n1 + n2)
    rng = stream(SEED, "chunks")
    parts = np.concatenate([draw(family, params, rng, n1), draw(family, params, rng, n2)])
    np.testing.assert_array_equal(parts, whole)


def test_choice_in_two_chunks_equals_drawing_at_once() -> None:
    values = ["standard", "health", "lower"]
    whole = draw_choice(values, [2.0, 1.0, 1.0], stream(SEED, "choice"), 1000)
    rng = stream(SEED, "choice")
    parts = np.concatenate(
        [draw_choice(values, [2.0, 1.0, 1.0], rng, 400), draw_choice(values, [2, 1, 1], rng, 600)]
    )
    np.testing.assert_array_equal(parts, whole)


def test_truncated_normal_is_deterministic_given_the_stream() -> None:
    params = {"mean": 0.0, "sd": 1.0, "low": 1.0, "high": 1.5}
    a = draw("normal", params, stream(SEED, "t"), 5000)
    b = draw("normal", params, stream(SEED, "t"), 5000)
    np.testing.assert_array_equal(a, b)
    assert a.min() >= 1.0
    assert a.max() <= 1.5


@pytest.mark.parametrize(
    ("family", "params", "message"),
    [
        ("gamma", {"shape": 2.0}, "unknown distribution family"),
        ("choice", {}, "draw_choice"),
        ("uniform", {"low": 0.0}, "takes high/low"),
        ("uniform", {"low": 0.0, "high": 1.0, "mode": 0.5}, "got high, low, mode"),
        ("beta", {"alpha": 1.0, "sd": 0.1}, "alpha/beta or mean/sd"),
        ("uniform", {"low": 2.0, "high": 1.0}, "low .2. must not be above high"),
        ("triangular", {"low": 0.0, "mode": 2.0, "high": 1.0}, "mode .2. must not be above"),
        ("pert", {"low": 0.0, "mode": 0.5, "high": 1.0, "shape": -1.0}, "shape"),
        ("normal", {"mean": 0.0, "sd": -1.0}, "sd must not be negative"),
        ("normal", {"mean": 0.0, "sd": 1.0, "low": 6.0, "high": 7.0}, "too improbable"),
        ("normal", {"mean": 5.0, "sd": 0.0, "high": 1.0}, "outside"),
        ("normal", {"mean": math.nan, "sd": 1.0}, "finite"),
        ("lognormal", {"median": 0.0, "sigma": 1.0}, "median must be above 0"),
        ("beta", {"mean": 0.5, "sd": 0.5}, "sd must be below 0.5"),
        ("beta", {"mean": 1.0, "sd": 0.1}, "strictly between"),
        ("beta", {"alpha": 0.0, "beta": 1.0}, "above 0"),
    ],
)
def test_draw_refuses_invalid_parameters(
    family: str, params: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        draw(family, params, stream(SEED, "bad"), 10)


def test_draw_refuses_a_negative_count_and_allows_zero() -> None:
    with pytest.raises(ValueError, match="number of draws"):
        draw("uniform", {"low": 0.0, "high": 1.0}, stream(SEED, "n"), -1)
    assert draw("uniform", {"low": 0.0, "high": 1.0}, stream(SEED, "n"), 0).shape == (0,)


def test_absent_optional_parameters_may_be_given_as_none() -> None:
    a = draw("normal", {"mean": 1.0, "sd": 2.0, "low": None, "high": None}, stream(SEED, "o"), 50)  # type: ignore[dict-item]
    b = draw("normal", {"mean": 1.0, "sd": 2.0}, stream(SEED, "o"), 50)
    np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------------------------
# draw: support, for any valid parameters
# --------------------------------------------------------------------------------------------

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
width = st.floats(0.0, 1e6, allow_nan=False, allow_infinity=False)
fraction = st.floats(0.0, 1.0)


@st.composite
def family_and_params(
    draw_: Callable[[st.SearchStrategy[Any]], Any],
) -> tuple[str, dict[str, float], float, float]:
    """(family, params, low, high) with valid params and the support they imply."""
    family = draw_(
        st.sampled_from(["uniform", "triangular", "pert", "normal", "lognormal", "beta"])
    )
    if family in ("uniform", "triangular", "pert"):
        low, w = draw_(finite), draw_(width)
        high = low + w
        if family == "uniform":
            return family, {"low": low, "high": high}, low, high
        mode = min(low + draw_(fraction) * w, high)
        params = {"low": low, "mode": mode, "high": high}
        if family == "pert":
            params["shape"] = draw_(st.floats(0.01, 100.0))
        return family, params, low, high
    if family == "normal":
        mean, sd = draw_(finite), draw_(st.floats(1e-3, 1e3))
        start, span = draw_(st.floats(-4.0, 3.0)), draw_(st.floats(0.1, 6.0))
        low, high = mean + start * sd, mean + (start + span) * sd
        params = {"mean": mean, "sd": sd}
        if draw_(st.booleans()):
            params["low"] = low
        else:
            low = -math.inf
        if draw_(st.booleans()):
            params["high"] = high
        else:
            high = math.inf
        return family, params, low, high
    if family == "lognormal":
        params = {"median": draw_(st.floats(1e-6, 1e6)), "sigma": draw_(st.floats(0.0, 10.0))}
        return family, params, 0.0, math.inf
    low, w = draw_(finite), draw_(st.floats(1e-3, 1e6))
    high = low + w
    if draw_(st.booleans()):
        params = {"alpha": draw_(st.floats(0.05, 1e3)), "beta": draw_(st.floats(0.05, 1e3))}
    else:
        m = draw_(st.floats(0.01, 0.99))
        sd = draw_(st.floats(0.01, 0.99)) * (high - low) * math.sqrt(m * (1 - m))
        params = {"mean": low + m * (high - low), "sd": sd}
    params |= {"low": low, "high": high}
    return family, params, low, high


@given(family_and_params(), st.integers(0, 2**63 - 1))
def test_draws_lie_in_the_support(
    case: tuple[str, dict[str, float], float, float], seed: int
) -> None:
    family, params, low, high = case
    x = draw(family, params, stream(seed, "support"), 64)
    assert x.shape == (64,)
    assert np.all(np.isfinite(x))
    assert np.all(x >= low), (x.min(), low)
    assert np.all(x <= high), (x.max(), high)
    if family == "lognormal":
        assert np.all(x > 0)


# --------------------------------------------------------------------------------------------
# draw_choice
# --------------------------------------------------------------------------------------------


def test_choice_frequencies_match_the_normalised_weights() -> None:
    n = N_MOMENTS
    picks = draw_choice(["a", "b", "c", "d"], [5.0, 3.0, 0.0, 2.0], stream(SEED, "w"), n)
    assert picks.dtype == object
    assert picks.shape == (n,)
    for value, p in [("a", 0.5), ("b", 0.3), ("c", 0.0), ("d", 0.2)]:
        share = np.count_nonzero(picks == value) / n
        assert abs(share - p) <= 4 * math.sqrt(p * (1 - p) / n)
    assert not np.any(picks == "c")


def test_choice_defaults_to_equal_weights_and_keeps_objects_whole() -> None:
    values: list[object] = [(1, 2), "x", 3.5]
    picks = draw_choice(values, None, stream(SEED, "eq"), 30_000)
    assert picks.shape == (30_000,)
    for value in values:
        share = sum(1 for p in picks if p == value) / 30_000
        assert abs(share - 1 / 3) <= 4 * math.sqrt(2 / 9 / 30_000)


def test_choice_is_searchsorted_on_one_uniform_per_draw() -> None:
    u = stream(SEED, "c").random(1000)
    expected = np.array(["lo", "hi"], dtype=object)[(u >= 0.25).astype(int)]
    np.testing.assert_array_equal(
        draw_choice(["lo", "hi"], [1.0, 3.0], stream(SEED, "c"), 1000), expected
    )


@pytest.mark.parametrize(
    ("values", "weights"),
    [
        ([], None),
        (["a", "b"], [1.0]),
        (["a", "b"], [0.0, 0.0]),
        (["a"], [-1.0]),
        (["a"], [math.inf]),
    ],
)
def test_choice_refuses_bad_weights(values: list[str], weights: list[float] | None) -> None:
    with pytest.raises(ValueError, match="choice"):
        draw_choice(values, weights, stream(SEED, "c"), 10)


# --------------------------------------------------------------------------------------------
# normal_quantile
# --------------------------------------------------------------------------------------------


def quantile_grid() -> FloatArray:
    """10,000 probabilities from 1e-12 to 1 - 1e-12: log-spaced into both tails, and linear
    through the middle."""
    tail = np.logspace(-12, math.log10(0.02), 3000)
    middle = np.linspace(0.02, 0.98, 4002)[1:-1]
    return np.sort(np.concatenate([tail, middle, 1.0 - tail[:3000]]))


def test_normal_quantile_matches_the_standard_library() -> None:
    p = quantile_grid()
    assert p.size == 10_000
    expected = np.array([STANDARD.inv_cdf(float(v)) for v in p])
    found = normal_quantile(p)
    error = np.abs(found - expected)
    # Relative 1e-12 (the brief asks 1e-9; Acklam alone is 1.15e-9), absolute near p = 0.5.
    assert np.all(error <= 1e-12 * np.abs(expected) + 1e-15), float(np.max(error))


def test_normal_quantile_edges_and_shape() -> None:
    p = np.array([[0.0, 1.0, 0.5], [-0.1, 1.1, np.nan]])
    found = normal_quantile(p)
    assert found.shape == (2, 3)
    assert found[0, 0] == -np.inf
    assert found[0, 1] == np.inf
    assert found[0, 2] == 0.0
    assert np.all(np.isnan(found[1]))
    assert normal_quantile(0.975).shape == ()
    assert float(normal_quantile(0.975)) == pytest.approx(1.959963984540054, rel=1e-14)


def test_normal_quantile_is_antisymmetric_and_increasing() -> None:
    p = np.arange(1, 1024) / 1024  # 1 - p exact
    np.testing.assert_array_equal(normal_quantile(1.0 - p), -normal_quantile(p))
    assert np.all(np.diff(normal_quantile(quantile_grid())) > 0)


def test_normal_quantile_deep_tail_is_finite_and_close() -> None:
    for p in [1e-20, 1e-100, 1e-300]:
        assert float(normal_quantile(p)) == pytest.approx(STANDARD.inv_cdf(p), rel=1e-12)
    assert float(normal_quantile(5e-324)) == pytest.approx(-38.4674, abs=1e-3)


def test_erfc_matches_math_erfc() -> None:
    x = np.concatenate([np.linspace(-8.0, 27.0, 70_001), [0.0, -0.0, 0.46875, 4.0, -4.0]])
    expected = np.array([math.erfc(float(v)) for v in x])
    found = _erfc(x)
    normal = expected > 1e-300
    assert np.all(np.abs(found[normal] - expected[normal]) <= 4e-15 * expected[normal])
    assert np.all(np.abs(found[~normal] - expected[~normal]) <= 1e-300)
    assert np.isnan(_erfc(np.nan))
    assert float(_erfc(-np.inf)) == 2.0
    assert float(_erfc(np.inf)) == 0.0


# --------------------------------------------------------------------------------------------
# check_correlation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "matrix",
    [
        np.eye(1),
        np.eye(4),
        [[1.0, 0.6, -0.4], [0.6, 1.0, 0.0], [-0.4, 0.0, 1.0]],
        [[1.0, 1.0], [1.0, 1.0]],  # singular but positive semi-definite
        [[1.0, -1.0], [-1.0, 1.0]],
        [[1.0, 0.5, 0.5], [0.5, 1.0, 0.5], [0.5, 0.5, 1.0 + 1e-13]],
    ],
)
def test_valid_correlation_matrices_pass(matrix: Any) -> None:
    assert check_correlation(matrix) is None


@pytest.mark.parametrize(
    ("matrix", "reason"),
    [
        ([[1.0, 0.5], [0.4, 1.0]], "not symmetric: input 1 with input 2 is 0.5"),
        ([[0.9, 0.2], [0.2, 1.0]], "input 1 with input 1 must be 1, not 0.9"),
        ([[1.0, 1.2], [1.2, 1.0]], "input 1 with input 2 is 1.2, outside -1 to 1"),
        ([[1.0, np.nan], [np.nan, 1.0]], "not a number"),
        ([[1.0, 0.0, 0.0]], "not square"),
        ([1.0, 0.0], "not square"),
        (
            [[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]],
            "not positive semi-definite .smallest eigenvalue -0.8.: the correlations contradict"
            " each other, e.g. input 1 with input 2 0.9, input 2 with input 3 0.9 but input 1 "
            "with input 3 -0.9",
        ),
    ],
)
def test_invalid_correlation_matrices_give_the_reason(matrix: Any, reason: str) -> None:
    found = check_correlation(matrix)
    assert found is not None
    assert re.search(reason, found), found


def test_correlation_reason_uses_the_names() -> None:
    matrix = [[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]]
    reason = check_correlation(matrix, names=["A", "B", "C"])
    assert reason is not None
    assert reason.endswith("e.g. A with B 0.9, B with C 0.9 but A with C -0.9")


def test_conflict_among_four_is_reported_without_a_triple() -> None:
    # Equicorrelation -0.34 among four: every three are consistent (-0.34 > -1/2), the four
    # are not (-0.34 < -1/3): smallest eigenvalue 1 - 3 * 0.34 = -0.02.
    matrix = np.full((4, 4), -0.34)
    np.fill_diagonal(matrix, 1.0)
    reason = check_correlation(matrix)
    assert reason is not None
    assert "-0.02" in reason
    assert "four or more" in reason


# --------------------------------------------------------------------------------------------
# rank_correlate
# --------------------------------------------------------------------------------------------


def spearman(x: FloatArray) -> FloatArray:
    """Spearman correlation matrix of the columns: Pearson correlation of the ranks."""
    ranks = np.argsort(np.argsort(x, axis=0), axis=0).astype(np.float64)
    result: FloatArray = np.corrcoef(ranks, rowvar=False)
    return result


def independent_columns(n: int, seed: int = SEED) -> FloatArray:
    return np.column_stack(
        [
            draw("lognormal", {"median": 100.0, "sigma": 0.8}, stream(seed, "c0"), n),
            draw("pert", {"low": 0.0, "mode": 0.2, "high": 1.0}, stream(seed, "c1"), n),
            draw("beta", {"alpha": 0.5, "beta": 2.0}, stream(seed, "c2"), n),
            draw("uniform", {"low": -5.0, "high": 5.0}, stream(seed, "c3"), n),
        ]
    )


TARGET_3 = np.array([[1.0, 0.6, -0.4], [0.6, 1.0, 0.0], [-0.4, 0.0, 1.0]])


def test_rank_correlate_reaches_the_target_and_keeps_every_marginal() -> None:
    n = 20_000
    x = independent_columns(n)[:, :3]
    y = rank_correlate(x, TARGET_3, stream(SEED, "correlation"))
    assert y.shape == x.shape
    np.testing.assert_array_equal(np.sort(y, axis=0), np.sort(x, axis=0))
    # Before: near 0 (4 standard errors of a rank correlation, 1/sqrt(n), is 0.028).
    assert np.all(np.abs(spearman(x) - np.eye(3)) < 4 / math.sqrt(n))
    np.testing.assert_allclose(spearman(y), TARGET_3, atol=0.02)


def test_rank_correlate_corrects_for_the_scores_own_correlation() -> None:
    # With few draws, the randomly permuted scores are correlated by chance (sd 1/sqrt(n) =
    # 0.07 per entry at n = 200); Iman and Conover's correction removes that, leaving only the
    # rank transform's error (about 0.02 on the worst entry). Without it the worst entry is off
    # by about 0.065 on average.
    worst = []
    for seed in range(20):
        x = independent_columns(200, seed)[:, :3]
        worst.append(
            np.max(np.abs(spearman(rank_correlate(x, TARGET_3, stream(seed, "r"))) - TARGET_3))
        )
    assert np.mean(worst) < 0.04


def test_rank_correlate_leaves_uncorrelated_columns_exactly_as_drawn() -> None:
    x = independent_columns(5000)
    # Inputs 0 and 2 correlated; 1 and 3 with nothing.
    target = np.eye(4)
    target[0, 2] = target[2, 0] = 0.7
    y = rank_correlate(x, target, stream(SEED, "correlation"))
    assert y[:, 1].tobytes() == x[:, 1].tobytes()
    assert y[:, 3].tobytes() == x[:, 3].tobytes()
    assert not np.array_equal(y[:, 0], x[:, 0])
    assert spearman(y)[0, 2] == pytest.approx(0.7, abs=0.02)


def test_rank_correlate_identity_is_a_copy_that_draws_nothing() -> None:
    x = independent_columns(100)
    rng = stream(SEED, "correlation")
    y = rank_correlate(x, np.eye(4), rng)
    assert y is not x
    np.testing.assert_array_equal(y, x)
    assert rng.random() == stream(SEED, "correlation").random()


def test_rank_correlate_is_deterministic_given_the_stream() -> None:
    x = independent_columns(2000)[:, :3]
    a = rank_correlate(x, TARGET_3, stream(SEED, "correlation"))
    b = rank_correlate(x, TARGET_3, stream(SEED, "correlation"))
    np.testing.assert_array_equal(a, b)
    c = rank_correlate(x, TARGET_3, stream(SEED + 1, "correlation"))
    assert not np.array_equal(a, c)


def test_rank_correlate_perfect_correlation_orders_columns_together() -> None:
    x = independent_columns(3000)[:, :2]
    y = rank_correlate(x, [[1.0, 1.0], [1.0, 1.0]], stream(SEED, "correlation"))
    np.testing.assert_array_equal(np.argsort(y[:, 0]), np.argsort(y[:, 1]))
    y = rank_correlate(x, [[1.0, -1.0], [-1.0, 1.0]], stream(SEED, "correlation"))
    np.testing.assert_array_equal(np.argsort(y[:, 0]), np.argsort(-y[:, 1]))


def test_rank_correlate_refuses_an_invalid_target_or_shape() -> None:
    x = independent_columns(100)[:, :3]
    bad = [[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]]
    with pytest.raises(ValueError, match="not positive semi-definite"):
        rank_correlate(x, bad, stream(SEED, "c"))
    with pytest.raises(ValueError, match="3 x 3"):
        rank_correlate(x, np.eye(2), stream(SEED, "c"))
    with pytest.raises(ValueError, match="more draws"):
        rank_correlate(x[:2], TARGET_3, stream(SEED, "c"))
