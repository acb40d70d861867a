"""Where the time of one ``cba run`` goes, stage by stage, in a fresh interpreter.

Run by :mod:`startup_benchmark` (``make bench``) as a child process, several times; each run
prints one JSON object of stage -> seconds, measured with ``time.perf_counter`` around the same
calls ``cba run SCENARIO -o DIR -q`` makes, in its order, so that every stage pays for the
imports it triggers first, as in a real run. Alone: ``python benchmarks/run_stages.py SCENARIO``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

STAGES = (
    ("interpreter", "Python start and exit, site (the process's wall time less the rest)"),
    ("floor imports", "import numpy, pydantic, openpyxl"),
    ("read + validate", "YAML, the scenario models, pydantic's validator, validation"),
    ("compute", "the engine: compiled model, discounting, measures"),
    ("provenance", "file digest, git, library versions"),
    ("template", "reading the workbook template (openpyxl)"),
    ("fill sheets", "cba's sheet writers: cells, styles, charts"),
    ("openpyxl save", "openpyxl serialising the workbook to XML"),
    ("packaging", "reproducible zip with cached formula values"),
    ("JSON", "results to JSON"),
    ("write files", "the atomic commit of both files"),
)
"""Each stage's name and what it covers, in order."""


def measure(scenario: Path) -> dict[str, float]:
    """Seconds spent in each stage of one ``cba run`` of ``scenario`` (all but the first)."""
    times: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        times[stage] = times.get(stage, 0.0) + now - mark
        mark = now

    import numpy  # noqa: F401
    import openpyxl  # noqa: F401
    import pydantic  # noqa: F401

    lap("floor imports")
    from cba.cli import skip_pydantic_plugin_discovery
    from cba.io.scenario_file import load_scenario

    skip_pydantic_plugin_discovery()
    scenario_model = load_scenario(scenario)
    lap("read + validate")
    from cba.pipeline import run

    results = run(scenario_model)
    lap("compute")
    from cba.io.provenance import scenario_provenance

    provenance: dict[str, Any] = scenario_provenance(scenario)
    provenance.update(command="cba run", template_sha256="", random_seed=None)
    lap("provenance")

    import openpyxl.workbook.workbook as workbook_module

    from cba.io.workbook import writer

    load_template, reproducible_xlsx = writer.load_template, writer.reproducible_xlsx
    save = workbook_module.Workbook.save

    def timed_load(*args: Any) -> Any:
        lap("fill sheets")
        loaded = load_template(*args)
        lap("template")
        return loaded

    def timed_save(self: Any, target: Any) -> None:
        lap("fill sheets")
        save(self, target)
        lap("openpyxl save")

    def timed_package(*args: Any) -> bytes:
        lap("fill sheets")
        packed = reproducible_xlsx(*args)
        lap("packaging")
        return packed

    writer.load_template = timed_load  # type: ignore[assignment]
    writer.reproducible_xlsx = timed_package  # type: ignore[assignment]
    workbook_module.Workbook.save = timed_save  # type: ignore[method-assign]
    book, _ = writer.build_workbook(results, scenario_model, provenance, None)
    lap("fill sheets")
    from cba.io.json_results import results_to_json

    data = results_to_json(results, provenance, {})
    lap("JSON")
    from cba.io.atomic import write_files_atomically

    with tempfile.TemporaryDirectory(prefix="cba-stages-") as folder:
        write_files_atomically([(Path(folder) / "a.xlsx", book), (Path(folder) / "a.json", data)])
        lap("write files")
    return times


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]))))
