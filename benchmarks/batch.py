"""Batch benchmark (issue 16): one template across many areas. Figures are printed, not
asserted.

(a) Deterministic, 1,000 areas (the 300-row example table resampled with new ids): the
    vectorised ``cba.batch.batch`` (one evaluation of the compiled model, areas as its leading
    axis) against a loop calling ``CompiledScenario.evaluate`` once per area, and against
    ``cba.run(cba.with_values(...))`` per area (a sample, extrapolated). Target: >= 50x faster
    than the loop of single runs.
(b) Monte Carlo, 300 areas x 100,000 draws: ``cba.batch_chunks.run_chunks`` in one process
    against a local Dask cluster of 2 workers (the cluster ``--workers 2`` starts), one run
    each: wall times, speed-up, peak memory (RSS) of the in-process run and of each worker, and
    an estimate of the time on a 32-worker cluster (method printed with it).

    python benchmarks/batch.py [--areas N] [--draws N] [--deterministic-areas N] [--workers N]

A quick run: ``--areas 20 --draws 2000 --deterministic-areas 200``.
"""

from __future__ import annotations

import argparse
import csv
import heapq
import multiprocessing
import os
import platform
import resource
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from timing import time_in_process

import cba
from cba.batch import AreaDraws, BatchPlan, area_inputs, batch, plan_batch, simulate_areas
from cba.batch_chunks import SETTINGS_PER_CHUNK, areas_per_chunk, run_chunks
from cba.batch_results import AreaInputs
from cba.io.area_table import AreaTable, read_area_table

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "scenarios" / "batch" / "neighbourhood_patrols.yaml"
AREAS = ROOT / "scenarios" / "areas" / "neighbourhoods_300.csv"
SEED = 20260401
RUN_SAMPLE = 50
"""Areas appraised with ``cba.run`` one by one; the time is extrapolated to all areas."""
CLUSTER = 32
"""Workers of the cluster whose time is estimated."""


def resampled_table(folder: Path, areas: int, seed: int = 16) -> Path:
    """``areas`` rows drawn with replacement from the example table, ids R0001, R0002, ..."""
    with AREAS.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    header, body = rows[0], rows[1:]
    picks = np.random.default_rng(seed).integers(0, len(body), size=areas)
    path = folder / f"areas_{areas}.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        for n, i in enumerate(picks, start=1):
            writer.writerow([f"R{n:04d}", f"Resampled {n:04d}", *body[i][2:]])
    return path


def deterministic(scenario: cba.Scenario, table: AreaTable) -> None:
    plan = plan_batch(scenario, table)
    areas, problems = area_inputs(plan, table)
    if problems:
        raise SystemExit(f"the resampled table has bad rows: {problems[:3]}")
    vectorised = time_in_process(lambda: batch(scenario, table), runs=5)
    whole = batch(scenario, table)
    option = whole.options[0]
    npsv = {r.area_id: r.npsv for r in whole.results if r.option_id == option}

    start = time.perf_counter()
    looped = {}
    for area in areas:
        evaluation = plan.compiled.evaluate(dict(area.values))
        looped[area.area_id] = float(evaluation.options[option].incremental.npsv)
    loop_evaluate = time.perf_counter() - start

    sample = areas[:: max(1, len(areas) // RUN_SAMPLE)][:RUN_SAMPLE]
    start = time.perf_counter()
    ran = {}
    for area in sample:
        results = cba.run(
            cba.with_values(scenario, dict(area.values)), sensitivity=False, uncertainty=False
        )
        ran[area.area_id] = results.option(option).incremental.npsv
    loop_run = (time.perf_counter() - start) / len(sample) * len(areas)

    agree_evaluate = max(abs(looped[a] - npsv[a]) / max(1.0, abs(npsv[a])) for a in looped)
    agree_run = max(abs(ran[a] - npsv[a]) / max(1.0, abs(npsv[a])) for a in ran)
    n = len(areas)
    print(f"(a) Deterministic, {n:,} areas x {len(whole.options)} option(s)")
    print(f"  vectorised cba.batch.batch (whole run, median of 5)   {vectorised:9.3f} s")
    print(
        f"  loop of CompiledScenario.evaluate, one per area       {loop_evaluate:9.3f} s"
        f"   {loop_evaluate / vectorised:7.1f}x slower"
    )
    print(
        f"  loop of cba.run(cba.with_values(...)) per area        {loop_run:9.3f} s"
        f"   {loop_run / vectorised:7.1f}x slower\n    (timed on {len(sample)} areas, "
        f"extrapolated)"
    )
    print(
        f"  largest relative difference in NPSV from the vectorised run:\n"
        f"    evaluate loop {agree_evaluate:.1e}, cba.run {agree_run:.1e}"
    )
    print("  target: vectorised >= 50x faster than the loop of single runs")


def in_process(
    table_path: str, count: int, draws: int, store: str
) -> tuple[float, tuple[float, float], list[float], dict[str, AreaDraws]]:
    """The in-process chunked run, in a fresh process: (wall time [s], (peak RSS [MiB], CPU
    time of the run [s]), each chunk's time [s] in table order, the figures)."""
    table = read_area_table(table_path)
    plan = plan_batch(cba.load_scenario(TEMPLATE), table)
    areas = area_inputs(plan, table)[0][:count]
    marks: list[float] = []
    cpu = usage()[1]
    start = time.perf_counter()
    run = run_chunks(
        plan,
        areas,
        draws,
        SEED,
        store=Path(store),
        progress=lambda done, total: marks.append(time.perf_counter()),
    )
    wall = time.perf_counter() - start
    chunk_times = [float(t) for t in np.diff(marks)]
    peak, used = usage()
    return wall, (peak, used - cpu), chunk_times, run.found


def plain(count: int, draws: int) -> float:
    """Seconds to simulate the first ``count`` areas in this process, no store, no Dask."""
    table = read_area_table(AREAS)
    plan = plan_batch(cba.load_scenario(TEMPLATE), table)
    areas = area_inputs(plan, table)[0][:count]
    start = time.perf_counter()
    simulate_areas(plan, areas, draws, SEED)
    return time.perf_counter() - start


def machine_ceiling(count: int, draws: int, processes: int) -> tuple[float, float]:
    """The speed-up this machine itself allows ``processes`` plain processes, without Dask:
    (one process alone [s], the same work in each of ``processes`` side by side [s], longest)."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=processes, mp_context=spawn) as pool:
        pool.submit(plain, 1, 1_000).result()  # start and import in a worker first
        alone = pool.submit(plain, count, draws).result()
        list(pool.map(plain, [1] * processes, [1_000] * processes))
        together = max(pool.map(plain, [count] * processes, [draws] * processes))
    return alone, together


def usage() -> tuple[float, float]:
    """This process's peak resident set [MiB] and CPU time so far, user and system [s] (also
    run on each worker)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_maxrss / 1024, own.ru_utime + own.ru_stime


def makespan(times: Sequence[float], workers: int) -> float:
    """Wall time of tasks handed out in order to whichever of ``workers`` is free first (how
    the scheduler hands out queued tasks)."""
    free = [0.0] * workers
    for t in times:
        heapq.heappush(free, heapq.heappop(free) + t)
    return max(free)


def on_dask(
    plan: BatchPlan, areas: Sequence[AreaInputs], draws: int, workers: int, store: Path
) -> tuple[float, tuple[float, float], list[float], dict[str, AreaDraws]]:
    """The same run on the local cluster ``--workers N`` starts: (cluster start [s], (run [s],
    the workers' CPU time in the run [s]), each worker's peak RSS [MiB], the figures)."""
    from cba.batch_dask import dask_client

    start = time.perf_counter()
    with dask_client(workers, None) as client:
        started = time.perf_counter() - start
        cpu = sum(u[1] for u in client.run(usage).values())
        begin = time.perf_counter()
        run = run_chunks(plan, areas, draws, SEED, store=store, scheduler=client.scheduler.address)
        wall = time.perf_counter() - begin
        after = client.run(usage).values()
        peaks = sorted(u[0] for u in after)
        used = sum(u[1] for u in after) - cpu
    return started, (wall, used), peaks, run.found


def distributed_run(count: int, draws: int, workers: int) -> None:
    table_path = str(AREAS)
    table = read_area_table(AREAS)
    plan = plan_batch(cba.load_scenario(TEMPLATE), table)
    areas = area_inputs(plan, table)[0][:count]
    per_chunk = areas_per_chunk(draws)
    chunks = -(-len(areas) // per_chunk)
    print()
    print(
        f"(b) Monte Carlo, {len(areas):,} areas x {draws:,} draws: {chunks} chunk(s) of up "
        f"to {per_chunk} areas\n    (at most {SETTINGS_PER_CHUNK:,} area-draws a chunk)"
    )
    with tempfile.TemporaryDirectory() as folder:
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            here = pool.submit(in_process, table_path, count, draws, f"{folder}/here").result()
        wall_here, (peak_here, cpu_here), chunk_times, found_here = here
        started, (wall_dask, cpu_dask), peaks, found_dask = on_dask(
            plan, areas, draws, workers, Path(folder) / "dask"
        )
    print(f"  in-process (one core)          {wall_here:8.1f} s   peak RSS {peak_here:6.0f} MiB")
    print(
        f"  {workers} Dask workers                 {wall_dask:8.1f} s   peak RSS per worker "
        + ", ".join(f"{p:.0f}" for p in peaks)
        + f" MiB\n    (+ {started:.1f} s to start the cluster)"
    )
    print(
        f"  CPU time (user + system): in-process {cpu_here:.1f} s, the {workers} workers "
        f"{cpu_dask:.1f} s in all ({cpu_dask / cpu_here:.2f}x)"
    )
    print(
        f"  speed-up {wall_here / wall_dask:.2f}x on {os.cpu_count()} cores "
        f"({wall_here / (wall_dask + started):.2f}x counting the cluster's start); "
        f"figures identical: {'yes' if found_here == found_dask else 'NO'}"
    )
    sample = min(10, len(areas))
    alone, together = machine_ceiling(sample, draws, workers)
    print(
        f"  this machine's own ceiling, without Dask: {workers} plain processes side by side, "
        f"each\n    simulating the same {sample} areas, take {together:.1f} s against "
        f"{alone:.1f} s for one alone: {workers * alone / together:.2f}x"
    )
    ideal = makespan(chunk_times, workers)
    measured = wall_dask / ideal
    factor = max(1.0, measured)
    schedule = makespan(chunk_times, CLUSTER)
    work = sum(chunk_times)
    print(f"  estimate on {CLUSTER} workers: {schedule * factor:.1f} s (+ the cluster's start)")
    print(
        f"    method: the chunks' times as measured in the in-process run (median "
        f"{float(np.median(chunk_times)):.2f} s, longest\n"
        f"    {max(chunk_times):.2f} s), handed out in table order to whichever of {CLUSTER} "
        f"workers is free first: {schedule:.1f} s;\n"
        f"    times the {workers}-worker run's time over the same schedule on {workers} workers, "
        f"at least 1\n"
        f"    ({wall_dask:.1f} s / {ideal:.1f} s = {measured:.2f}; Dask's scheduling and "
        f"transfers; below 1 is noise): {factor:.2f}.\n"
        f"    Assumes workers as fast as this machine's cores. {work:.0f} core-seconds of work: "
        f"{work / CLUSTER:.1f} s if\n"
        f"    split evenly; {len(chunk_times)} chunks on {CLUSTER} workers leave the longest "
        f"chunks to decide."
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--areas", type=int, default=300, help="areas of the Monte Carlo part")
    parser.add_argument("--draws", type=int, default=100_000, help="draws per area")
    parser.add_argument(
        "--deterministic-areas", type=int, default=1_000, help="areas of the deterministic part"
    )
    parser.add_argument("--workers", type=int, default=2, help="Dask workers (default 2)")
    args = parser.parse_args(argv)
    print(
        f"cba {cba.__version__}, Python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} cores, {platform.machine()}; load average at the start "
        f"{os.getloadavg()[0]:.2f}"
    )
    scenario = cba.load_scenario(TEMPLATE)
    with tempfile.TemporaryDirectory() as folder:
        table = read_area_table(resampled_table(Path(folder), args.deterministic_areas))
        deterministic(scenario, table)
    if args.areas > 300:
        raise SystemExit("--areas: the example table has 300 areas")
    distributed_run(args.areas, args.draws, args.workers)
    print(f"load average over the last 15 minutes at the end: {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
