"""The Dask executor of a batch's chunked Monte Carlo (cba.batch_dask): a local cluster of two
worker processes and an existing cluster give the in-process figures bit for bit; a worker
killed mid-job loses only its chunk, reported with its areas, while the others are written
intact, and resume completes the run with the same figures; workers of other versions are
refused before any work. Every cluster is closed and its processes gone when a test ends."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

distributed = pytest.importorskip(
    "distributed",
    reason="Dask is not installed (pip install 'cba[distributed]'; the test lock has it)",
)
psutil = pytest.importorskip("psutil", reason="psutil comes with distributed")
dask = pytest.importorskip("dask", reason="dask comes with distributed")

import cba  # noqa: E402
import cba.batch_dask as batch_dask  # noqa: E402
from cba.batch import AreaDraws, BatchPlan, area_inputs, plan_batch, simulate_areas  # noqa: E402
from cba.batch_chunks import ChunkStoreError, run_chunks  # noqa: E402
from cba.batch_results import AreaInputs  # noqa: E402
from cba.io.area_table import read_area_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "scenarios" / "batch" / "neighbourhood_patrols.yaml"
AREAS = ROOT / "scenarios" / "areas" / "neighbourhoods_300.csv"
DRAWS = 200
SEED = 20260401
SETTINGS = 1_000
"""Settings per chunk here: 5 areas of 200 draws, so the 20 areas make 4 chunks."""
VICTIM = "N007"
"""An area of the second chunk (index 1): its task kills its worker in the fault test."""


@dataclass(frozen=True)
class Job:
    plan: BatchPlan
    areas: list[AreaInputs]
    expected: dict[str, AreaDraws]
    """In this process, one area after another."""


@pytest.fixture(scope="module")
def job() -> Job:
    table = read_area_table(AREAS)
    plan = plan_batch(cba.load_scenario(TEMPLATE), table)
    areas = area_inputs(plan, table)[0][:20]
    return Job(plan, areas, simulate_areas(plan, areas, DRAWS, SEED))


def children() -> set[int]:
    """This process's descendants, but multiprocessing's resource tracker (one per process,
    started with the first cluster, ending with this process)."""
    return {
        p.pid
        for p in psutil.Process().children(recursive=True)
        if "multiprocessing.resource_tracker" not in " ".join(p.cmdline())
    }


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A running cluster of two worker processes, as a user's would be (``--scheduler``)."""
    before = children()
    scratch = str(tmp_path_factory.mktemp("dask"))
    with (
        dask.config.set({"temporary-directory": scratch}),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
        ) as running,
    ):
        yield running
    assert children() <= before, "the cluster's processes outlived it"


def test_a_local_cluster_gives_the_in_process_figures(job: Job, tmp_path: Path) -> None:
    before = children()
    seen: list[tuple[int, int]] = []
    run = run_chunks(
        job.plan,
        job.areas,
        DRAWS,
        SEED,
        store=tmp_path / "store",
        workers=2,
        settings_per_chunk=SETTINGS,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert run.complete and run.chunks == 4 and run.evaluated == 4
    assert run.found == job.expected  # bit for bit
    assert list(run.found) == [a.area_id for a in job.areas]
    assert seen == [(0, 20), (5, 20), (10, 20), (15, 20), (20, 20)]
    assert children() <= before, "the local cluster's workers outlived the run"


def test_an_existing_cluster_gives_the_in_process_figures(
    job: Job, cluster: Any, tmp_path: Path
) -> None:
    run = run_chunks(
        job.plan,
        job.areas,
        DRAWS,
        SEED,
        store=tmp_path / "store",
        scheduler=cluster.scheduler_address,
        settings_per_chunk=SETTINGS,
    )
    assert run.complete and run.found == job.expected


def killing_at(area_id: str) -> Any:
    """A chunk task that kills its worker process on the chunk holding ``area_id`` (defined
    here, in a function, so that it reaches the workers by value)."""

    def task(
        plan: BatchPlan, areas: Sequence[AreaInputs], draws: int, seed: int
    ) -> dict[str, AreaDraws]:
        if any(a.area_id == area_id for a in areas):
            os._exit(1)
        return simulate_areas(plan, areas, draws, seed)

    return task


def test_a_killed_worker_loses_only_its_chunk_and_resume_completes_it(
    job: Job, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    before = children()
    run = run_chunks(
        job.plan,
        job.areas,
        DRAWS,
        SEED,
        store=store,
        workers=2,
        settings_per_chunk=SETTINGS,
        task=killing_at(VICTIM),
    )
    assert children() <= before
    [failure] = run.failures
    assert failure.index == 1
    assert failure.area_ids == ("N006", "N007", "N008", "N009", "N010")
    assert "a worker process died while evaluating it (distributed.KilledWorker" in failure.error
    lost = set(failure.area_ids)
    assert run.found == {k: v for k, v in job.expected.items() if k not in lost}
    written = sorted(p.name for p in store.glob("chunk-*.json"))
    assert written == ["chunk-00000.json", "chunk-00002.json", "chunk-00003.json"]
    # What was written is intact: a resume that may evaluate only the lost chunk gives the
    # uninterrupted run's figures, bit for bit.
    resumed = run_chunks(
        job.plan,
        job.areas,
        DRAWS,
        SEED,
        store=store,
        resume=True,
        settings_per_chunk=SETTINGS,
        task=only_lost(lost),
    )
    assert resumed.complete and resumed.reused == 3 and resumed.evaluated == 1
    assert resumed.found == job.expected


def only_lost(lost: set[str]) -> Any:
    """A chunk task that refuses any chunk outside ``lost``."""

    def task(
        plan: BatchPlan, areas: Sequence[AreaInputs], draws: int, seed: int
    ) -> dict[str, AreaDraws]:
        if not {a.area_id for a in areas} <= lost:
            raise AssertionError("a written chunk was evaluated again")
        return simulate_areas(plan, areas, draws, seed)

    return task


def test_workers_of_another_version_are_refused_before_any_work(
    job: Job, cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    numpy_version = batch_dask.worker_versions()["numpy"]

    def older() -> dict[str, str]:  # runs on each worker in place of the real report
        return {"cba": "0.0.9", "numpy": numpy_version}

    monkeypatch.setattr(batch_dask, "worker_versions", older)
    store = tmp_path / "store"
    with pytest.raises(batch_dask.DaskSetupError) as caught:
        run_chunks(
            job.plan,
            job.areas,
            DRAWS,
            SEED,
            store=store,
            scheduler=cluster.scheduler_address,
            settings_per_chunk=SETTINGS,
        )
    message = str(caught.value)
    assert f"must run the versions of this process (cba {cba.__version__}, numpy" in message
    for address in cluster.scheduler_info["workers"]:
        assert f"{address} runs cba 0.0.9" in message
    assert not list(store.glob("chunk-*.json"))


def test_a_store_of_another_run_is_refused_before_the_cluster_starts(
    job: Job, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    run_chunks(job.plan, job.areas[:5], DRAWS, SEED, store=store, settings_per_chunk=SETTINGS)
    with pytest.raises(ChunkStoreError, match="seed: the store has 20260401, this run 1"):
        run_chunks(job.plan, job.areas[:5], DRAWS, 1, store=store, workers=2, resume=True)


def test_an_unreachable_scheduler_is_reported(
    job: Job, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch_dask, "CONNECT_SECONDS", 1.0)
    with pytest.raises(batch_dask.DaskSetupError, match="cannot connect to the Dask scheduler"):
        run_chunks(
            job.plan,
            job.areas[:5],
            DRAWS,
            SEED,
            store=tmp_path / "store",
            scheduler="tcp://127.0.0.1:9",
        )
