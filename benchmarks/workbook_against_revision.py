"""Workbook writing against an earlier revision (issue 11's target: writing each example's
workbook stays within 1.5x of the time before the partner-pack work, commit a46c313).

The earlier revision is checked out into a temporary git worktree and both versions write
every example's workbook in turn, in separate processes, alternating, ``ROUNDS`` times; each
process times ``RUNS`` writes after a warm-up. Printed per example:

- the CPU time of one write, the least of all rounds (least: the machines these run on are
  shared, and noise only ever adds time), for each version and their ratio;
- the number of Python function calls of one write (cProfile), a count that does not depend on
  the machine, for each version and their ratio.

Run with ``python benchmarks/workbook_against_revision.py [REVISION]`` from the repository
(needs git; not part of ``make bench``: it checks out a second tree).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE = "a46c313"
ROUNDS = 5
RUNS = 5
TARGET = 1.5

CHILD = r"""
import cProfile, gc, io, json, pstats, sys, tempfile, time
from pathlib import Path
import cba
from cba.io.provenance import scenario_provenance
from cba.io.workbook.writer import write_workbook

root, runs = Path(sys.argv[1]), int(sys.argv[2])
out = {}
with tempfile.TemporaryDirectory() as tmp:
    for path in sorted((root / "scenarios").glob("*.yaml")):
        scenario = cba.load_scenario(path)
        results = cba.run(scenario)
        provenance = scenario_provenance(path)
        target = Path(tmp) / (path.stem + ".xlsx")
        write_workbook(results, scenario, provenance, target)
        times = []
        for _ in range(runs):
            gc.collect()
            start = time.process_time()
            write_workbook(results, scenario, provenance, target)
            times.append(time.process_time() - start)
        profile = cProfile.Profile()
        profile.enable()
        write_workbook(results, scenario, provenance, target)
        profile.disable()
        calls = pstats.Stats(profile, stream=io.StringIO()).total_calls
        out[path.stem] = [min(times), calls]
print(json.dumps(out))
"""


def _measure(tree: Path) -> dict[str, list[float]]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tree), str(RUNS)],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, list[float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def main() -> int:
    base = sys.argv[1] if len(sys.argv) > 1 else BASE
    with tempfile.TemporaryDirectory(prefix="cba-base-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "--quiet", "--detach", str(tree), base],
            cwd=ROOT,
            check=True,
        )
        try:
            rounds: dict[str, list[dict[str, list[float]]]] = {"base": [], "now": []}
            for _ in range(ROUNDS):
                rounds["base"].append(_measure(tree))
                rounds["now"].append(_measure(ROOT))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT)
    print(f"workbook writing against {base} (least CPU time of {ROUNDS}x{RUNS} writes; calls)")
    worst = 0.0
    for stem in rounds["now"][0]:
        old = min(r[stem][0] for r in rounds["base"])
        new = min(r[stem][0] for r in rounds["now"])
        calls_old, calls_new = rounds["base"][0][stem][1], rounds["now"][0][stem][1]
        worst = max(worst, new / old)
        print(
            f"  {stem:<36} {old * 1e3:6.1f} -> {new * 1e3:6.1f} ms {new / old:5.2f}x   "
            f"{calls_old:>9,.0f} -> {calls_new:>9,.0f} calls {calls_new / calls_old:5.2f}x"
        )
    verdict = "met" if worst <= TARGET else "NOT met"
    print(f"  largest time ratio {worst:.2f}x (target {TARGET}x: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
