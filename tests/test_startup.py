"""Start-up cost: each command imports only what it uses (not a timing test).

``cba validate`` runs after every edit of a scenario, so it must not pay for the engine, the
workbook writer or pandas; ``cba --help`` and ``import cba`` pay for none of the heavy
libraries. Each check runs in a fresh interpreter and looks at ``sys.modules``.
The figures themselves are in ``make bench`` (benchmarks/startup_benchmark.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import cba

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "balsall_heath_community_safety.yaml"
HEAVY = ("numpy", "pydantic", "openpyxl", "pandas", "rich", "ruamel", "numpy_financial")


def loaded_after(code: str) -> set[str]:
    """Top-level packages in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    script = (
        "import sys, json\n"
        f"{code}\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert isinstance(loaded, list)
    return set(loaded)


def running(*args: str) -> str:
    """Code that runs ``cba ARGS`` in-process, swallowing argparse's exit for --help."""
    return (
        "from cba.cli import main\n"
        "try:\n"
        f"    code = main({list(args)!r})\n"
        "except SystemExit as exit:\n"
        "    code = exit.code\n"
        "assert code == 0, code\n"
    )


@pytest.mark.parametrize(
    "code",
    ["import cba", "import cba.cli", running("--help"), running("run", "--help")],
    ids=["import cba", "import cba.cli", "cba --help", "cba run --help"],
)
def test_no_heavy_library_before_a_command_needs_it(code: str) -> None:
    assert loaded_after(code).isdisjoint(HEAVY)


def test_validate_loads_no_engine_workbook_or_pandas() -> None:
    loaded = loaded_after(running("validate", str(SCENARIO)))
    assert {"pydantic", "ruamel"} <= loaded  # it does validate
    assert loaded.isdisjoint({"numpy", "openpyxl", "pandas", "numpy_financial"})


def test_run_does_not_load_pandas(tmp_path: Path) -> None:
    loaded = loaded_after(running("run", str(SCENARIO), "-o", str(tmp_path), "-q"))
    assert {"numpy", "openpyxl"} <= loaded
    assert "pandas" not in loaded
    # xml.sax.saxutils pulls in urllib, http.client and ssl: tens of ms on every run.
    assert not {"ssl", "http"} & loaded


def test_field_docstrings_are_read_only_for_the_schema() -> None:
    """Reading every model's source at each start cost tens of ms; the schema reads it."""
    from cba.io.schema import field_docstrings
    from cba.spec.costs import CostLine
    from cba.spec.scenario import Scenario

    assert CostLine.model_fields["amount_per_year"].description is None
    assert "GBP per year" in field_docstrings(CostLine)["amount_per_year"]
    assert field_docstrings(Scenario)["first_year"].startswith("First appraisal year")


def test_public_api_names_resolve_on_first_use() -> None:
    assert loaded_after(
        "import cba\n"
        "assert callable(cba.load_scenario) and callable(cba.run)\n"
        "assert isinstance(cba.Results, type) and issubclass(cba.ScenarioError, Exception)\n"
        "from cba import *\n"
    ) >= {"pydantic", "numpy"}
    from cba.io.problems import ScenarioError
    from cba.io.scenario_file import load_scenario
    from cba.pipeline import run
    from cba.results import Results

    assert cba.load_scenario is load_scenario
    assert cba.run is run
    assert cba.Results is Results
    assert cba.ScenarioError is ScenarioError
    assert cba.__version__ == metadata.version("cba")


def test_public_api_listing() -> None:
    for name in cba.__all__:
        assert hasattr(cba, name), name
        assert name in dir(cba), name
    assert {"load_scenario", "run", "Results", "ScenarioError", "__version__"} <= set(cba.__all__)
    # One table names every lazily imported name: each is listed in __all__ and nothing else is.
    assert set(cba.__all__) == {*cba._EXPORTS, "__version__"}
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        _ = cba.not_a_name  # type: ignore[attr-defined]
