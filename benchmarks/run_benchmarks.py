"""Wall-time benchmarks of ``cba`` (``make bench``).

First the start-up figures of :mod:`startup_benchmark`: ``cba --help``, ``cba validate`` and
``cba run`` against the interpreter and import floors, with the issue 7 targets.

Then for each ``scenarios/*.yaml``:

* ``cba run``: median wall time of ``cba run SCENARIO --json TMPDIR -o TMPDIR -q`` as a
  subprocess, end to end (interpreter start, imports, validation, computation, provenance,
  writing the JSON and the workbook);
* ``import floor``: median wall time of a bare ``python -c "import numpy, pydantic, openpyxl"``
  subprocess on the same machine, the cost any run that writes a workbook pays before cba does
  any work;
* ``ratio``: the first over the second;
* ``in-process``: median time of ``cba.run(cba.load_scenario(path))`` in this process, for
  information.

Subprocess timings: warm-ups, then timed runs, ``cba run`` and the import floor alternating so
that both see the same machine load; cba's bytecode is cached outside the checkout (see
:func:`startup_benchmark.bytecode_cached_env`).

Then the workbook writer: the in-process time to build and write each example's workbook, and
cells per second for a synthetic 200,000-cell results sheet written with cba's cell writer
(named styles, safe text, reproducible packaging) against raw openpyxl write-only mode writing
the same cells: their ratio is the writer's overhead.

Then the scale sweep (:mod:`scale_sweep_benchmark`) and the what-ifs and sensitivity analysis
(:mod:`whatif_benchmark`): in-process timings of a synthetic 50-line scenario, with their
issue targets; and the Monte Carlo simulation of the same scenario with 20 uncertain inputs
(:mod:`montecarlo_benchmark`); the diff (:mod:`diff_benchmark`); and backwards mapping and
the least-cost mix of a 200-node strategy map (:mod:`strategy_map_benchmark`).
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import startup_benchmark
from startup_benchmark import alternated_medians, bytecode_cached_env, cba_command
from timing import time_in_process

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

SUBPROCESS_RUNS = 5
IN_PROCESS_RUNS = 20
IMPORT_FLOOR = [sys.executable, "-c", "import numpy, pydantic, openpyxl"]


def machine_line() -> str:
    return (
        f"machine: {platform.platform()}; {platform.machine() or 'unknown arch'}; "
        f"Python {platform.python_version()} ({platform.python_implementation()}); "
        f"{os.cpu_count()} CPUs"
    )


def main() -> int:
    import cba

    if not SCENARIOS:
        print(f"no scenarios found in {ROOT / 'scenarios'}", file=sys.stderr)
        return 1
    command = cba_command()
    print(machine_line())
    print()
    started = time.perf_counter()
    startup_benchmark.main()
    print(
        f"cba {cba.__version__}; command: {' '.join(Path(c).name for c in command)} run "
        f"SCENARIO --json TMPDIR -o TMPDIR -q; subprocess medians of {SUBPROCESS_RUNS} runs "
        f"after {startup_benchmark.WARMUPS} warm-ups; in-process median of {IN_PROCESS_RUNS}"
    )
    print()

    headers = ("scenario", "cba run [ms]", "import floor [ms]", "ratio", "in-process [ms]")
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory(prefix="cba-bench-") as tmp:
        env = bytecode_cached_env(Path(tmp) / "pycache")
        for path in SCENARIOS:
            out_dir = Path(tmp) / path.stem
            run_cmd = [*command, "run", str(path), "--json", str(out_dir), "-o", str(out_dir), "-q"]
            cli_s, floor_s = alternated_medians(run_cmd, IMPORT_FLOOR, SUBPROCESS_RUNS, env)
            in_process_s = time_in_process(
                lambda p=path: cba.run(cba.load_scenario(p)), IN_PROCESS_RUNS
            )
            rows.append(
                (
                    path.stem,
                    f"{cli_s * 1e3:.1f}",
                    f"{floor_s * 1e3:.1f}",
                    f"{cli_s / floor_s:.2f}x",
                    f"{in_process_s * 1e3:.1f}",
                )
            )
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest])

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    print()
    print(
        "ratio = cba run / import floor (1.00x would mean all the time goes to starting Python "
        "and importing numpy, pydantic and openpyxl)."
    )
    print()
    workbook_section()
    import scale_sweep_benchmark

    scale_sweep_benchmark.main()
    import whatif_benchmark

    whatif_benchmark.main()
    import montecarlo_benchmark

    montecarlo_benchmark.main()
    print()
    import diff_benchmark

    diff_benchmark.main()
    print()
    import strategy_map_benchmark

    strategy_map_benchmark.main()
    print(f"total benchmark time: {time.perf_counter() - started:.1f} s")
    return 0


SYNTHETIC_ROWS, SYNTHETIC_COLUMNS = 2_000, 100
"""The synthetic results sheet: 200,000 numeric cells."""
WORKBOOK_RUNS = 5


def _synthetic_value(row: int, column: int) -> float:
    return (row * 7919 + column * 104_729) % 1_000_003 / 7.0


def write_with_cba(path: Path) -> None:
    """200,000 cells through cba's cell writer and packager."""
    import io

    from cba.io.workbook.cells import FormulaLedger, SheetCells
    from cba.io.workbook.package import reproducible_xlsx
    from cba.io.workbook.template import DEFAULT_TEMPLATE, load_template

    book = load_template(DEFAULT_TEMPLATE)
    cells = SheetCells(book.create_sheet("Results"), FormulaLedger())
    for row in range(1, SYNTHETIC_ROWS + 1):
        for column in range(1, SYNTHETIC_COLUMNS + 1):
            cells.value(row, column, _synthetic_value(row, column), "cba money")
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(reproducible_xlsx(buffer.getvalue(), {}))


def write_raw_openpyxl(path: Path) -> None:
    """The same cells with openpyxl's write-only mode, no styles."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Results")
    for row in range(1, SYNTHETIC_ROWS + 1):
        sheet.append([_synthetic_value(row, c) for c in range(1, SYNTHETIC_COLUMNS + 1)])
    book.save(path)


def workbook_section() -> None:
    import cba
    from cba.io.provenance import scenario_provenance
    from cba.io.workbook.writer import write_workbook

    print(f"workbook writer (in-process medians of {WORKBOOK_RUNS} runs)")
    with tempfile.TemporaryDirectory(prefix="cba-bench-book-") as tmp:
        for path in SCENARIOS:
            scenario = cba.load_scenario(path)
            results = cba.run(scenario)
            provenance = scenario_provenance(path)
            target = Path(tmp) / f"{path.stem}.xlsx"
            seconds = time_in_process(
                lambda r=results, s=scenario, p=provenance, t=target: write_workbook(r, s, p, t),
                WORKBOOK_RUNS,
            )
            print(f"  {path.stem:<36} {seconds * 1e3:8.1f} ms  {target.stat().st_size:>9,} bytes")
        cells = SYNTHETIC_ROWS * SYNTHETIC_COLUMNS
        ours = time_in_process(lambda: write_with_cba(Path(tmp) / "ours.xlsx"), 1)
        raw = time_in_process(lambda: write_raw_openpyxl(Path(tmp) / "raw.xlsx"), 1)
        print(f"  synthetic results sheet, {cells:,} cells (median of 1 run after a warm-up):")
        print(f"    cba cell writer + packaging: {ours:6.2f} s  {cells / ours:>10,.0f} cells/s")
        print(f"    raw openpyxl write-only:     {raw:6.2f} s  {cells / raw:>10,.0f} cells/s")
        print(f"    overhead ratio (cba / raw):  {ours / raw:6.2f}x")
    print()


if __name__ == "__main__":
    sys.exit(main())
