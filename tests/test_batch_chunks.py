"""A batch's Monte Carlo in chunks (cba.batch_chunks), in this process: the same figures as
cba.batch.batch, chunks written to the store as they finish and read back bit for bit, a
failing chunk reported with its areas while the others are kept, --resume evaluating only what
is missing, and stores of other runs refused. The Dask executor: tests/test_batch_dask.py."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

import cba
import cba.batch_dask as batch_dask
from cba.batch import (
    AreaDraws,
    BatchPlan,
    area_inputs,
    batch,
    evaluate_areas,
    plan_batch,
    simulate_areas,
    with_draws,
)
from cba.batch_chunks import (
    MANIFEST_NAME,
    SETTINGS_PER_CHUNK,
    ChunkStoreError,
    ChunkTask,
    areas_per_chunk,
    remove_store,
    run_chunks,
    split_chunks,
)
from cba.batch_results import AreaInputs
from cba.io.area_table import read_area_table

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "scenarios" / "batch" / "neighbourhood_patrols.yaml"
AREAS = ROOT / "scenarios" / "areas" / "neighbourhoods_300.csv"
DRAWS = 200
SEED = 20260401
SETTINGS = 1_000
"""Settings per chunk in these tests: 5 areas of 200 draws, so 20 areas make 4 chunks."""
VICTIM = "N007"
"""An area of the second chunk (index 1), whose task fails in the fault tests."""


@dataclass(frozen=True)
class Job:
    scenario: cba.Scenario
    plan: BatchPlan
    areas: list[AreaInputs]
    table: Path
    """A CSV of the same 20 areas."""
    expected: dict[str, AreaDraws]
    """simulate_areas over the 20 areas in one call: what every chunked run must give."""


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> Job:
    lines = AREAS.read_text(encoding="utf-8").splitlines(keepends=True)
    table = tmp_path_factory.mktemp("areas") / "areas_20.csv"
    table.write_text("".join(lines[:21]), encoding="utf-8")
    scenario = cba.load_scenario(TEMPLATE)
    plan = plan_batch(scenario, read_area_table(table))
    areas, problems = area_inputs(plan, read_area_table(table))
    assert not problems and len(areas) == 20
    return Job(scenario, plan, areas, table, simulate_areas(plan, areas, DRAWS, SEED))


def failing_for(area_id: str) -> ChunkTask:
    """A chunk task that raises for the chunk holding ``area_id``."""

    def task(
        plan: BatchPlan, areas: Sequence[AreaInputs], draws: int, seed: int
    ) -> dict[str, AreaDraws]:
        if any(a.area_id == area_id for a in areas):
            raise RuntimeError(f"injected failure at {area_id}")
        return simulate_areas(plan, areas, draws, seed)

    return task


def only_for(area_id: str) -> ChunkTask:
    """A chunk task that refuses every chunk but the one holding ``area_id`` (proves that a
    resumed run evaluates nothing else)."""

    def task(
        plan: BatchPlan, areas: Sequence[AreaInputs], draws: int, seed: int
    ) -> dict[str, AreaDraws]:
        if all(a.area_id != area_id for a in areas):
            raise AssertionError(f"chunk of {areas[0].area_id} evaluated again")
        return simulate_areas(plan, areas, draws, seed)

    return task


def test_chunks_hold_consecutive_areas_within_the_settings_bound(job: Job) -> None:
    assert SETTINGS_PER_CHUNK == 500_000
    assert areas_per_chunk(100_000) == 5
    assert areas_per_chunk(1_000_000) == 1  # one area even above the bound
    assert areas_per_chunk(DRAWS, SETTINGS) == 5
    chunks = split_chunks(job.areas, 300, SETTINGS)
    assert [len(c.areas) for c in chunks] == [3] * 6 + [2]
    assert [c.index for c in chunks] == list(range(7))
    assert [a for c in chunks for a in c.area_ids] == [a.area_id for a in job.areas]
    assert chunks[1].file_name == "chunk-00001.json"
    with pytest.raises(ValueError, match="draws must be 1 or more"):
        split_chunks(job.areas, 0)


def test_in_process_chunks_give_the_batch_figures_exactly(job: Job, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    run = run_chunks(
        job.plan,
        job.areas,
        DRAWS,
        SEED,
        store=tmp_path / "store",
        settings_per_chunk=SETTINGS,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert run.complete and run.chunks == 4 and run.reused == 0 and run.evaluated == 4
    assert run.found == job.expected
    assert list(run.found) == [a.area_id for a in job.areas]  # table order
    assert seen == [(0, 20), (5, 20), (10, 20), (15, 20), (20, 20)]
    whole = batch(job.scenario, read_area_table(job.table), draws=DRAWS, seed=SEED)
    assert with_draws(evaluate_areas(job.plan, job.areas), run.found) == list(whole.results)
    names = sorted(p.name for p in (tmp_path / "store").iterdir())
    assert names == [f"chunk-{i:05d}.json" for i in range(4)] + [MANIFEST_NAME]


def test_the_store_reads_back_bit_for_bit(job: Job, tmp_path: Path) -> None:
    store = tmp_path / "store"
    run_chunks(job.plan, job.areas, DRAWS, SEED, store=store, settings_per_chunk=SETTINGS)
    again = run_chunks(
        job.plan,
        job.areas,
        DRAWS,
        SEED,
        store=store,
        resume=True,
        settings_per_chunk=SETTINGS,
        task=only_for("none of them"),
    )
    assert again.complete and again.reused == 4 and again.evaluated == 0
    assert again.found == job.expected  # float equality: every figure read back exactly
    manifest = json.loads((store / MANIFEST_NAME).read_bytes())
    assert manifest["format"] == "cba-batch-chunks/1"
    assert manifest["run"]["draws"] == DRAWS and manifest["run"]["seed"] == SEED
    assert manifest["run"]["cba_version"] == cba.__version__
    assert manifest["chunks"][1]["areas"] == ["N006", "N007", "N008", "N009", "N010"]


def test_a_failing_chunk_keeps_the_others_and_resume_completes_it(job: Job, tmp_path: Path) -> None:
    store = tmp_path / "store"
    seen: list[tuple[int, int]] = []
    run = run_chunks(
        job.plan,
        job.areas,
        DRAWS,
        SEED,
        store=store,
        settings_per_chunk=SETTINGS,
        task=failing_for(VICTIM),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert not run.complete
    [failure] = run.failures
    assert failure.index == 1
    assert failure.area_ids == ("N006", "N007", "N008", "N009", "N010")
    assert failure.error == "RuntimeError: injected failure at N007"
    assert str(failure).startswith("Monte Carlo chunk 2 (5 areas, N006 to N010) failed:")
    assert run.failed_area_ids == failure.area_ids
    assert run.found == {k: v for k, v in job.expected.items() if k not in failure.area_ids}
    assert seen[-1] == (15, 20)
    assert not (store / "chunk-00001.json").exists()
    resumed = run_chunks(
        job.plan,
        job.areas,
        DRAWS,
        SEED,
        store=store,
        resume=True,
        settings_per_chunk=SETTINGS,
        task=only_for(VICTIM),
    )
    assert resumed.complete and resumed.reused == 3 and resumed.evaluated == 1
    assert resumed.found == job.expected
    assert list(resumed.found) == [a.area_id for a in job.areas]


def test_a_store_of_another_run_is_refused(job: Job, tmp_path: Path) -> None:
    store = tmp_path / "store"
    run_chunks(job.plan, job.areas, DRAWS, SEED, store=store, settings_per_chunk=SETTINGS)
    before = {p.name: p.read_bytes() for p in store.iterdir()}

    def attempt(resume: bool, **changes: object) -> str:
        arguments: dict[str, object] = {
            "plan": job.plan,
            "areas": job.areas,
            "draws": DRAWS,
            "seed": SEED,
            "settings_per_chunk": SETTINGS,
        }
        arguments.update(changes)
        with pytest.raises(ChunkStoreError) as caught:
            run_chunks(store=store, resume=resume, **arguments)  # type: ignore[arg-type]
        return str(caught.value)

    for resume in (True, False):
        assert "seed: the store has 20260401, this run 7" in attempt(resume, seed=7)
        assert "draws: the store has 200, this run 300" in attempt(resume, draws=300)
        reordered = attempt(resume, areas=job.areas[::-1])
        assert "chunk 1 holds other areas or inputs" in reordered
        assert "chunks of another run" in attempt(resume, areas=job.areas[:10])
        path = "options.resident_patrols.benefits.burglary_avoided.deadweight"
        edited = cba.with_values(job.scenario, {path: 0.35})
        other = plan_batch(edited, read_area_table(job.table))
        assert "the template differs" in attempt(resume, plan=other)
    same = attempt(False)
    assert "already holds 4 of the 4 chunks of this run; resume to reuse them" in same
    assert {p.name: p.read_bytes() for p in store.iterdir()} == before  # nothing overwritten


def test_folders_that_are_not_stores(job: Job, tmp_path: Path) -> None:
    def start(store: Path) -> None:
        run_chunks(job.plan, job.areas[:2], DRAWS, SEED, store=store, settings_per_chunk=SETTINGS)

    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "read me.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ChunkStoreError, match=r"is not empty and is not a chunk store"):
        start(tmp_path / "notes")
    (tmp_path / "a file").write_text("", encoding="utf-8")
    with pytest.raises(ChunkStoreError, match="is a file"):
        start(tmp_path / "a file")
    (tmp_path / "empty").mkdir()
    start(tmp_path / "empty")
    remove_store(tmp_path / "empty")
    assert not (tmp_path / "empty").exists()
    remove_store(tmp_path / "notes")  # another's folder: its files stay
    assert (tmp_path / "notes" / "read me.txt").exists()


def test_a_store_with_only_this_runs_manifest_counts_as_empty(job: Job, tmp_path: Path) -> None:
    store = tmp_path / "store"
    run = run_chunks(
        job.plan,
        job.areas,
        DRAWS,
        SEED,
        store=store,
        settings_per_chunk=SETTINGS,
        task=failing_for("N001"),  # a run that stopped before any chunk was written
    )
    assert len(run.failures) == 1 and len(run.found) == 15
    for chunk in ("chunk-00001.json", "chunk-00002.json", "chunk-00003.json"):
        (store / chunk).unlink()
    again = run_chunks(job.plan, job.areas, DRAWS, SEED, store=store, settings_per_chunk=SETTINGS)
    assert again.complete and again.found == job.expected


def test_without_dask_the_cluster_options_say_what_to_install(
    job: Job, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    with pytest.raises(batch_dask.DaskSetupError, match=r"pip install 'cba\[distributed\]'"):
        run_chunks(job.plan, job.areas[:2], DRAWS, SEED, store=tmp_path / "s", workers=2)
    with pytest.raises(ValueError, match="not both"):
        run_chunks(job.plan, job.areas, DRAWS, SEED, store=tmp_path / "t", workers=2, scheduler="x")


def test_the_in_process_path_does_not_import_dask(tmp_path: Path) -> None:
    code = f"""
import sys
from pathlib import Path
import cba
from cba.batch import area_inputs, plan_batch
from cba.batch_chunks import run_chunks
from cba.io.area_table import read_area_table
table = read_area_table({str(AREAS)!r})
plan = plan_batch(cba.load_scenario({str(TEMPLATE)!r}), table)
areas, _ = area_inputs(plan, table)
run = run_chunks(plan, areas[:3], 50, 1, store=Path({str(tmp_path / "store")!r}))
assert run.complete and len(run.found) == 3
print(sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed")))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]"


def test_a_worker_of_other_versions_refuses_its_task(job: Job) -> None:
    with pytest.raises(batch_dask.WorkerVersionError, match="install the same versions"):
        batch_dask.evaluate_chunk(
            simulate_areas, job.plan, job.areas[:1], DRAWS, SEED, {"cba": "0.0.0", "numpy": "1"}
        )
    here = batch_dask.worker_versions()
    problems = batch_dask.version_problems(
        {
            "tcp://a:1": here,
            "tcp://b:2": {**here, "cba": "9.9.9"},
            "tcp://c:3": ModuleNotFoundError("No module named 'cba'"),
        },
        here,
    )
    assert problems == [
        "tcp://b:2 runs cba 9.9.9",
        "tcp://c:3 cannot report its versions (ModuleNotFoundError: No module named 'cba')",
    ]
