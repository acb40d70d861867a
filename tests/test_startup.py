"""Start-up cost: each command imports only what it uses (not a timing test).

``cba validate`` runs after every edit of a scenario, so it must not pay for the engine, the
workbook writer or pandas; ``cba --help`` and ``import cba`` pay for none of the heavy
libraries. Each check runs in a fresh interpreter and looks at ``sys.modules``.
The figures themselves are in ``make bench`` (benchmarks/startup_benchmark.py).
"""

from __future__ import annotations

import json
import os
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
    assert "pydantic" in loaded  # it does validate
    assert loaded.isdisjoint({"numpy", "openpyxl", "pandas", "numpy_financial"})
    # The example is read by the fast reader: ruamel.yaml is imported only when it is needed.
    assert "ruamel" not in loaded


def test_the_complete_yaml_reader_is_imported_when_a_file_needs_it(tmp_path: Path) -> None:
    flow = tmp_path / "flow.yaml"  # a flow mapping over several lines: the complete reader's
    flow.write_text(SCENARIO.read_text(encoding="utf-8") + "\nnotes: {a: 1,\n  b: 2}\n")
    code = (
        "from cba.io.problems import ScenarioError\n"
        "from cba.io.scenario_file import load_scenario\n"
        "try:\n"
        f"    load_scenario({str(flow)!r})\n"
        "except ScenarioError as exc:\n"
        "    assert 'notes' in str(exc), exc\n"
    )
    assert "ruamel" in loaded_after(code)


def console(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m cba ARGS`` (the console script's path) in a fresh process."""
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cba", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **env},
    )


def imported(done: subprocess.CompletedProcess[str]) -> set[str]:
    """Every module ``-X importtime`` reported importing."""
    return {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_the_command_does_not_search_for_pydantic_plugins() -> None:
    """pydantic's plugin search imports importlib.metadata and email (~25 ms of validate)."""
    done = console("validate", str(SCENARIO))
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout
    assert imported(done).isdisjoint({"importlib.metadata", "email", "pydantic.plugin._loader"})


def test_pydantic_rules_apply_where_the_environment_sets_them() -> None:
    done = console("validate", str(SCENARIO), PYDANTIC_DISABLE_PLUGINS="")
    assert done.returncode == 0, done.stderr
    assert {"pydantic.plugin._loader", "importlib.metadata"} <= imported(done)


def test_the_stand_in_plugin_loader_answers_none_and_defers_other_names() -> None:
    code = (
        "import os, sys\n"
        "os.environ.pop('PYDANTIC_DISABLE_PLUGINS', None)\n"
        "from cba.cli import PYDANTIC_PLUGIN_LOADER, skip_pydantic_plugin_discovery\n"
        "assert skip_pydantic_plugin_discovery()\n"
        "assert not skip_pydantic_plugin_discovery()  # once\n"
        "stand_in = sys.modules[PYDANTIC_PLUGIN_LOADER]\n"
        "assert tuple(stand_in.get_plugins()) == ()\n"
        "from cba.io.scenario_file import load_scenario\n"
        f"assert load_scenario({str(SCENARIO)!r}).id\n"
        "assert 'importlib.metadata' not in sys.modules\n"
        "group = stand_in.PYDANTIC_ENTRY_POINT_GROUP  # any other name: pydantic's own module\n"
        "assert group == 'pydantic', group\n"
        "assert sys.modules[PYDANTIC_PLUGIN_LOADER] is not stand_in\n"
    )
    assert "pydantic" in loaded_after(code)


@pytest.mark.parametrize("args", [["validate", str(SCENARIO)], ["validate", "missing.yaml"]])
def test_the_console_entry_flushes_its_output_and_keeps_the_exit_code(args: list[str]) -> None:
    """The console script ends with os._exit (no interpreter teardown) after flushing."""
    done = subprocess.run(
        [sys.executable, "-m", "cba", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if args[1] == "missing.yaml":
        assert done.returncode == 2
        assert done.stderr.endswith("1 problem found\n"), done.stderr
    else:
        assert done.returncode == 0
        assert done.stdout == f"{args[1]}: valid\n"


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
