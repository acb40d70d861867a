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
