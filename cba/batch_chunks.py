"""A batch's per-area Monte Carlo in chunks of areas, written to a store as each finishes, so a
failed or interrupted run loses only its unfinished chunks (``cba batch --draws N``; docs
batch-distributed.md).

Executor-agnostic: the chunks run one after another in this process (the default), or as
tasks on a Dask cluster (:mod:`cba.batch_dask`, imported only when asked for, so this path
needs no Dask). Either way the client process writes each finished chunk to the store, and the
figures are the same bit for bit: each area's draws derive from the seed and its id alone
(:func:`cba.batch.area_seed`), whichever chunk, worker or order evaluates it.

Conventions
-----------
- Chunks hold consecutive areas in table order, at most :data:`SETTINGS_PER_CHUNK` settings
  (areas x draws per area) each, and at least one area. The layout depends on the areas and
  the draws only, never on the executor, so a run started in-process can be resumed on a
  cluster and the other way round.
- Memory: a chunk's task evaluates its areas one after another, and each area's draws in
  slices of :data:`cba.batch.CHUNK_SETTINGS` settings, keeping only five figures per option and
  area; so a worker's peak memory is one area's (its draws of every uncertain input
  [8 bytes x draws x inputs] and one slice's evaluation), whatever the chunk's size. The chunk
  size bounds the work one failure loses and the time between writes to the store.
- The store is a folder: ``manifest.json`` (the run's fingerprint and the chunk layout) and one
  ``chunk-NNNNN.json`` per finished chunk (``NNNNN`` its index from 0), each written whole to a
  temporary and renamed into place (:mod:`cba.io.atomic`). Floats are written in Python's
  shortest repr, which reads back as the same float64.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cba.batch import AreaDraws, BatchPlan, simulate_areas
from cba.batch_results import AreaInputs
from cba.io.atomic import TEMPORARY_MARK, write_bytes_atomically

SETTINGS_PER_CHUNK = 500_000
"""Most settings (areas x draws per area) in one chunk; a chunk holds at least one area. At
100,000 draws: 5 areas a chunk, about 6 s of one core in benchmarks/batch.py."""

STORE_FORMAT = "cba-batch-chunks/1"
"""Format of a chunk store's manifest and chunk files."""
MANIFEST_NAME = "manifest.json"
"""The manifest's file name in a store."""
CHUNK_PREFIX = "chunk-"
"""Chunk files are ``chunk-NNNNN.json``."""

ChunkTask = Callable[[BatchPlan, Sequence[AreaInputs], int, int], dict[str, AreaDraws]]
"""What a chunk's task calls: ``(plan, areas, draws, seed) -> {area id: figures}``, as
:func:`cba.batch.simulate_areas` (the default; another only in tests, to inject faults)."""
Progress = Callable[[int, int], None]
"""Called with (areas whose figures are found, areas in all) as chunks finish."""


class ChunkStoreError(ValueError):
    """A store that this run may not use: another run's, not a chunk store, or unreadable."""


@dataclass(frozen=True)
class Chunk:
    """Consecutive areas of the table, evaluated by one task."""

    index: int
    """Position among the run's chunks, from 0."""
    areas: tuple[AreaInputs, ...]

    @property
    def area_ids(self) -> tuple[str, ...]:
        return tuple(a.area_id for a in self.areas)

    @property
    def file_name(self) -> str:
        return f"{CHUNK_PREFIX}{self.index:05d}.json"


@dataclass(frozen=True)
class ChunkFailure:
    """A chunk whose task failed (an exception, or its worker died): none of its areas have
    figures; rerun them with ``resume=True``."""

    index: int
    """The chunk's position, from 0."""
    area_ids: tuple[str, ...]
    error: str
    """What went wrong, in words."""

    def __str__(self) -> str:
        first, last = self.area_ids[0], self.area_ids[-1]
        span = first if first == last else f"{first} to {last}"
        return (
            f"Monte Carlo chunk {self.index + 1} ({len(self.area_ids):,} areas, {span}) "
            f"failed: {self.error}"
        )


@dataclass(frozen=True)
class ChunkRun:
    """What a chunked run found, and which chunks failed."""

    found: dict[str, AreaDraws]
    """Area id -> its draws' figures, for every area of a finished chunk, in table order."""
    failures: list[ChunkFailure]
    """The chunks that failed, by index."""
    chunks: int
    """Chunks in the run."""
    reused: int
    """Chunks read from the store (``resume=True``) rather than evaluated."""
    store: Path
    evaluated: int = 0
    """Chunks evaluated by this call (finished ones; failures not counted)."""

    @property
    def complete(self) -> bool:
        """Whether every area has its figures."""
        return not self.failures

    @property
    def failed_area_ids(self) -> tuple[str, ...]:
        """The areas of the failed chunks, in table order."""
        return tuple(a for f in self.failures for a in f.area_ids)


def areas_per_chunk(draws: int, settings_per_chunk: int = SETTINGS_PER_CHUNK) -> int:
    """Areas in a chunk: as many as keep areas x draws within ``settings_per_chunk``, at
    least one."""
    if draws < 1:
        raise ValueError(f"draws must be 1 or more; got {draws}")
    if settings_per_chunk < 1:
        raise ValueError(f"settings_per_chunk must be 1 or more; got {settings_per_chunk}")
    return max(1, settings_per_chunk // draws)


def split_chunks(
    areas: Sequence[AreaInputs], draws: int, settings_per_chunk: int = SETTINGS_PER_CHUNK
) -> list[Chunk]:
    """The areas, in table order, in consecutive chunks of :func:`areas_per_chunk` areas."""
    size = areas_per_chunk(draws, settings_per_chunk)
    return [
        Chunk(index, tuple(areas[start : start + size]))
        for index, start in enumerate(range(0, len(areas), size))
    ]


def _canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _sha256(data: Any) -> str:
    return hashlib.sha256(_canonical(data)).hexdigest()


def versions() -> dict[str, str]:
    """The versions whose code decides a run's figures: cba's and numpy's (the random
    streams and the arithmetic)."""
    import cba

    return {"cba": cba.__version__, "numpy": np.__version__}


def run_fingerprint(plan: BatchPlan, draws: int, seed: int) -> dict[str, Any]:
    """What makes two runs' chunks interchangeable: the template (sha256 of its canonical
    JSON dump, reference tables being cba's own), draws per area, the seed and the versions."""
    return {
        "template_id": plan.scenario.id,
        "template_sha256": _sha256(plan.scenario.model_dump(mode="json")),
        "draws": draws,
        "seed": seed,
        **{f"{name}_version": value for name, value in versions().items()},
    }


def inputs_sha256(areas: Sequence[AreaInputs]) -> str:
    """sha256 of the areas' ids and the inputs they set, in order (what decides their draws)."""
    return _sha256([[a.area_id, sorted(a.values.items())] for a in areas])


def _layout(chunks: Sequence[Chunk]) -> list[dict[str, Any]]:
    return [
        {"index": c.index, "areas": list(c.area_ids), "inputs_sha256": inputs_sha256(c.areas)}
        for c in chunks
    ]


def _manifest(fingerprint: dict[str, Any], chunks: Sequence[Chunk]) -> dict[str, Any]:
    return {"format": STORE_FORMAT, "run": fingerprint, "chunks": _layout(chunks)}


def _draws_record(found: AreaDraws) -> dict[str, Any]:
    return {
        "area_id": found.area_id,
        "npsv_mean": found.npsv_mean,
        "npsv_p5": found.npsv_p5,
        "npsv_p95": found.npsv_p95,
        "probability_npsv_positive": found.probability_npsv_positive,
    }


def _figures(record: Any, name: str) -> dict[str, float]:
    values = record[name]
    if not isinstance(values, dict) or not all(
        isinstance(k, str) and isinstance(v, float | int) and not isinstance(v, bool)
        for k, v in values.items()
    ):
        raise ValueError(f"{name} is not a table of option -> number")
    return {k: float(v) for k, v in values.items()}


def _read_draws(record: Any) -> AreaDraws:
    if not isinstance(record, dict) or not isinstance(record.get("area_id"), str):
        raise ValueError("a result without an area_id")
    return AreaDraws(
        record["area_id"],
        _figures(record, "npsv_mean"),
        _figures(record, "npsv_p5"),
        _figures(record, "npsv_p95"),
        _figures(record, "probability_npsv_positive"),
    )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ChunkStoreError(
            f"{path}: cannot read it ({exc}); remove the store to start again"
        ) from None


def _store_entries(store: Path) -> list[str]:
    """Names in the store, leaving out temporaries a killed write left behind."""
    return sorted(n for n in os.listdir(store) if TEMPORARY_MARK not in n)


def _differences(stored: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    out = []
    for key in sorted({*stored, *wanted}):
        if stored.get(key) != wanted.get(key):
            name = key.replace("_", " ")
            if key == "template_sha256":
                out.append("the template differs (another file, or the same one edited)")
            else:
                out.append(
                    f"{name}: the store has {stored.get(key)!r}, this run {wanted.get(key)!r}"
                )
    return out


def _layout_difference(stored: Any, wanted: list[dict[str, Any]]) -> str | None:
    if not isinstance(stored, list):
        return "its chunk list is unreadable"
    if len(stored) != len(wanted):
        return f"the store has {len(stored):,} chunks, this run {len(wanted):,}"
    for old, new in zip(stored, wanted, strict=True):
        if old != new:
            return (
                f"chunk {new['index'] + 1} holds other areas or inputs (the area table differs: "
                f"rows added, removed, reordered or changed)"
            )
    return None


def _open_store(
    store: Path, manifest: dict[str, Any], chunks: Sequence[Chunk], *, resume: bool
) -> dict[int, dict[str, AreaDraws]]:
    """Check the store against this run and return the chunks it already holds (if resuming).

    Raises
    ------
    ChunkStoreError
        For a file in place of the folder, a folder that is not a chunk store, a store of
        another run, or (without ``resume``) a store already holding chunks of this run.
    """
    if store.exists() and not store.is_dir():
        raise ChunkStoreError(f"{store}: is a file, not a chunk store folder")
    entries = _store_entries(store) if store.is_dir() else []
    if not entries:
        return {}
    if MANIFEST_NAME not in entries:
        raise ChunkStoreError(
            f"{store}: is not empty and is not a chunk store (no {MANIFEST_NAME}; it holds "
            f"{', '.join(entries[:5])}{' ...' if len(entries) > 5 else ''}); give an empty or "
            "new folder"
        )
    stored = _read_json(store / MANIFEST_NAME)
    if not isinstance(stored, dict) or stored.get("format") != STORE_FORMAT:
        raise ChunkStoreError(
            f"{store / MANIFEST_NAME}: not a chunk store manifest of format {STORE_FORMAT}"
        )
    differences = _differences(stored.get("run") or {}, manifest["run"])
    layout = _layout_difference(stored.get("chunks"), manifest["chunks"])
    if layout:
        differences.append(layout)
    if differences:
        raise ChunkStoreError(
            f"{store}: holds the chunks of another run, so they cannot be "
            + ("reused" if resume else "replaced")
            + ": "
            + "; ".join(differences)
            + ". Give another folder, or remove this one to start again"
        )
    held = [c for c in chunks if c.file_name in entries]
    if not resume:
        if held:
            raise ChunkStoreError(
                f"{store}: already holds {len(held):,} of the {len(chunks):,} chunks of this "
                "run; resume to reuse them (cba batch --resume), or remove the folder to start "
                "again"
            )
        return {}
    found: dict[int, dict[str, AreaDraws]] = {}
    run_sha256 = _sha256(manifest)
    for chunk in held:
        path = store / chunk.file_name
        data = _read_json(path)
        try:
            if not isinstance(data, dict) or data.get("format") != STORE_FORMAT:
                raise ValueError(f"not a chunk file of format {STORE_FORMAT}")
            if data.get("run_sha256") != run_sha256 or data.get("index") != chunk.index:
                raise ValueError("written by another run than the manifest's")
            if data.get("areas") != list(chunk.area_ids):
                raise ValueError("holds other areas than the manifest says")
            records = data.get("draws")
            if not isinstance(records, list):
                raise ValueError("no draws")
            figures = {d.area_id: d for d in map(_read_draws, records)}
            if list(figures) != list(chunk.area_ids):
                raise ValueError("its results are not those of its areas")
        except (ValueError, KeyError) as exc:
            raise ChunkStoreError(
                f"{path}: {exc}; remove the file to evaluate its chunk again"
            ) from None
        found[chunk.index] = figures
    return found


def _write_chunk(store: Path, chunk: Chunk, run_sha256: str, figures: dict[str, AreaDraws]) -> None:
    document = {
        "format": STORE_FORMAT,
        "run_sha256": run_sha256,
        "index": chunk.index,
        "areas": list(chunk.area_ids),
        "draws": [_draws_record(figures[a]) for a in chunk.area_ids],
    }
    # json writes floats as repr(), the shortest text that reads back as the same float64.
    write_bytes_atomically(store / chunk.file_name, json.dumps(document, indent=1).encode())


def describe_error(exc: BaseException) -> str:
    """An exception in words: a worker that died says so; others give their type and text."""
    name = type(exc).__name__
    text = str(exc).strip() or "(no message)"
    if name == "KilledWorker":
        return f"a worker process died while evaluating it (distributed.KilledWorker: {text})"
    return f"{name}: {text}"


ChunkDone = Callable[[Chunk, dict[str, AreaDraws]], None]
"""Called in the client process with a finished chunk and its areas' figures."""
ChunkFailed = Callable[[Chunk, str], None]
"""Called in the client process with a failed chunk and what went wrong, in words."""


def check_figures(chunk: Chunk, figures: Any) -> str | None:
    """Why a task's answer is not the chunk's areas' figures, or None."""
    if not isinstance(figures, dict):
        return f"the task returned {type(figures).__name__}, not the areas' figures"
    if list(figures) != list(chunk.area_ids) or not all(
        isinstance(f, AreaDraws) and f.area_id == a for a, f in figures.items()
    ):
        return "the task returned figures for other areas than the chunk's"
    return None


def _run_here(
    plan: BatchPlan,
    pending: Sequence[Chunk],
    draws: int,
    seed: int,
    task: ChunkTask,
    done: ChunkDone,
    failed: ChunkFailed,
) -> None:
    """Each pending chunk in this process, one after another."""
    for chunk in pending:
        try:
            figures = task(plan, chunk.areas, draws, seed)
        except Exception as exc:  # a chunk's failure must not lose the others
            failed(chunk, describe_error(exc))
            continue
        why = check_figures(chunk, figures)
        if why is None:
            done(chunk, figures)
        else:
            failed(chunk, why)


def run_chunks(
    plan: BatchPlan,
    areas: Sequence[AreaInputs],
    draws: int,
    seed: int,
    *,
    store: Path,
    resume: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
    settings_per_chunk: int = SETTINGS_PER_CHUNK,
    task: ChunkTask | None = None,
) -> ChunkRun:
    """Each area's Monte Carlo (``draws`` per area, streams from ``seed`` and its id), in
    chunks written to ``store`` as they finish.

    Parameters
    ----------
    plan, areas
        As :func:`cba.batch.plan_batch` and :func:`cba.batch.area_inputs` give them.
    draws
        Draws per area, 1 or more.
    seed
        The run's seed.
    store
        The chunk store folder: created if missing; must be empty, or (with ``resume``) a
        store of this same run.
    resume
        Read the chunks the store holds instead of evaluating them; evaluate only the rest.
    workers
        Start a local Dask cluster of this many worker processes (needs ``cba[distributed]``).
    scheduler
        Use the Dask cluster at this address (``tcp://host:8786``) instead.
    progress
        Called with (areas done, areas in all) as chunks finish, once at the start.
    settings_per_chunk
        Most areas x draws in one chunk (:data:`SETTINGS_PER_CHUNK`); part of the layout a
        resumed run must share.
    task
        What a chunk's task calls (default :func:`cba.batch.simulate_areas`); tests pass one
        that fails for some areas.

    Returns
    -------
    ChunkRun
        The figures of every area in a finished chunk, and the chunks that failed (their
        areas have none). Without failures the figures equal :func:`cba.batch.batch`'s, bit
        for bit, whatever the executor and however often the run was resumed.

    Raises
    ------
    ChunkStoreError
        The store is not this run's (nothing is evaluated).
    cba.batch_dask.DaskSetupError
        The cluster cannot be used: Dask not installed, no workers, or workers running other
        versions of cba or numpy than this process (nothing is evaluated).
    cba.io.atomic.OutputError
        A chunk cannot be written to the store (the chunks written before it are kept).
    """
    if workers is not None and scheduler is not None:
        raise ValueError("give workers (a local cluster) or scheduler (an existing one), not both")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be 1 or more; got {workers}")
    chunks = split_chunks(areas, draws, settings_per_chunk)
    manifest = _manifest(run_fingerprint(plan, draws, seed), chunks)
    found_by_chunk = _open_store(store, manifest, chunks, resume=resume)
    reused = len(found_by_chunk)
    write_bytes_atomically(store / MANIFEST_NAME, json.dumps(manifest, indent=1).encode())
    run_sha256 = _sha256(manifest)
    total = len(areas)
    done_areas = sum(len(c) for c in found_by_chunk.values())
    failures: list[ChunkFailure] = []
    if progress is not None:
        progress(done_areas, total)

    def done(chunk: Chunk, figures: dict[str, AreaDraws]) -> None:
        nonlocal done_areas
        _write_chunk(store, chunk, run_sha256, figures)
        found_by_chunk[chunk.index] = figures
        done_areas += len(chunk.areas)
        if progress is not None:
            progress(done_areas, total)

    def failed(chunk: Chunk, error: str) -> None:
        failures.append(ChunkFailure(chunk.index, chunk.area_ids, error))

    pending = [c for c in chunks if c.index not in found_by_chunk]
    chosen = task or simulate_areas
    if pending and (workers is not None or scheduler is not None):
        from cba.batch_dask import run_on_dask

        run_on_dask(
            plan,
            pending,
            draws,
            seed,
            task=chosen,
            workers=workers,
            scheduler=scheduler,
            done=done,
            failed=failed,
        )
    elif pending:
        _run_here(plan, pending, draws, seed, chosen, done, failed)
    found = {
        area_id: found_by_chunk[c.index][area_id]
        for c in chunks
        if c.index in found_by_chunk
        for area_id in c.area_ids
    }
    return ChunkRun(
        found=found,
        failures=sorted(failures, key=lambda f: f.index),
        chunks=len(chunks),
        reused=reused,
        store=store,
        evaluated=len(found_by_chunk) - reused,
    )


def remove_store(store: Path) -> None:
    """Remove a chunk store: its manifest, chunk files and left-over temporaries, then the
    folder if nothing else is in it (for a caller whose run is complete and written)."""
    if not store.is_dir():
        return
    for name in os.listdir(store):
        base = name.lstrip(".").split(TEMPORARY_MARK)[0] if TEMPORARY_MARK in name else name
        if base == MANIFEST_NAME or (base.startswith(CHUNK_PREFIX) and base.endswith(".json")):
            (store / name).unlink(missing_ok=True)
    if not os.listdir(store):
        store.rmdir()
