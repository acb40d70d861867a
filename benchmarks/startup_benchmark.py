"""Start-up benchmark (part of ``make bench``): whole-process wall time of the commands an
evaluator runs most, against the interpreter and import floors they cannot go below.

Each pair is timed in one run, alternating the two commands (and their order, run by run) so
both see the same machine load; the figures are medians. Targets (issue 7):

* ``cba validate SCENARIO`` <= 1.5 x ``python -c "import numpy, pydantic"``;
* ``cba run SCENARIO`` (JSON + workbook to a temporary folder, ``-q``) <= 1.5 x
  ``python -c "import numpy, pydantic, openpyxl"``;
* ``cba --help`` <= 1.2 x ``python -c pass`` + 50 ms.

``cba run`` without ``-q`` (the summary tables too) is timed against the same floor for
information. cba's bytecode is cached (outside the checkout, see :func:`bytecode_cached_env`),
as an installed package's is, so that ``PYTHONDONTWRITEBYTECODE`` in the environment does not
charge cba, and not the floors, for compiling its sources on every run.

Run alone with ``python benchmarks/startup_benchmark.py [RUNS]``; where the remaining time goes:
``python -X importtime -m cba validate SCENARIO 2> imports.txt``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "balsall_heath_community_safety.yaml"
RUNS = 15
WARMUPS = 2


def cba_command() -> list[str]:
    """The ``cba`` console script beside this interpreter, else ``python -m cba``."""
    script = Path(sys.executable).with_name("cba.exe" if os.name == "nt" else "cba")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "cba"]


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def wall_time(command: Sequence[str], env: dict[str, str] | None = None) -> float:
    """Wall time of one run of ``command`` [s]; the command must succeed."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(
            f"benchmark command failed (exit {done.returncode}): {' '.join(command)}\n"
            + done.stderr.decode(errors="replace")
        )
    return elapsed


def bytecode_cached_env(cache: Path) -> dict[str, str]:
    """The environment with Python's bytecode cache on, kept in ``cache`` (outside the
    checkout): cba's modules load from bytecode, as an installed package's do, even where
    PYTHONDONTWRITEBYTECODE is set (the library floors load from their installed bytecode)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def alternated_medians(
    first: Sequence[str], second: Sequence[str], runs: int, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """Median wall times [s] of two commands timed alternately, after warm-ups."""
    for _ in range(WARMUPS):
        wall_time(first, env)
        wall_time(second, env)
    a: list[float] = []
    b: list[float] = []
    for run in range(runs):
        if run % 2:
            b.append(wall_time(second, env))
            a.append(wall_time(first, env))
        else:
            a.append(wall_time(first, env))
            b.append(wall_time(second, env))
    return statistics.median(a), statistics.median(b)


@dataclass(frozen=True)
class Pair:
    """A cba command, the floor it is measured against, and the target."""

    label: str
    command: list[str]
    floor_label: str
    floor: list[str]
    factor: float | None
    """Target: command <= factor x floor + allowance (None: for information only)."""
    allowance: float = 0.0
    """[s]"""


def pairs(tmp: Path) -> list[Pair]:
    cba = cba_command()
    scenario = str(SCENARIO.relative_to(ROOT))
    out = str(tmp)
    floor_run = "import numpy, pydantic, openpyxl"
    return [
        Pair("cba --help", [*cba, "--help"], "python -c pass", python("pass"), 1.2, 0.050),
        Pair(
            f"cba validate {SCENARIO.name}",
            [*cba, "validate", scenario],
            'python -c "import numpy, pydantic"',
            python("import numpy, pydantic"),
            1.5,
        ),
        Pair(
            f"cba run {SCENARIO.name} -q",
            [*cba, "run", scenario, "--json", out, "-o", out, "-q"],
            f'python -c "{floor_run}"',
            python(floor_run),
            1.5,
        ),
        Pair(
            f"cba run {SCENARIO.name} (summary)",
            [*cba, "run", scenario, "--json", out, "-o", out],
            f'python -c "{floor_run}"',
            python(floor_run),
            None,
        ),
    ]


def main(runs: int = RUNS) -> bool:
    """Print the start-up figures; True when every target is met."""
    print(
        f"start-up: whole-process medians of {runs} runs after {WARMUPS} warm-ups, each cba "
        "command alternated with its floor"
    )
    rows: list[tuple[str, ...]] = []
    all_met = True
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="cba-startup-") as tmp:
        os.chdir(ROOT)  # the scenario path is relative, as an evaluator types it
        env = bytecode_cached_env(Path(tmp) / "pycache")
        try:
            for pair in pairs(Path(tmp) / "out"):
                command_s, floor_s = alternated_medians(pair.command, pair.floor, runs, env)
                if pair.factor is None:
                    target, verdict = "(information)", ""
                else:
                    limit = pair.factor * floor_s + pair.allowance
                    met = command_s <= limit
                    all_met &= met
                    allowance = f" + {pair.allowance * 1e3:.0f} ms" if pair.allowance else ""
                    target = f"<= {pair.factor:g}x{allowance} = {limit * 1e3:.0f} ms"
                    verdict = "met" if met else "NOT MET"
                rows.append(
                    (
                        pair.label,
                        f"{command_s * 1e3:.0f}",
                        pair.floor_label,
                        f"{floor_s * 1e3:.0f}",
                        f"{command_s / floor_s:.2f}x",
                        target,
                        verdict,
                    )
                )
        finally:
            os.chdir(cwd)
    print_table(("command", "[ms]", "floor", "[ms]", "ratio", "target", ""), rows)
    print()
    print_run_stages(max(5, runs // 2))
    return all_met


def print_table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    for row in (headers, tuple("-" * w for w in widths), *rows):
        print("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def print_run_stages(runs: int) -> None:
    """Where one ``cba run`` spends its time: medians of ``runs`` fresh processes of
    ``benchmarks/run_stages.py``, stage by stage, against the issue 7 budget."""
    from run_stages import STAGES

    script = str(Path(__file__).with_name("run_stages.py"))
    samples: dict[str, list[float]] = {name: [] for name, _ in STAGES}
    with tempfile.TemporaryDirectory(prefix="cba-stages-") as tmp:
        env = bytecode_cached_env(Path(tmp) / "pycache")
        command = [sys.executable, script, str(SCENARIO)]
        for run in range(WARMUPS + runs):
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
            wall = time.perf_counter() - start
            if run < WARMUPS:
                continue
            stages = json.loads(done.stdout)
            stages["interpreter"] = wall - sum(stages.values())
            for name, seconds in stages.items():
                samples[name].append(seconds)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    print(f"where cba run {SCENARIO.name} spends its time: medians of {runs} fresh processes")
    rows = [(name, f"{medians[name] * 1e3:.0f}", what) for name, what in STAGES]
    print_table(("stage", "[ms]", "what"), rows)
    floor = medians["interpreter"] + medians["floor imports"]
    beyond = sum(medians.values()) - floor
    print(
        f"  cba's own stages: {beyond * 1e3:.0f} ms beyond the {floor * 1e3:.0f} ms floor; "
        f"the 1.5x target leaves {0.5 * floor * 1e3:.0f} ms for them"
    )
    print()


if __name__ == "__main__":
    import platform

    print(
        f"machine: {platform.platform()}; Python {platform.python_version()}; {os.cpu_count()} CPUs"
    )
    main(int(sys.argv[1]) if len(sys.argv) > 1 else RUNS)
