"""The board pack: a written workbook rendered to PDF by LibreOffice, headless.

cba draws no PDF itself: LibreOffice's Calc prints the workbook as a partner would from a
spreadsheet program, with the template's page setup (A4 landscape, "Page N of M" footers).
LibreOffice is optional: :func:`find_soffice` looks for it only when a PDF is asked for, and
says how to install it when it is missing.

How a PDF is made (the facts behind each step are in shared/docs/excel.md):

- The workbook is copied, under its own file name (page footers may show it), into a private
  temporary folder, and ``soffice --headless --convert-to pdf`` writes the PDF beside the copy.
  The output folder is never touched until the PDF is complete.
- soffice runs with a private temporary profile (``-env:UserInstallation=``), so it works while
  another LibreOffice is open and never reads or changes the user's settings. The profile keeps
  the cached values of the workbook (no recalculation on load: the PDF shows the figures cba
  wrote, which the tests check against LibreOffice's own recalculation), runs no macros and
  updates no links.
- One soffice call renders a batch of workbooks (much cheaper than a call each); it may take at
  most :data:`DEFAULT_TIMEOUT` seconds, after which it and its children are killed.
- soffice exits 0 even when it could not load a file, so each PDF must exist, be non-empty and
  start with ``%PDF-``; then it is moved into place with
  :func:`cba.io.atomic.write_bytes_atomically` (a temporary beside the target, renamed over it).
  A failed or interrupted render (a timeout, Ctrl-C, SIGTERM) kills soffice and its children,
  leaves no PDF, half-written or otherwise, and removes its temporary folder.

A PDF is not reproducible byte for byte: LibreOffice stamps the time of rendering
(``CreationDate``) and a document ID into it. Its pages, text and figures are the same for the
same workbook and LibreOffice version; the workbook, with its digests, remains the record.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from cba.io.atomic import OutputError, Terminated, write_bytes_atomically
from cba.io.problems import visible

__all__ = [
    "DEFAULT_TIMEOUT",
    "INSTALL_HINT",
    "INSTALL_LOCATIONS",
    "SOFFICE_ENV",
    "LibreOfficeMissingError",
    "PdfFailure",
    "find_soffice",
    "render_pdfs",
]

SOFFICE_ENV = "CBA_SOFFICE"
"""Environment variable naming the LibreOffice ``soffice`` program to use."""
DEFAULT_TIMEOUT = 300.0
"""Seconds one soffice call (one batch of workbooks) may take before it is killed."""
INSTALL_LOCATIONS = (
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice/program/soffice",
    "/usr/local/bin/soffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    r"C:\Program Files\LibreOffice\program\soffice.exe",
)
"""Where LibreOffice usually installs soffice, searched after PATH."""
INSTALL_HINT = (
    "Debian/Ubuntu: apt-get install libreoffice-calc-nogui; elsewhere: "
    "https://www.libreoffice.org/download/"
)
"""How to install LibreOffice, for the messages."""

_MAX_REASON = 300
"""Most characters of soffice's own output quoted in a failure message."""

# The private profile's settings: keep the workbook's cached values (never recalculate on
# load), run no macros, never update links to other files.
_REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" \
oor:op="fuse"><value>1</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" \
oor:op="fuse"><value>1</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop \
oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop \
oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Content/Update"><prop oor:name="Link" \
oor:op="fuse"><value>1</value></prop></item>
</oor:items>
"""


class LibreOfficeMissingError(Exception):
    """LibreOffice's soffice program cannot be found (or ``CBA_SOFFICE`` names no program)."""


@dataclass(frozen=True)
class PdfFailure:
    """A workbook whose PDF was not written, and why (one line)."""

    workbook: Path
    pdf: Path
    reason: str

    @property
    def message(self) -> str:
        """``PDF: no PDF written: REASON``."""
        return f"{self.pdf}: no PDF written: {self.reason}"


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_soffice() -> str:
    """The path of LibreOffice's ``soffice`` program.

    ``CBA_SOFFICE`` names it when set (and must then name an executable file: a wrong setting
    is reported, not passed over); otherwise ``soffice`` or ``libreoffice`` on PATH, then
    :data:`INSTALL_LOCATIONS`.

    Raises
    ------
    LibreOfficeMissingError
        Not found; the message says how to install it.
    """
    explicit = os.environ.get(SOFFICE_ENV)
    if explicit:
        if _executable(explicit):
            return explicit
        raise LibreOfficeMissingError(
            f"{SOFFICE_ENV}={visible(explicit)} is not a program that can be run: point it at "
            "LibreOffice's soffice program, or unset it to search PATH (to install "
            f"LibreOffice: {INSTALL_HINT})"
        )
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in INSTALL_LOCATIONS:
        if _executable(candidate):
            return candidate
    raise LibreOfficeMissingError(
        "LibreOffice is needed to render PDFs and was not found (no soffice or libreoffice on "
        f"PATH, nor in its usual install folders). Install it ({INSTALL_HINT}), or set "
        f"{SOFFICE_ENV} to its soffice program"
    )


def _batches(jobs: Sequence[tuple[Path, Path]]) -> list[list[tuple[Path, Path]]]:
    """Jobs split into batches whose workbook file names differ (soffice names each PDF after
    its input, in one output folder)."""
    batches: list[list[tuple[Path, Path]]] = []
    names: list[set[str]] = []
    for job in jobs:
        name = os.path.normcase(job[0].name)
        for batch, taken in zip(batches, names, strict=True):
            if name not in taken:
                batch.append(job)
                taken.add(name)
                break
        else:
            batches.append([job])
            names.append({name})
    return batches


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    else:  # pragma: no cover - Windows
        process.kill()


def _run(command: Sequence[str], timeout: float) -> tuple[int | None, str]:
    """Run soffice in its own process group; return (exit status, its output), or (None, its
    output) when it ran out of time and was killed with its children. Ctrl-C kills it too."""
    with subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    ) as process:
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            output, _ = process.communicate()
            return None, output.decode("utf-8", "replace")
        except BaseException:
            _kill_group(process)
            raise
        return process.returncode, output.decode("utf-8", "replace")


def _said(output: str) -> str:
    """The last line soffice printed that says something (its javaldx warning does not)."""
    lines = [
        line.strip()
        for line in output.splitlines()
        if line.strip() and "javaldx" not in line and not line.startswith("convert ")
    ]
    if not lines:
        return ""
    last = visible(lines[-1])
    return last if len(last) <= _MAX_REASON else last[: _MAX_REASON - 3] + "..."


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextlib.contextmanager
def _sigterm_as_exception() -> Iterator[None]:
    """While LibreOffice runs, SIGTERM raises :class:`Terminated` (where it would otherwise
    end the process at once), so soffice is killed and the temporary folder removed first."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield  # only the main thread may set handlers; a program's own handler is kept
        return
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _render_batch(
    batch: list[tuple[Path, Path]], soffice: str, profile: Path, folder: Path, timeout: float
) -> list[PdfFailure]:
    inputs, outputs = folder / "in", folder / "out"
    inputs.mkdir()
    outputs.mkdir()
    failures: list[PdfFailure] = []
    copies: list[tuple[Path, Path, Path]] = []
    for workbook, pdf in batch:
        copy = inputs / workbook.name
        try:
            shutil.copyfile(workbook, copy)
        except OSError as exc:
            failures.append(PdfFailure(workbook, pdf, f"cannot read {workbook}: {exc.strerror}"))
            continue
        copies.append((workbook, pdf, copy))
    if not copies:
        return failures
    command = [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--invisible",
        "--norestore",
        "--nologo",
        "--nodefault",
        "--nolockcheck",
        "--convert-to",
        "pdf:calc_pdf_Export",
        "--outdir",
        str(outputs),
        *(str(copy) for _, _, copy in copies),
    ]
    try:
        status, output = _run(command, timeout)
    except OSError as exc:
        reason = f"cannot run LibreOffice ({soffice}): {exc.strerror or exc}"
        return failures + [PdfFailure(w, p, reason) for w, p, _ in copies]
    said = _said(output)
    for workbook, pdf, copy in copies:
        rendered = outputs / f"{copy.stem}.pdf"
        data = rendered.read_bytes() if rendered.is_file() else None
        program = f"LibreOffice ({visible(soffice)})"
        if status is None:
            reason = f"{program} did not finish within {timeout:g} s and was stopped"
        elif data is None or not data.startswith(b"%PDF-"):
            reason = (
                f"{program} exited with status {status} and wrote "
                + ("no PDF" if data is None else "an empty or damaged file")
                + (f"; it said: {said}" if said else "")
            )
        elif status != 0:
            reason = f"{program} failed (exit status {status})" + (
                f"; it said: {said}" if said else ""
            )
        else:
            try:
                write_bytes_atomically(pdf, data)
            except OutputError as exc:
                failures.append(PdfFailure(workbook, pdf, str(exc)))
            continue
        failures.append(PdfFailure(workbook, pdf, reason))
    return failures


def render_pdfs(
    jobs: Sequence[tuple[Path, Path]],
    *,
    soffice: str,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[PdfFailure]:
    """Render each workbook to its PDF with LibreOffice; return the failures ([] when all were
    written).

    Parameters
    ----------
    jobs
        ``(workbook, pdf)`` pairs: an existing .xlsx file and where its PDF goes. The PDF
        replaces any file there (the caller checks the paths first:
        :func:`cba.io.outputs.check_outputs`).
    soffice
        LibreOffice's program, from :func:`find_soffice`.
    timeout
        Seconds each soffice call (one per batch of workbooks with distinct file names) may
        take [s].

    Returns
    -------
    list of PdfFailure
        Each workbook whose PDF was not written, with the reason; nothing is left at its PDF
        path that was not there before.
    """
    if not jobs:
        return []
    failures: list[PdfFailure] = []
    with _sigterm_as_exception(), tempfile.TemporaryDirectory(prefix="cba-pdf-") as temporary:
        base = Path(temporary)
        user = base / "profile" / "user"
        user.mkdir(parents=True)
        (user / "registrymodifications.xcu").write_text(_REGISTRY, encoding="utf-8")
        for number, batch in enumerate(_batches(jobs)):
            folder = base / f"batch-{number}"
            folder.mkdir()
            failures += _render_batch(batch, soffice, base / "profile", folder, timeout)
    return failures
