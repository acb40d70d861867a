"""Shared test settings: hypothesis profiles chosen by HYPOTHESIS_PROFILE (ci, the default;
dev; fuzz)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# `make test` (and so CI, which runs it) uses the deterministic profile: the same examples on
# every machine and every run, nothing saved between runs, so a fresh clone passes or fails the
# same way everywhere. `make test-random` searches afresh (dev), `make fuzz` searches long.
_COMMON: dict[str, Any] = {
    "deadline": None,
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow],
}
settings.register_profile("ci", derandomize=True, database=None, max_examples=100, **_COMMON)
settings.register_profile("dev", max_examples=300, **_COMMON)
settings.register_profile("fuzz", max_examples=5000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.fixture(params=SCENARIOS, ids=[p.stem for p in SCENARIOS])
def scenario_path(request: pytest.FixtureRequest) -> Path:
    """Every example scenario in scenarios/."""
    path: Path = request.param
    return path
