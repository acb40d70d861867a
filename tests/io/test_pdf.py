"""Board-pack PDFs: ``cba run --pdf`` and ``cba pack`` render workbooks with LibreOffice.

Most checks use a stand-in soffice (a small Python script that writes a PDF, nothing, or an
empty file, and logs its arguments), so the command's flow is tested everywhere and fast. The
checks marked with ``require_libreoffice`` render for real; they skip when LibreOffice is
missing, and fail instead with ``CBA_REQUIRE_LIBREOFFICE=1`` (CI).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import cba.io.pdf
import cba.pipeline
from cba.cli import (
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_NO_PDF,
    EXIT_OK,
    EXIT_TERMINATED,
    main,
)
from cba.io.pdf import render_pdfs
from cba.io.scenario_file import load_scenario
from tests.libreoffice import REQUIRE_ENV, require_libreoffice

ROOT = Path(__file__).resolve().parents[2]
ONE = ROOT / "scenarios" / "green_corridor_cleanup.yaml"
TWO = ROOT / "scenarios" / "balsall_heath_community_safety.yaml"
INSTALL = "apt-get install libreoffice-calc-nogui"

FAKE_SOFFICE = """\
import json, pathlib, sys, time
import os
args = sys.argv[1:]
with open({log!r}, "a", encoding="utf-8") as log:
    log.write(json.dumps(args + [f"pid={{os.getpid()}}"]) + "\\n")
mode = {mode!r}
if mode == "sleep":
    time.sleep(60)
out = pathlib.Path(args[args.index("--outdir") + 1])
for arg in args:
    if arg.endswith(".xlsx"):
        pdf = out / (pathlib.Path(arg).stem + ".pdf")
        if mode == "pdf":
            name = pathlib.Path(arg).name.encode()
            pdf.write_bytes(b"%PDF-1.4\\n% stand-in for " + name + b"\\n")
        elif mode == "empty":
            pdf.write_bytes(b"")
"""


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Wide output (long paths are not folded) and a private working folder."""
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.chdir(tmp_path)


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """Run ``cba ARGS`` in-process; return (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def fake_soffice(folder: Path, mode: str) -> tuple[Path, Path]:
    """A stand-in soffice: ``pdf`` writes a small PDF for each input, ``nothing`` writes
    nothing (and exits 0, as soffice does), ``empty`` writes empty files, ``sleep`` hangs.
    Returns (program, log of its argument lists, one JSON list a call)."""
    log = folder / f"soffice-{mode}.log"
    program = folder / f"soffice-{mode}"
    program.write_text(
        f"#!{sys.executable}\n" + FAKE_SOFFICE.format(log=str(log), mode=mode), encoding="utf-8"
    )
    program.chmod(0o755)
    return program, log


def calls(log: Path) -> list[list[str]]:
    """The argument lists the stand-in soffice was called with."""
    if not log.exists():
        return []
    return [json.loads(line)[:-1] for line in log.read_text(encoding="utf-8").splitlines()]


def pids(log: Path) -> list[int]:
    """The process ids of the stand-in soffice's calls."""
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return [int(json.loads(line)[-1].removeprefix("pid=")) for line in lines]


def files_in(folder: Path) -> list[str]:
    """Every entry of a folder, hidden ones too (a temporary left behind would show)."""
    return sorted(os.listdir(folder)) if folder.exists() else []


def gone(pid: int, wait: float = 10.0) -> bool:
    """Whether process ``pid`` has ended (within ``wait`` seconds: a killed orphan may briefly
    remain until it is reaped)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True  # killed, not yet reaped
        except OSError:
            pass
        time.sleep(0.05)
    return False


def poppler(tool: str) -> str:
    """A poppler-utils program; skip (or fail, under CBA_REQUIRE_LIBREOFFICE=1) without it."""
    found = shutil.which(tool)
    if found:
        return found
    message = f"{tool} (poppler-utils) is not installed: apt-get install poppler-utils"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{message} ({REQUIRE_ENV}=1 requires it)", pytrace=False)
    pytest.skip(message)


def page_count(pdf: Path) -> int:
    """Pages of a PDF, as pdfinfo reports them."""
    info = subprocess.run(
        [poppler("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    found = re.search(r"^Pages:\s+(\d+)$", info, flags=re.MULTILINE)
    assert found, info
    return int(found.group(1))


def pdf_text(pdf: Path) -> str:
    """The PDF's text (pdftotext), with runs of white space as one space."""
    text = subprocess.run(
        [poppler("pdftotext"), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return " ".join(text.split())


# --- with LibreOffice --------------------------------------------------------------------------


def test_run_pdf_renders_the_workbook(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    require_libreoffice()
    with_pdf, without = tmp_path / "with", tmp_path / "without"
    code, out, err = cli(capsys, "run", ONE, "--pdf", "-o", with_pdf)
    assert code == EXIT_OK, err
    pdf = with_pdf / "green_corridor_cleanup.pdf"
    assert files_in(with_pdf) == [
        "green_corridor_cleanup.json",
        "green_corridor_cleanup.pdf",
        "green_corridor_cleanup.xlsx",
    ]
    assert f"PDF: {pdf}" in out
    assert "3 files written (1 workbook, 1 JSON results, 1 PDF)" in out
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert page_count(pdf) > 1
    assert " ".join(load_scenario(ONE).title.split()) in pdf_text(pdf)

    # --pdf records nothing in the workbook or the JSON results: the same bytes without it.
    code, _, err = cli(capsys, "run", ONE, "-o", without, "-q")
    assert code == EXIT_OK, err
    for name in ("green_corridor_cleanup.xlsx", "green_corridor_cleanup.json"):
        assert (with_pdf / name).read_bytes() == (without / name).read_bytes(), name

    # cba pack renders the same workbook again: same page count (not the same bytes).
    again = tmp_path / "again.pdf"
    code, out, err = cli(capsys, "pack", without / "green_corridor_cleanup.xlsx", "-o", again)
    assert code == EXIT_OK, err
    assert page_count(again) == page_count(pdf)
    assert files_in(without) == ["green_corridor_cleanup.json", "green_corridor_cleanup.xlsx"]


def test_render_pdfs_batches_workbooks_of_the_same_name(tmp_path: Path) -> None:
    soffice = require_libreoffice()
    code = main(["run", str(ONE), str(TWO), "-o", str(tmp_path / "books"), "-q"])
    assert code == EXIT_OK
    first = tmp_path / "books" / "green_corridor_cleanup.xlsx"
    second = tmp_path / "other" / "green_corridor_cleanup.xlsx"
    second.parent.mkdir()
    shutil.copyfile(tmp_path / "books" / "balsall_heath_community_safety.xlsx", second)
    jobs = [(first, tmp_path / "a.pdf"), (second, tmp_path / "b.pdf")]
    assert render_pdfs(jobs, soffice=soffice) == []
    texts = [pdf_text(tmp_path / "a.pdf"), pdf_text(tmp_path / "b.pdf")]
    assert "Friends of the Brook" in texts[0]
    assert "Friends of the Brook" not in texts[1]


# --- LibreOffice missing -----------------------------------------------------------------------


def _no_computing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a scenario was computed")

    monkeypatch.setattr(cba.pipeline, "run", refuse)


def test_soffice_named_but_missing_stops_before_computing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("CBA_SOFFICE", str(tmp_path / "no" / "soffice"))
    _no_computing(monkeypatch)
    code, out, err = cli(capsys, "run", ONE, "--pdf", "-o", tmp_path / "out")
    assert code == EXIT_INVALID
    assert out == ""
    assert err.count("\n") == 1, err  # one line, no traceback
    assert f"CBA_SOFFICE={tmp_path / 'no' / 'soffice'} is not a program" in err
    assert INSTALL in err
    assert "nothing was written" in err
    assert not (tmp_path / "out").exists()


def test_libreoffice_not_installed_stops_before_computing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("CBA_SOFFICE", raising=False)
    monkeypatch.setattr(cba.io.pdf, "INSTALL_LOCATIONS", ())
    _no_computing(monkeypatch)
    code, _, err = cli(capsys, "run", ONE, "--pdf", "-o", tmp_path / "out")
    assert code == EXIT_INVALID
    assert err.startswith("cba: --pdf: LibreOffice is needed to render PDFs and was not found")
    assert INSTALL in err and "CBA_SOFFICE" in err
    assert err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()
    code, _, err = cli(capsys, "pack", tmp_path / "any.xlsx")
    assert code == EXIT_INVALID
    assert INSTALL in err


def test_a_file_that_cannot_run_is_not_soffice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = tmp_path / "soffice"
    plain.write_text("not a program", encoding="utf-8")
    plain.chmod(0o644)
    monkeypatch.setenv("CBA_SOFFICE", str(plain))
    with pytest.raises(cba.io.pdf.LibreOfficeMissingError, match="is not a program"):
        cba.io.pdf.find_soffice()


def test_run_without_pdf_never_looks_for_libreoffice(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CBA_SOFFICE", str(tmp_path / "no" / "soffice"))
    code, _, err = cli(capsys, "run", ONE, "-o", tmp_path / "out", "-q")
    assert code == EXIT_OK, err
    assert files_in(tmp_path / "out") == [
        "green_corridor_cleanup.json",
        "green_corridor_cleanup.xlsx",
    ]


# --- the flow, with a stand-in soffice ---------------------------------------------------------


def test_pdf_beside_each_workbook_with_a_private_profile(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program, log = fake_soffice(tmp_path, "pdf")
    monkeypatch.setenv("CBA_SOFFICE", str(program))
    code, out, err = cli(capsys, "run", ONE, TWO, "--pdf", "-o", tmp_path / "out")
    assert code == EXIT_OK, err
    assert files_in(tmp_path / "out") == [
        "balsall_heath_community_safety.json",
        "balsall_heath_community_safety.pdf",
        "balsall_heath_community_safety.xlsx",
        "green_corridor_cleanup.json",
        "green_corridor_cleanup.pdf",
        "green_corridor_cleanup.xlsx",
    ]
    assert (
        (tmp_path / "out" / "green_corridor_cleanup.pdf")
        .read_bytes()
        .endswith(b"green_corridor_cleanup.xlsx\n")
    )
    assert "6 files written (2 workbooks, 2 JSON results, 2 PDFs)" in out
    (arguments,) = calls(log)  # one soffice call for both workbooks
    profile = next(a for a in arguments if a.startswith("-env:UserInstallation=file://"))
    assert "cba-pdf-" in profile
    assert "--headless" in arguments
    inputs = [Path(a) for a in arguments if a.endswith(".xlsx")]
    # Copies under the workbooks' own names (page footers may show them), not the outputs.
    assert [p.name for p in inputs] == [
        "green_corridor_cleanup.xlsx",
        "balsall_heath_community_safety.xlsx",
    ]
    assert all(tmp_path / "out" not in p.parents for p in inputs)
    assert not any(p.exists() for p in inputs)  # the temporary folder is gone


def test_one_workbook_named_by_o_gets_the_pdf_of_the_same_stem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program, _ = fake_soffice(tmp_path, "pdf")
    monkeypatch.setenv("CBA_SOFFICE", str(program))
    code, _, err = cli(capsys, "run", ONE, "--pdf", "-o", tmp_path / "b" / "board.xlsx", "-q")
    assert code == EXIT_OK, err
    assert files_in(tmp_path / "b") == ["board.pdf", "board.xlsx"]


def test_existing_pdf_is_refused_without_force(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program, log = fake_soffice(tmp_path, "pdf")
    monkeypatch.setenv("CBA_SOFFICE", str(program))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    existing = out_dir / "green_corridor_cleanup.pdf"
    existing.write_bytes(b"%PDF-1.4 someone's own board pack\n")
    _no_computing(monkeypatch)
    code, out, err = cli(capsys, "run", ONE, "--pdf", "-o", out_dir)
    assert code == EXIT_INVALID
    assert out == ""
    assert err == (
        f"cba: {existing}: exists; cba replaces an existing PDF (--pdf) only with --force, as "
        "it cannot tell one it wrote from any other file. Choose another path, or pass --force "
        "to replace it\n"
    )
    assert files_in(out_dir) == ["green_corridor_cleanup.pdf"]
    assert existing.read_bytes() == b"%PDF-1.4 someone's own board pack\n"
    assert calls(log) == []

    monkeypatch.undo()
    monkeypatch.setenv("CBA_SOFFICE", str(program))
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "run", ONE, "--pdf", "-o", out_dir, "--force", "-q")
    assert code == EXIT_OK, err
    assert existing.read_bytes().startswith(b"%PDF-1.4\n% stand-in")


def test_a_pdf_path_that_clashes_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program, log = fake_soffice(tmp_path, "pdf")
    monkeypatch.setenv("CBA_SOFFICE", str(program))
    book = tmp_path / "out" / "board.xlsx"
    code, _, err = cli(
        capsys, "run", ONE, "--pdf", "-o", book, "--json", tmp_path / "out" / "board.pdf"
    )
    assert code == EXIT_INVALID
    assert "would be both the PDF (--pdf) (a file) and a folder" in err
    assert not (tmp_path / "out").exists()
    assert calls(log) == []


@pytest.mark.parametrize(
    ("mode", "said"), [("nothing", "wrote no PDF"), ("empty", "wrote an empty or damaged file")]
)
def test_soffice_that_writes_no_pdf(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    said: str,
) -> None:
    program, log = fake_soffice(tmp_path, mode)
    monkeypatch.setenv("CBA_SOFFICE", str(program))
    out_dir = tmp_path / "out"
    code, out, err = cli(capsys, "run", ONE, "--pdf", "-o", out_dir)
    assert code == EXIT_NO_PDF
    pdf = out_dir / "green_corridor_cleanup.pdf"
    assert err == (
        f"cba: {pdf}: no PDF written: LibreOffice ({program}) exited with status 0 and {said}\n"
        "cba: 1 of 1 PDF not rendered; every workbook and JSON results file was written "
        "(cba pack WORKBOOK tries again)\n"
    )
    # The workbook and JSON stay; no PDF, and nothing half-written beside them.
    assert files_in(out_dir) == ["green_corridor_cleanup.json", "green_corridor_cleanup.xlsx"]
    assert "PDF:" not in out
    assert "2 files written (1 workbook, 1 JSON results, 0 PDFs)" in out
    assert len(calls(log)) == 1


def test_soffice_that_hangs_is_stopped(tmp_path: Path) -> None:
    program, log = fake_soffice(tmp_path, "sleep")
    book = tmp_path / "book.xlsx"
    book.write_bytes(b"not read by the stand-in")
    started = time.monotonic()
    (failure,) = render_pdfs([(book, tmp_path / "book.pdf")], soffice=str(program), timeout=1)
    assert time.monotonic() - started < 30
    assert failure.message == (
        f"{tmp_path / 'book.pdf'}: no PDF written: LibreOffice ({program}) did not finish "
        "within 1 s and was stopped"
    )
    assert files_in(tmp_path) == sorted(["book.xlsx", program.name, log.name])


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, EXIT_TERMINATED), (signal.SIGINT, EXIT_INTERRUPTED)]
)
def test_stopping_cba_while_rendering_stops_libreoffice(
    tmp_path: Path, signum: int, code: int
) -> None:
    program, log = fake_soffice(tmp_path, "sleep")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "CBA_SOFFICE": str(program), "TMPDIR": str(temporary)}
    with subprocess.Popen(
        [sys.executable, "-m", "cba", "run", str(ONE), "--pdf", "-o", "out", "-q"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        # SIGINT as a terminal would send it (a background job may have it ignored).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    ) as process:
        deadline = time.monotonic() + 120
        while not pids(log) and time.monotonic() < deadline:
            time.sleep(0.05)
        (soffice_pid,) = pids(log)
        process.send_signal(signum)
        _, err = process.communicate(timeout=60)
    assert process.returncode == code, err
    assert "no partial output was left" in err
    assert gone(soffice_pid)
    assert files_in(temporary) == []
    assert files_in(tmp_path / "out") == [
        "green_corridor_cleanup.json",
        "green_corridor_cleanup.xlsx",
    ]


def test_soffice_that_fails_is_quoted(tmp_path: Path) -> None:
    program = tmp_path / "soffice"
    program.write_text(
        f"#!{sys.executable}\nimport sys\nprint('Warning: failed to launch javaldx - java may "
        "not function correctly')\nprint('Error: source file could not be loaded', "
        "file=sys.stderr)\nsys.exit(81)\n",
        encoding="utf-8",
    )
    program.chmod(0o755)
    book = tmp_path / "book.xlsx"
    book.write_bytes(b"x")
    (failure,) = render_pdfs([(book, tmp_path / "book.pdf")], soffice=str(program))
    assert failure.reason == (
        f"LibreOffice ({program}) exited with status 81 and wrote no PDF; it said: Error: "
        "source file could not be loaded"
    )


def test_pack_renders_cba_workbooks_only(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program, log = fake_soffice(tmp_path, "pdf")
    monkeypatch.setenv("CBA_SOFFICE", str(program))
    assert main(["run", str(ONE), "-o", str(tmp_path / "a"), "-q"]) == EXIT_OK
    book = tmp_path / "a" / "green_corridor_cleanup.xlsx"
    other = tmp_path / "b" / "green_corridor_cleanup.xlsx"
    other.parent.mkdir()
    shutil.copyfile(book, other)

    # Two workbooks of the same name: two soffice calls, each PDF beside its workbook.
    code, out, err = cli(capsys, "pack", book, other)
    assert code == EXIT_OK, err
    assert out.splitlines() == [
        f"{book.with_suffix('.pdf')} (from {book})",
        f"{other.with_suffix('.pdf')} (from {other})",
    ]
    assert len(calls(log)) == 2

    # Existing PDFs: refused without --force.
    code, _, err = cli(capsys, "pack", tmp_path / "a")
    assert code == EXIT_INVALID
    assert "replaces an existing PDF only with --force" in err

    # Not a workbook cba wrote: refused before LibreOffice runs.
    foreign = tmp_path / "foreign.xlsx"
    foreign.write_bytes(b"PK not really")
    code, _, err = cli(capsys, "pack", foreign, "-o", tmp_path / "c")
    assert code == EXIT_INVALID
    assert err == (
        f"cba: {foreign}: not a workbook written by cba run (cba pack renders only those; open "
        "it in a spreadsheet program and export it as PDF instead)\n"
    )
    assert len(calls(log)) == 2
    assert not (tmp_path / "c").exists()


def test_pack_reports_a_failed_render(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["run", str(ONE), "-o", str(tmp_path / "a"), "-q"]) == EXIT_OK
    program, _ = fake_soffice(tmp_path, "nothing")
    monkeypatch.setenv("CBA_SOFFICE", str(program))
    book = tmp_path / "a" / "green_corridor_cleanup.xlsx"
    code, out, err = cli(capsys, "pack", book)
    assert code == EXIT_NO_PDF
    assert out == ""
    assert err.splitlines()[-1] == "cba: 1 of 1 PDF not rendered"
    assert files_in(tmp_path / "a") == [
        "green_corridor_cleanup.json",
        "green_corridor_cleanup.xlsx",
    ]
