"""Issue 8, the command line and its outputs: a run's files are one consistent set, written
together or not at all; output paths are checked before anything is written; temporaries never
outlive a run; every input problem is a clear exit 2; user text is never read as markup.

Failures are injected by monkeypatching the functions :mod:`cba.io.atomic` calls (``os.open``,
``os.fsync``, ``os.replace`` ...) in-process; a kill is simulated in a child interpreter that
patches ``os.replace`` the same way before calling :func:`cba.cli.main` (no hook ships in cba).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import cba
import cba.pipeline
from cba.cli import EXIT_INTERRUPTED, EXIT_TERMINATED, main
from cba.io import atomic
from cba.io.atomic import os_error_message
from cba.io.outputs import WORKBOOK_PROPERTIES, is_cba_results, is_cba_workbook
from cba.io.workbook.package import content_digest

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = ROOT / "scenarios"
ONE = SCENARIO_DIR / "green_corridor_cleanup.yaml"
OTHER = SCENARIO_DIR / "balsall_heath_community_safety.yaml"
SCALE_EXAMPLE = SCENARIO_DIR / "volunteer_befriending_scale.yaml"
TEMPORARY = re.compile(r"\.cba-(tmp|old)-")


@pytest.fixture(autouse=True)
def _private_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.chdir(tmp_path)


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def flat(text: str) -> str:
    return " ".join(text.split())


def listing(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative name -> bytes); folders as ``name/``."""
    out: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        out[name + ("/" if path.is_dir() else "")] = b"" if path.is_dir() else path.read_bytes()
    return out


def pair_agrees(book: Path, results: Path) -> bool:
    """Whether a JSON results file names this workbook by its digests."""
    data = book.read_bytes()
    recorded = json.loads(results.read_text(encoding="utf-8")).get("workbook")
    return recorded == {
        "content_digest": content_digest(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


# --------------------------------------------------------------------------------------------
# 1. A run's outputs are one set: they name each other, and are written together or not at all
# --------------------------------------------------------------------------------------------


def test_json_records_the_digests_of_its_workbook(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = cli(capsys, "run", SCENARIO_DIR, "-o", tmp_path / "r")
    assert code == 0, err
    for path in sorted(SCENARIO_DIR.glob("*.yaml")):
        scenario_id = cba.load_scenario(path).id
        book, results = (
            tmp_path / "r" / f"{scenario_id}.xlsx",
            tmp_path / "r" / f"{scenario_id}.json",
        )
        assert pair_agrees(book, results), scenario_id
        digest = json.loads(results.read_text(encoding="utf-8"))["workbook"]["content_digest"]
        assert f"workbook content digest: {digest}" in out


def _old_pair(
    capsys: pytest.CaptureFixture[str], folder: Path
) -> tuple[Path, Path, dict[str, bytes]]:
    """A pair written by a run of OTHER under fixed names, and the folder's contents."""
    book, results = folder / "book.xlsx", folder / "results.json"
    code, _, err = cli(capsys, "run", OTHER, "-o", book, "--json", results, "-q")
    assert code == 0, err
    return book, results, listing(folder)


def failing_on_call(
    monkeypatch: pytest.MonkeyPatch, name: str, call: int, error: OSError
) -> list[int]:
    """Make ``os.<name>`` raise ``error`` on its ``call``-th use by cba.io.atomic (``os`` is
    shared: other callers are counted out by their module)."""
    real: Callable[..., Any] = getattr(os, name)
    calls = [0]

    def fake(*args: Any, **kwargs: Any) -> Any:
        if sys._getframe(1).f_globals.get("__name__") == atomic.__name__:
            calls[0] += 1
            if calls[0] == call:
                raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(atomic.os, name, fake)
    return calls


NO_SPACE = OSError(errno.ENOSPC, "No space left on device")
LOCKED = PermissionError(errno.EACCES, "Permission denied")

STEPS = [
    # (os function, which call fails, error): writing the workbook's temporary, the JSON's
    # temporary, flushing it to disk, renaming the workbook into place, then the JSON.
    ("open", 1, NO_SPACE),
    ("open", 2, NO_SPACE),
    ("fsync", 2, NO_SPACE),
    ("replace", 1, LOCKED),
    ("replace", 2, LOCKED),
    ("replace", 2, NO_SPACE),
]


@pytest.mark.parametrize(("function", "call", "error"), STEPS)
def test_a_failed_write_at_any_step_leaves_the_old_pair(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    function: str,
    call: int,
    error: OSError,
) -> None:
    folder = tmp_path / "r"
    book, results, before = _old_pair(capsys, folder)
    calls = failing_on_call(monkeypatch, function, call, error)
    code, out, err = cli(capsys, "run", ONE, "-o", book, "--json", results)
    assert calls[0] >= call  # the failure was reached
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err
    assert err.startswith("cba: ")
    assert error.strerror is not None and error.strerror in err
    assert str(book) in err or str(results) in err  # the message names the file
    if error.errno == errno.ENOSPC:
        assert "Excel" not in err and "close" not in err
    else:
        assert "close it" in err
    assert "NPSV" not in out  # nothing is reported as written
    assert listing(folder) == before  # the old pair, untouched; no temporary left
    assert pair_agrees(book, results)


@pytest.mark.parametrize(("function", "call", "error"), STEPS)
def test_a_failed_first_write_leaves_nothing(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    function: str,
    call: int,
    error: OSError,
) -> None:
    failing_on_call(monkeypatch, function, call, error)
    code, _, err = cli(capsys, "run", ONE, "-o", tmp_path / "new" / "deeper", "-q")
    assert code == 2, err
    assert list(tmp_path.iterdir()) == []  # not even the folders it created


def test_without_hard_links_the_old_file_is_copied_and_the_write_succeeds(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    book, results, _ = _old_pair(capsys, tmp_path / "r")
    failing_on_call(monkeypatch, "link", 1, OSError(errno.EPERM, "Operation not permitted"))
    code, _, err = cli(capsys, "run", ONE, "-o", book, "--json", results, "-q")
    assert code == 0, err
    assert sorted(p.name for p in book.parent.iterdir()) == ["book.xlsx", "results.json"]
    assert pair_agrees(book, results)
    assert (
        json.loads(results.read_text(encoding="utf-8"))["scenario_id"] == cba.load_scenario(ONE).id
    )


def test_a_failed_scenario_in_a_folder_run_writes_no_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """All or nothing across scenarios too: an overflow in one means no file for any."""
    real_run = cba.pipeline.run
    target = cba.load_scenario(SCALE_EXAMPLE).id

    def overflowing(scenario: Any) -> Any:
        if scenario.id == target:
            raise cba.pipeline.NonFiniteResultError(f"{target}: the figure x is not finite")
        return real_run(scenario)

    monkeypatch.setattr(cba.pipeline, "run", overflowing)
    code, out, err = cli(capsys, "run", SCENARIO_DIR, "-o", tmp_path / "r")
    assert code == 2
    assert err.startswith("cba: ") and "not finite" in err
    assert "Traceback" not in err
    assert not (tmp_path / "r").exists()
    assert "NPSV" not in out


def test_non_finite_result_is_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def overflowing(scenario: Any) -> Any:
        raise cba.pipeline.NonFiniteResultError("x: the figure y is not a finite number")

    monkeypatch.setattr(cba.pipeline, "run", overflowing)
    code, _, err = cli(capsys, "run", ONE, "-q")
    assert (code, err) == (2, "cba: x: the figure y is not a finite number\n")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------
# Kills: SIGTERM and Ctrl-C while writing clean up; SIGKILL leaves what the next run removes
# --------------------------------------------------------------------------------------------


def signal_on_replace(monkeypatch: pytest.MonkeyPatch, signum: int, call: int) -> None:
    """Send ``signum`` to this process just before the ``call``-th rename."""
    real = os.replace
    calls = [0]

    def fake(*args: Any, **kwargs: Any) -> Any:
        if sys._getframe(1).f_globals.get("__name__") == atomic.__name__:
            calls[0] += 1
            if calls[0] == call:
                signal.raise_signal(signum)
        return real(*args, **kwargs)

    monkeypatch.setattr(atomic.os, "replace", fake)


@pytest.mark.parametrize(
    ("signum", "code", "message"),
    [
        (signal.SIGTERM, EXIT_TERMINATED, "terminated"),
        (signal.SIGINT, EXIT_INTERRUPTED, "interrupted"),
    ],
    ids=["SIGTERM", "SIGINT"],
)
def test_signal_while_renaming_puts_the_old_pair_back(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    signum: int,
    code: int,
    message: str,
) -> None:
    folder = tmp_path / "r"
    book, results, before = _old_pair(capsys, folder)
    before_handlers = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    signal_on_replace(monkeypatch, signum, 1)  # the workbook is renamed, then the signal acts
    status, out, err = cli(capsys, "run", ONE, "-o", book, "--json", results)
    assert status == code
    assert err == f"cba: {message}; no partial output was left" + (
        " (files being written were removed, existing files are unchanged)\n"
        if signum == signal.SIGTERM
        else "\n"
    )
    assert out == ""
    assert listing(folder) == before
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before_handlers


def test_ctrl_c_at_the_last_rename_keeps_the_new_pair_and_stops(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Once the last rename has begun, the set is written; the signal then takes its course."""
    folder = tmp_path / "r"
    book, results, before = _old_pair(capsys, folder)
    signal_on_replace(monkeypatch, signal.SIGINT, 2)
    status, out, err = cli(capsys, "run", ONE, "-o", book, "--json", results)
    assert (status, out) == (EXIT_INTERRUPTED, "")
    assert err == "cba: interrupted; no partial output was left\n"
    assert sorted(p.name for p in folder.iterdir()) == ["book.xlsx", "results.json"]
    assert book.read_bytes() != before["book.xlsx"]
    assert pair_agrees(book, results)


CHILD = """
import os, signal, sys
from pathlib import Path
from cba.io import atomic
from cba.cli import main

real = os.replace
calls = [0]
def replace(*args, **kwargs):
    if sys._getframe(1).f_globals.get("__name__") == atomic.__name__:
        calls[0] += 1
        if calls[0] == {call}:
            os.kill(os.getpid(), signal.{signal})
    return real(*args, **kwargs)
atomic.os.replace = replace
sys.exit(main({args!r}))
"""


def child(
    call: int, signame: str, *args: str | Path, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """``cba ARGS`` in a fresh interpreter that gets ``signame`` at its ``call``-th rename."""
    script = CHILD.format(call=call, signal=signame, args=[str(a) for a in args])
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_sigterm_in_a_real_process_exits_143_and_leaves_no_temporary(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "r"
    book, results, before = _old_pair(capsys, folder)
    done = child(1, "SIGTERM", "run", ONE, "-o", book, "--json", results, cwd=tmp_path)
    assert done.returncode == 143, done.stderr
    assert done.stderr.startswith("cba: terminated; no partial output was left")
    assert "Traceback" not in done.stderr
    assert listing(folder) == before


@pytest.mark.parametrize("call", [1, 2], ids=["before-first-rename", "between-renames"])
def test_sigkill_while_writing_leaves_a_detectable_state_that_the_next_run_cleans(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, call: int
) -> None:
    folder = tmp_path / "r"
    book, results, before = _old_pair(capsys, folder)
    done = child(call, "SIGKILL", "run", ONE, "-o", book, "--json", results, "-q", cwd=tmp_path)
    assert done.returncode == -signal.SIGKILL
    left = sorted(p.name for p in folder.iterdir() if TEMPORARY.search(p.name))
    assert left  # a SIGKILL cannot be cleaned up after ...
    if call == 1:
        assert {k: v for k, v in listing(folder).items() if not TEMPORARY.search(k)} == before
    else:
        # ... and between the two renames, the new workbook is beside the old JSON: the JSON's
        # record of its workbook shows they do not belong together.
        assert book.read_bytes() != before["book.xlsx"]
        assert results.read_bytes() == before["results.json"]
        assert not pair_agrees(book, results)
    # The next run removes what the killed process left, and writes a consistent pair.
    code, _, err = cli(capsys, "run", ONE, "-o", book, "--json", results, "-q")
    assert code == 0, err
    assert sorted(p.name for p in folder.iterdir()) == ["book.xlsx", "results.json"]
    assert pair_agrees(book, results)


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_stale_temporaries_of_dead_processes_only_are_removed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "r"
    folder.mkdir()
    name = f"{cba.load_scenario(ONE).id}.json"
    dead, alive = dead_pid(), os.getppid()
    stale = [folder / f".{name}.cba-tmp-{dead}", folder / f".{name}.cba-old-{dead}"]
    kept = [
        folder / f".{name}.cba-tmp-{alive}",  # a running process's: not ours to remove
        folder / f".{name}.cba-tmp-x{dead}",  # not a name cba gives
        folder / f".other.json.cba-tmp-{dead}",  # not a file this run writes
    ]
    for path in (*stale, *kept):
        path.write_bytes(b"partial")
    code, _, err = cli(capsys, "run", ONE, "-o", folder, "-q")
    assert code == 0, err
    assert not any(p.exists() for p in stale)
    assert all(p.read_bytes() == b"partial" for p in kept)


# --------------------------------------------------------------------------------------------
# 2. Output paths are checked before anything is written
# --------------------------------------------------------------------------------------------


def _copy_scenario(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    shutil.copy(ONE, path)
    return path


CONFLICTS: list[tuple[str, list[str], str]] = [
    ("file-and-folder-xlsx", ["-o", "same.xlsx", "--json", "same.xlsx"], "would be both"),
    ("file-and-folder-json", ["-o", "s.json", "--json", "s.json"], "would be both"),
    ("nested", ["-o", "a.xlsx", "--json", "a.xlsx/b"], "would be both"),
    ("long-name", ["-o", "a" * 300 + ".xlsx"], "File name too long"),
    ("long-folder", ["-o", "f" * 300], "File name too long"),
    ("long-json-name", ["--json", "j" * 250 + ".json"], "File name too long"),
]


@pytest.mark.parametrize(("label", "args", "fragment"), CONFLICTS, ids=[c[0] for c in CONFLICTS])
def test_conflicting_output_paths_write_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, label: str, args: list[str], fragment: str
) -> None:
    code, out, err = cli(capsys, "run", ONE, *args)
    assert code == 2, err
    assert err.startswith("cba: ")
    assert fragment in err
    assert "Traceback" not in err and "internal error" not in err
    assert out == ""
    assert list(tmp_path.iterdir()) == []


def test_a_folder_where_the_file_goes_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "out" / f"{cba.load_scenario(ONE).id}.xlsx").mkdir(parents=True)
    before = listing(tmp_path)
    code, _, err = cli(capsys, "run", ONE)
    assert code == 2
    assert "is a folder" in err
    assert listing(tmp_path) == before


def test_a_file_where_a_folder_is_needed_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "afile").write_text("x\n", encoding="utf-8")
    code, _, err = cli(capsys, "run", ONE, "-o", tmp_path / "results", "--json", "afile/x.json")
    assert code == 2
    assert "afile: is a file, not a folder" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
def test_an_output_that_is_an_input_is_refused_even_with_force(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, force: bool
) -> None:
    scenario = _copy_scenario(tmp_path, "scenario.json")
    text = scenario.read_bytes()
    (tmp_path / "link.json").symlink_to(scenario)
    for target in ("scenario.json", "link.json", "./sub/../scenario.json"):
        code, _, err = cli(
            capsys, "run", scenario, "--json", target, *(["--force"] if force else [])
        )
        assert code == 2, (target, err)
        assert "is an input of this run" in err
        assert scenario.read_bytes() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "scenario.json"]


def test_the_template_is_not_an_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from cba.io.workbook.template import DEFAULT_TEMPLATE

    template = tmp_path / "branded.xlsx"
    shutil.copy(DEFAULT_TEMPLATE, template)
    code, _, err = cli(capsys, "run", ONE, "--template", template, "-o", template, "--force")
    assert code == 2
    assert "is an input of this run" in err
    assert template.read_bytes() == DEFAULT_TEMPLATE.read_bytes()


def test_a_device_or_pipe_is_never_replaced(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    os.mkfifo(tmp_path / "pipe.json")
    code, _, err = cli(capsys, "run", ONE, "--json", "pipe.json", "--force")
    assert code == 2
    assert "not a regular file" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe.json"]


def test_every_problem_with_the_outputs_is_reported_at_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    results = tmp_path / "results"
    results.mkdir()
    ids = sorted(cba.load_scenario(p).id for p in SCENARIO_DIR.glob("*.yaml"))
    for scenario_id in ids[:2]:
        (results / f"{scenario_id}.json").write_text("mine\n", encoding="utf-8")
    code, _, err = cli(capsys, "run", SCENARIO_DIR, "-o", results)
    assert code == 2
    assert "2 problems with the output paths; nothing was written" in err
    for scenario_id in ids[:2]:
        assert f"{scenario_id}.json: exists and was not written by cba" in err
    assert sorted(p.name for p in results.iterdir()) == [f"{i}.json" for i in ids[:2]]


# --------------------------------------------------------------------------------------------
# 4. Input problems are exit 2 with a plain message
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("points", ["-5", "0", "1", "100001", "10000000"])
def test_scale_points_out_of_range(capsys: pytest.CaptureFixture[str], points: str) -> None:
    code, out, err = cli(capsys, "scale", SCALE_EXAMPLE, "--points", points)
    assert code == 2
    assert out == ""
    assert err == f"cba: --points {points}: the number of sweep points must be from 2 to 100,000\n"


def test_scale_points_maximum_is_the_scenario_languages(capsys: pytest.CaptureFixture[str]) -> None:
    from cba.scale_sweep import MAX_POINTS
    from cba.spec.scale import Sweep

    assert Sweep.model_json_schema()["properties"]["points"]["maximum"] == MAX_POINTS
    with pytest.raises(SystemExit):
        main(["scale", "--help"])
    assert f"2 to {MAX_POINTS:,}" in flat(capsys.readouterr().out)
    code, out, err = cli(capsys, "scale", SCALE_EXAMPLE, "--points", str(MAX_POINTS))
    assert code == 0, err
    assert "end of sweep" in out


@pytest.mark.parametrize(
    ("error", "closes"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), False),
        (OSError(errno.EROFS, "Read-only file system"), False),
        (OSError(errno.ENAMETOOLONG, "File name too long"), False),
        (OSError(errno.EIO, "Input/output error"), False),
        (PermissionError(errno.EACCES, "Permission denied"), True),
        (PermissionError(errno.EPERM, "Operation not permitted"), True),
        (OSError(errno.EBUSY, "Device or resource busy"), True),
    ],
)
def test_write_error_messages_name_the_path_and_the_reason(error: OSError, closes: bool) -> None:
    message = os_error_message(Path("out/x.xlsx"), error)
    assert message.startswith(f"out/x.xlsx: cannot write the file: {error.strerror}")
    assert ("close it" in message) is closes
    assert ("Excel" in message) is closes


# --------------------------------------------------------------------------------------------
# Ctrl-C at any moment: the clean message and 130, never a traceback
# --------------------------------------------------------------------------------------------


def _interrupt(*args: Any, **kwargs: Any) -> Any:
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    "where",
    [
        "cba.cli.build_parser",
        "cba.cli._scenario_paths",
        "cba.pipeline.run",
        "cba.io.terminal.print_summary",
        "cba.io.atomic._write_temporary",
    ],
)
def test_ctrl_c_anywhere_in_a_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, where: str
) -> None:
    import importlib

    module, name = where.rsplit(".", 1)
    monkeypatch.setattr(importlib.import_module(module), name, _interrupt)
    code, _, err = cli(capsys, "run", ONE, "-o", tmp_path / "r")
    assert code == EXIT_INTERRUPTED
    assert err == "cba: interrupted; no partial output was left\n"
    if where != "cba.io.terminal.print_summary":  # printing comes after the files are written
        assert list(tmp_path.iterdir()) == []


def test_ctrl_c_python_could_not_raise_is_still_an_interrupt(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C landing in a finaliser (as during imports) is 'ignored' by Python, with a
    traceback on stderr: cba reports it as an interrupt instead."""

    class Finalised:
        def __del__(self) -> None:
            raise KeyboardInterrupt

    real = cba.cli._scenario_paths

    def paths(arguments: Any) -> Any:
        Finalised()  # deleted at once: its KeyboardInterrupt goes to sys.unraisablehook
        return real(arguments)

    monkeypatch.setattr(cba.cli, "_scenario_paths", paths)
    hook = sys.unraisablehook
    code, _, err = cli(capsys, "validate", ONE)
    assert code == EXIT_INTERRUPTED
    assert err == "cba: interrupted; no partial output was left\n"
    assert sys.unraisablehook is hook


def test_ctrl_c_in_the_first_half_second(tmp_path: Path) -> None:
    """SIGINT to a real ``cba run`` at moments through its first half second (imports, loading,
    computing): exit 130 and the one-line message, never a traceback. Delays start once an
    interpreter has had time to import cba.cli here (before that, Python itself is starting)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import cba.cli"], check=True, timeout=60)
    startup = time.perf_counter() - started
    first = min(2 * startup + 0.05, 0.45)
    delays = [first + (0.5 - first) * k / 7 for k in range(8)]
    outcomes = []
    for delay in delays:
        process = subprocess.Popen(
            [sys.executable, "-m", "cba", "run", str(ONE), "-o", str(tmp_path / "r")],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
        outcomes.append((delay, process.returncode, err))
        assert "Traceback" not in err, (delay, err)
        assert "Exception ignored" not in err, (delay, err)
        if process.returncode != 0:  # finished before the signal: also fine
            # 130, or ended by SIGINT itself: CPython does that at exit when a Ctrl-C passed
            # through code it ran with PyRun_* (cba caught it); a shell shows 130 for both.
            assert process.returncode in (EXIT_INTERRUPTED, -signal.SIGINT), (delay, err)
            assert err == "cba: interrupted; no partial output was left\n", (delay, err)
        shutil.rmtree(tmp_path / "r", ignore_errors=True)
    assert any(code != 0 for _, code, _ in outcomes), outcomes


# --------------------------------------------------------------------------------------------
# 5. User text and paths are never markup or emoji codes
# --------------------------------------------------------------------------------------------

HOSTILE_TITLE = ":smile: [bold]x[/bold] :100: [link=http://x]y[/link]"


def test_markup_and_emoji_codes_in_titles_and_paths_print_verbatim(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = SCALE_EXAMPLE.read_text(encoding="utf-8")
    text = re.sub(r"^title: .*$", f'title: "{HOSTILE_TITLE}"', text, count=1, flags=re.M)
    assert "\n    name: Volunteer befriending programme\n" in text  # the swept option
    text = text.replace(
        "\n    name: Volunteer befriending programme\n",
        '\n    name: ":thumbs_up: [red]Volunteers"\n',
    )
    scenario = tmp_path / "line100.yaml"
    scenario.write_text(text, encoding="utf-8")
    assert cba.load_scenario(scenario).title == HOSTILE_TITLE
    folder = tmp_path / ":100:[b]out"
    for args in (("run", scenario, "-o", folder), ("scale", scenario), ("validate", scenario)):
        code, out, err = cli(capsys, *args)
        assert code == 0, err
        assert not re.search("[\U0001f300-\U0001faff]", out + err), out  # no emoji at all
        if args[0] == "run":
            assert HOSTILE_TITLE in out
            assert ":thumbs_up: [red]" in out
            assert f"results: {folder}" in out
        if args[0] == "scale":
            assert ":thumbs_up: [red]" in out
        if args[0] == "validate":
            assert out == f"{scenario}: valid\n"


def test_terminal_output_is_verbatim_on_any_console() -> None:
    """The terminal module hands rich only Text: a console with markup and emoji codes on (as
    rich's default, and as a library user may create) still prints user text as given."""
    import dataclasses
    import io as text_io

    from rich.console import Console

    from cba.io.terminal import print_notes, print_scale, print_summary

    results = cba.run(cba.load_scenario(SCALE_EXAMPLE))
    hostile = dataclasses.replace(
        results,
        title=HOSTILE_TITLE,
        options=tuple(
            dataclasses.replace(option, name=f":thumbs_up: [red]{option.option_id}")
            for option in results.options
        ),
        caveats=(":warning: [blink]caveat",),
    )
    console = Console(width=200, file=text_io.StringIO())  # markup and emoji on
    print_summary(hostile, console)
    print_notes({"a": [":100: [b]note"]}, console)
    scaled = next(o for o in hostile.options if o.scale is not None)
    assert scaled.scale is not None
    print_scale(scaled.scale, ":smile: [i]name", console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    for fragment in (
        HOSTILE_TITLE,
        ":thumbs_up: [red]",
        ":warning: [blink]caveat",
        ":100: [b]note",
        ":smile: [i]name",
    ):
        assert fragment in text, fragment
    assert not re.search("[\U0001f300-\U0001faff\u26a0]", text)


def test_located_errors_in_a_file_named_line100_print_verbatim(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scenario = tmp_path / "line100.yaml"
    scenario.write_text(ONE.read_text(encoding="utf-8") + "\nunknown_key: 1\n", encoding="utf-8")
    code, _, err = cli(capsys, "run", scenario)
    assert code == 2
    assert f"{scenario}:" in err
    assert not re.search("[\U0001f300-\U0001faff]", err)


# --------------------------------------------------------------------------------------------
# 6. Whether an existing file is cba's: the full set of properties, parsed, within limits
# --------------------------------------------------------------------------------------------


def foreign_workbook(path: Path, properties: dict[str, str], creator: str = "someone") -> None:
    import openpyxl
    from openpyxl.packaging.custom import StringProperty

    workbook = openpyxl.Workbook()
    workbook.properties.creator = creator
    for name, value in properties.items():
        workbook.custom_doc_props.append(StringProperty(name=name, value=value))
    workbook.save(path)


def test_the_required_properties_are_those_cba_run_writes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from cba.io.outputs import workbook_properties

    assert cli(capsys, "run", ONE, "-o", "book.xlsx", "-q")[0] == 0
    written = workbook_properties(tmp_path / "book.xlsx")
    assert written is not None
    # Besides the fixed set, one property per shipped reference table the figures came from.
    tables = {k for k in written if k.startswith("reference_tables_")}
    assert tables == {
        "reference_tables_gdp_deflator_fy@2026-03",
        "reference_tables_volunteer_time_values@2026-12",
    }
    assert set(written) - tables == set(WORKBOOK_PROPERTIES)
    assert is_cba_workbook(tmp_path / "book.xlsx")
    assert is_cba_results(tmp_path / "out" / f"{cba.load_scenario(ONE).id}.json")


SHA = "0" * 64


@pytest.mark.parametrize(
    ("label", "properties", "creator"),
    [
        ("one-marker", {"cba_scenario_sha256": SHA}, "cba"),
        ("marker-in-a-value", {"notes": "see cba_scenario_sha256 in the docs"}, "cba"),
        ("all-but-one", {f"cba_{k}": SHA for k in WORKBOOK_PROPERTIES[:-1]}, "cba"),
        ("all-not-by-cba", {f"cba_{k}": SHA for k in WORKBOOK_PROPERTIES}, "someone"),
        ("all-bad-digest", {f"cba_{k}": "cba run x" for k in WORKBOOK_PROPERTIES}, "cba"),
    ],
)
def test_a_workbook_that_only_looks_like_cbas_is_kept(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    label: str,
    properties: dict[str, str],
    creator: str,
) -> None:
    book = tmp_path / "book.xlsx"
    foreign_workbook(book, properties, creator)
    data = book.read_bytes()
    assert not is_cba_workbook(book)
    code, _, err = cli(capsys, "run", ONE, "-o", book, "-q")
    assert code == 2
    assert "was not written by cba" in flat(err)
    assert book.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


def test_every_property_cba_writes_makes_a_workbook_replaceable(tmp_path: Path) -> None:
    properties = {f"cba_{k}": "x" for k in WORKBOOK_PROPERTIES}
    properties |= {
        "cba_scenario_sha256": SHA,
        "cba_template_sha256": SHA,
        "cba_command": "cba run a",
    }
    foreign_workbook(tmp_path / "book.xlsx", properties, "cba")
    assert is_cba_workbook(tmp_path / "book.xlsx")


def _zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


CORE = (
    b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
    b'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>cba'
    b"</dc:creator></cp:coreProperties>"
)
BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;'
    b'&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><Properties xmlns="http://'
    b'schemas.openxmlformats.org/officeDocument/2006/custom-properties">&c;</Properties>'
)


@pytest.mark.parametrize(
    ("label", "members"),
    [
        ("entity-bomb", {"docProps/core.xml": CORE, "docProps/custom.xml": BOMB}),
        ("huge-member", {"docProps/core.xml": CORE, "docProps/custom.xml": b" " * 2_000_000}),
        ("not-xml", {"docProps/core.xml": CORE, "docProps/custom.xml": b"cba_scenario_sha256"}),
        ("no-custom", {"docProps/core.xml": CORE}),
    ],
)
def test_hostile_workbooks_are_kept_without_a_crash(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, label: str, members: dict[str, bytes]
) -> None:
    book = tmp_path / "book.xlsx"
    _zip(book, members)
    assert not is_cba_workbook(book)
    code, _, err = cli(capsys, "run", ONE, "-o", book, "-q")
    assert code == 2, err
    assert "was not written by cba" in flat(err)


@pytest.mark.parametrize(
    "text",
    [
        '{"cba_results": "1.0"}',
        '{"cba_results": "1.0", "scenario_id": "x", "options": [], "units": {}}',
        '{"cba_results": 1, "provenance": {"scenario_sha256": "'
        + SHA
        + '"}, "scenario_id": "x", "options": [], "units": {}}',
        '{"cba_results": "1.0", "provenance": {"scenario_sha256": "abc"}, "scenario_id": "x", '
        '"options": [], "units": {}}',
        '["cba_results"]',
        "[" * 100_000 + "]" * 100_000,
        '{"note": "cba_results"}',
    ],
)
def test_a_json_file_that_only_looks_like_cbas_is_kept(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str
) -> None:
    target = tmp_path / "x.json"
    target.write_text(text, encoding="utf-8")
    assert not is_cba_results(target)
    code, _, err = cli(capsys, "run", ONE, "--json", target, "-q")
    assert code == 2
    assert "was not written by cba" in flat(err)
    assert target.read_text(encoding="utf-8") == text


def test_the_structure_cba_writes_is_recognised(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    target.write_text(
        json.dumps(
            {
                "cba_results": "1.0",
                "provenance": {"scenario_sha256": SHA},
                "scenario_id": "x",
                "options": [],
                "units": {},
            }
        ),
        encoding="utf-8",
    )
    assert is_cba_results(target)


# --------------------------------------------------------------------------------------------
# cba schema -o shares the writer: a failure names the path, leaves no temporary
# --------------------------------------------------------------------------------------------


def test_schema_output_failure_is_plain(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    failing_on_call(monkeypatch, "fsync", 1, OSError(errno.ENOSPC, "No space left on device"))
    code, _, err = cli(capsys, "schema", "-o", tmp_path / "schema.json")
    assert code == 2
    assert err == (
        f"cba: {tmp_path / 'schema.json'}: cannot write the file: No space left on device. "
        "Free some space, or write to another folder\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_temporary_names_are_documented_in_the_module() -> None:
    assert atomic.temporary_path(Path("d/x.json"), pid=12).name == ".x.json.cba-tmp-12"
    assert (
        atomic.temporary_path(Path("d/x.json"), atomic.BACKUP_MARK, 12).name == ".x.json.cba-old-12"
    )
    assert textwrap.dedent(atomic.__doc__ or "").count(".cba-tmp-") >= 1
