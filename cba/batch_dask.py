"""The Dask executor of a batch's chunked Monte Carlo (``cba batch --workers N`` or
``--scheduler ADDRESS``; docs/batch-distributed.md). Imported only when asked for; needs
``pip install 'cba[distributed]'``.

- ``workers=N`` starts a ``distributed.LocalCluster`` of N worker processes of one thread
  each (no dashboard, quiet logs, on this machine's loopback), closed when the run ends, fails
  or is interrupted; ``scheduler=ADDRESS`` connects to a running cluster and leaves it running.
- Before any work, every worker reports its cba and numpy versions; any that differ from this
  process's are refused (:class:`DaskSetupError` naming the workers and versions), and each
  task checks again on its worker, for workers that join later. Same versions, same figures:
  each area's draws derive from the seed and its id alone.
- The plan (the compiled template) is sent to the cluster once, as the result of a task every
  chunk depends on (recomputed if the worker holding it dies, which scattered data is not);
  each chunk is one task calling the chunk task (:func:`cba.batch.simulate_areas`); results
  come back as they finish (``as_completed``) and the caller writes them to the store in this
  process. A task that raises, or whose worker dies (``distributed.KilledWorker``, after the
  scheduler's allowed retries), is reported as that chunk's failure; the other chunks go on.
"""

from __future__ import annotations

import importlib
import logging
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from cba.batch import AreaDraws, BatchPlan
from cba.batch_chunks import (
    Chunk,
    ChunkDone,
    ChunkFailed,
    ChunkTask,
    check_figures,
    describe_error,
    versions,
)
from cba.batch_results import AreaInputs

CONNECT_SECONDS = 30.0
"""How long to try to reach a scheduler (``--scheduler``) [s]."""
WORKERS_SECONDS = 60.0
"""How long to wait for a cluster without workers to get one [s]."""
QUIET_LOGGERS = ("distributed", "tornado", "bokeh")
"""Loggers silenced while a run uses Dask: a killed worker is reported as its chunk's failure,
not as the scheduler's and nanny's log lines."""

LOCAL_CLUSTER_CONFIG: dict[str, Any] = {
    # One task at a time per single-threaded worker: one area's memory per worker, and a worker
    # that dies takes only the chunk it was evaluating with it.
    "distributed.scheduler.worker-saturation": 1.0,
    # Dask's nanny sets MALLOC_TRIM_THRESHOLD_ in its workers, which turns off glibc's
    # adaptive mmap threshold: every large temporary array of an evaluation is then a fresh
    # mmap and page faults, and a chunk took 1.6x as long in a worker as in a plain process
    # (benchmarks/batch.py). Unset, the workers keep memory as a plain process does.
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}
"""Dask configuration of the local cluster ``--workers N`` starts (docs/batch-distributed.md)."""


class DaskSetupError(RuntimeError):
    """The Dask cluster cannot be used: Dask missing, no scheduler or workers, or workers
    running other versions of cba or numpy. Nothing was evaluated."""


class WorkerVersionError(RuntimeError):
    """Raised in a task on a worker whose versions differ from the client's."""


def _distributed() -> Any:
    """The ``distributed`` module (typed Any: it has no complete annotations)."""
    try:
        return importlib.import_module("distributed")
    except ImportError:
        raise DaskSetupError(
            "--workers and --scheduler need Dask: pip install 'cba[distributed]'"
        ) from None


def worker_versions() -> dict[str, str]:
    """The versions a worker runs (called on each worker by :func:`check_workers`)."""
    return versions()


def version_problems(reported: Mapping[str, Any], local: Mapping[str, str]) -> list[str]:
    """Each worker whose reported versions differ from ``local``, in words (a report that is
    an exception: the worker could not run the check, e.g. cba is not installed there)."""
    problems = []
    for worker in sorted(reported):
        theirs = reported[worker]
        if isinstance(theirs, BaseException):
            problems.append(f"{worker} cannot report its versions ({describe_error(theirs)})")
        elif not isinstance(theirs, Mapping):
            problems.append(f"{worker} reports {theirs!r} rather than its versions")
        elif dict(theirs) != dict(local):
            differ = ", ".join(
                f"{name} {theirs.get(name, 'missing')}"
                for name in local
                if theirs.get(name) != local[name]
            )
            problems.append(f"{worker} runs {differ}")
    return problems


def check_workers(client: Any) -> None:
    """Refuse the cluster unless it has a worker and every worker runs this process's cba and
    numpy.

    Raises
    ------
    DaskSetupError
        Naming each worker that differs, and its versions.
    """
    try:
        client.wait_for_workers(1, timeout=WORKERS_SECONDS)
    except TimeoutError:
        raise DaskSetupError(
            f"the Dask cluster has no workers (none joined within {WORKERS_SECONDS:g} s): start "
            "some with `dask worker ADDRESS`"
        ) from None
    # Looked up at call time, so a test can stand in for what the workers report.
    reported = client.run(worker_versions, on_error="return")
    local = versions()
    problems = version_problems(reported, local)
    if problems:
        wanted = ", ".join(f"{k} {v}" for k, v in local.items())
        raise DaskSetupError(
            f"every Dask worker must run the versions of this process ({wanted}), so that "
            f"each area's figures are the same wherever they are evaluated: "
            + "; ".join(problems)
            + ". Install the same versions on every worker and restart them"
        )


def evaluate_chunk(
    task: ChunkTask,
    plan: BatchPlan,
    areas: Sequence[AreaInputs],
    draws: int,
    seed: int,
    expected: dict[str, str],
) -> dict[str, AreaDraws]:
    """One chunk's task, on a worker: the chunk task, refused on a worker whose cba or numpy
    is not the client's (one that joined after the check)."""
    mine = versions()
    if mine != expected:
        raise WorkerVersionError(
            f"this worker runs {mine}, the client {expected}; install the same versions"
        )
    return task(plan, areas, draws, seed)


def shared_plan(plan: BatchPlan) -> BatchPlan:
    """The plan, as a task's result that every chunk's task depends on."""
    return plan


@contextmanager
def _quiet() -> Iterator[None]:
    """Hold Dask's loggers in this process above CRITICAL for the block, then restore them."""
    loggers = [logging.getLogger(name) for name in QUIET_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@contextmanager
def dask_client(workers: int | None, scheduler: str | None) -> Iterator[Any]:
    """A client of a new local cluster of ``workers`` processes, or of the cluster at
    ``scheduler``; the local cluster is closed on the way out, whatever happened."""
    distributed = _distributed()
    with ExitStack() as stack:
        stack.enter_context(_quiet())
        if scheduler is not None:
            try:
                client = distributed.Client(
                    scheduler, timeout=CONNECT_SECONDS, set_as_default=False
                )
            except (OSError, TimeoutError, ValueError) as exc:
                raise DaskSetupError(
                    f"cannot connect to the Dask scheduler at {scheduler}: {exc}"
                ) from None
            stack.enter_context(client)
        else:
            import dask

            # The scheduler's and workers' scratch files in a folder of this run's, removed
            # with it.
            scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="cba-dask-"))
            stack.enter_context(dask.config.set({"temporary-directory": scratch}))
            with dask.config.set(LOCAL_CLUSTER_CONFIG):
                cluster = distributed.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    # The scheduler's HTTP endpoint (no dashboard: bokeh is not installed)
                    # on a free port of this machine only, so two runs never clash.
                    dashboard_address="127.0.0.1:0",
                    silence_logs=logging.ERROR,
                    local_directory=scratch,
                )
            stack.enter_context(cluster)
            client = stack.enter_context(distributed.Client(cluster, set_as_default=False))
        yield client


def run_on_dask(
    plan: BatchPlan,
    chunks: Sequence[Chunk],
    draws: int,
    seed: int,
    *,
    task: ChunkTask,
    workers: int | None,
    scheduler: str | None,
    done: ChunkDone,
    failed: ChunkFailed,
) -> None:
    """Each chunk as a task on the cluster; ``done`` or ``failed`` called in this process as
    each finishes, in the order they finish.

    Raises
    ------
    DaskSetupError
        Before any work: Dask missing, no scheduler or workers, or other versions.
    """
    distributed = _distributed()
    with dask_client(workers, scheduler) as client:
        check_workers(client)
        expected = versions()
        # The plan goes to the cluster once, as a task returning it rather than scattered
        # data: a worker that dies takes scattered data with it for good, while a task's
        # result the scheduler computes again, so the other chunks carry on.
        shared = client.submit(shared_plan, plan, key=f"cba-batch-plan-{client.id}", pure=False)
        futures: dict[Any, Chunk] = {}
        try:
            for chunk in chunks:
                future = client.submit(
                    evaluate_chunk,
                    task,
                    shared,
                    list(chunk.areas),
                    draws,
                    seed,
                    expected,
                    key=f"cba-batch-chunk-{chunk.index}-{client.id}",
                    pure=False,
                )
                futures[future] = chunk
            for future in distributed.as_completed(list(futures), loop=client.loop):
                chunk = futures.pop(future)
                try:
                    figures = future.result()
                except Exception as exc:  # the task's error, or KilledWorker
                    failed(chunk, describe_error(exc))
                    continue
                finally:
                    future.release()
                why = check_figures(chunk, figures)
                if why is None:
                    done(chunk, figures)
                else:
                    failed(chunk, why)
        finally:
            if futures:  # interrupted: leave nothing running on a cluster we do not own
                client.cancel(list(futures))
