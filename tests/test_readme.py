"""The README's Python example runs as written, and its quick start names real targets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_python_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
    assert blocks
    monkeypatch.chdir(ROOT)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})  # runs our own documentation


def test_quick_start_targets_exist() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("run", "test", "lint", "bench", "schema"):
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE), target
    assert "make run" in README
    assert "make test" in README


def test_every_example_is_listed_in_readme() -> None:
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        assert path.name in README, f"{path.name} is not described in README.md"


def test_ci_runs_the_readme_test_command_unchanged() -> None:
    """CI must run the suite exactly as a newcomer does: `make test`, no profile override."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line.strip() for line in ci.splitlines() if line.strip().startswith("make ")]
    assert commands == ["make test"]
    assert "HYPOTHESIS" not in ci
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    test_recipe = re.search(r"^test: .*\n((?:\t.*\n)+)", makefile, flags=re.MULTILINE)
    assert test_recipe is not None and "HYPOTHESIS" not in test_recipe.group(1)


def test_default_hypothesis_profile_is_deterministic_and_saves_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With no HYPOTHESIS_PROFILE set (a fresh clone), the same examples run everywhere and no
    example database is read or written, so a failure found once cannot poison later runs."""
    import importlib
    import os

    from hypothesis import settings

    import tests.conftest

    if "HYPOTHESIS_PROFILE" in os.environ:
        monkeypatch.delenv("HYPOTHESIS_PROFILE")
    current = settings.get_current_profile_name()  # restored below
    try:
        importlib.reload(tests.conftest)
        assert settings.default.derandomize is True
        assert settings.default.database is None
    finally:
        settings.load_profile(current)
