"""`cba verify` treats a workbook as untrusted input (issue 8).

- The scenario path a workbook records is followed only inside the current git repository: never
  an absolute path, ``..``, a link out of the repository or a file that is not .yaml; a device or
  a pipe is never read; file contents never appear in messages.
- Every message names the file it is about (a missing workbook is not a "template").
- cba's own large workbooks can be verified (a separate, larger limit than templates'), zip bombs
  are still refused.
- Verifying an untouched workbook parses none of its sheets, so it takes no longer than the run.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from cba.cli import main
from cba.io.workbook import verify as verify_module
from cba.io.workbook.template import DEFAULT_TEMPLATE, MAX_WORKBOOK_FILE_BYTES
from cba.io.workbook.verify import VerifyError, count_values, verify_workbook
from tests import libreoffice as lo
from tests.io.workbook.conftest import ROOT

SCENARIO = ROOT / "scenarios" / "balsall_heath_community_safety.yaml"
SECRET = "TOP-SECRET-LINE: do not print me"
MIB = 1024 * 1024


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _rewrite(
    source: Path, target: Path, change: Callable[[dict[str, bytes]], None], stored: bool = False
) -> Path:
    members = _members(source.read_bytes())
    change(members)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as z:
        for name, content in members.items():
            z.writestr(name, content)
    return target


def _set_property(members: dict[str, bytes], name: str, value: str) -> None:
    custom = members["docProps/custom.xml"].decode()
    escaped = value.replace("&", "&amp;").replace("<", "&lt;")
    custom, count = re.subn(
        rf'(name="cba_{name}"[^>]*><vt:lpwstr>)[^<]*(</vt:lpwstr>)',
        lambda m: m.group(1) + escaped + m.group(2),
        custom,
    )
    assert count == 1, name
    members["docProps/custom.xml"] = custom.encode()


def _recording(source: Path, target: Path, scenario_path: str) -> Path:
    """A copy of a cba workbook that records ``scenario_path`` as its scenario."""
    return _rewrite(source, target, lambda m: _set_property(m, "scenario_path", scenario_path))


def _refusal(book: Path, **kwargs: object) -> str:
    with pytest.raises(VerifyError) as caught:
        verify_workbook(book, **kwargs)  # type: ignore[arg-type]
    message = str(caught.value)
    print(message)  # shown with pytest -s: the messages users see
    assert SECRET not in message
    assert "Traceback" not in message
    return message


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def book(example_workbooks: dict[str, Path], tmp_path: Path) -> Path:
    """A fresh copy of the Balsall Heath workbook (it records scenarios/balsall_...yaml)."""
    copy = tmp_path / "book.xlsx"
    shutil.copy(example_workbooks[SCENARIO.stem], copy)
    return copy


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty git repository, with a secret file beside it (outside it)."""
    repository = tmp_path / "repo"
    repository.mkdir()
    _git(repository, "init", "-q")
    (tmp_path / "outside.yaml").write_text(SECRET + "\n", encoding="utf-8")
    return repository


# --- 1. the recorded scenario path is untrusted -----------------------------------------------


@pytest.mark.parametrize("recorded", ["/etc/passwd", "/dev/zero", "OUTSIDE"])
def test_an_absolute_recorded_path_is_never_followed(
    book: Path, tmp_path: Path, recorded: str
) -> None:
    """Before: /etc/passwd was printed whole in the error; /dev/zero read 2.7 GB."""
    if recorded == "OUTSIDE":
        recorded = str(tmp_path / "outside.yaml")
        (tmp_path / "outside.yaml").write_text(SECRET + "\n", encoding="utf-8")
    hostile = _recording(book, tmp_path / "hostile.xlsx", recorded)
    started = time.perf_counter()
    message = _refusal(hostile, workdir=ROOT)
    assert time.perf_counter() - started < 30
    assert message.startswith(f"{hostile}: the workbook records its scenario as '{recorded}'")
    assert "an absolute path" in message
    assert "Pass --scenario PATH" in message
    assert "root:" not in message


@pytest.mark.parametrize(
    ("recorded", "reason"),
    [
        ("../outside.yaml", "a path that leaves the repository (..)"),
        ("sub/../../outside.yaml", "a path that leaves the repository (..)"),
        (".env", "not a .yaml file"),
        ("C:/Users/x/scenario.yaml", "an absolute path"),
        ("scen\nario.yaml", "characters a scenario path does not have"),
    ],
)
def test_a_recorded_path_leaving_the_repository_is_never_followed(
    book: Path, tmp_path: Path, repo: Path, recorded: str, reason: str
) -> None:
    (repo / ".env").write_text(SECRET, encoding="utf-8")
    hostile = _recording(book, tmp_path / "hostile.xlsx", recorded)
    message = _refusal(hostile, workdir=repo)
    assert reason in message
    assert "Pass --scenario PATH" in message
    assert "\n" not in message  # a hostile path is shown escaped, on one line


def test_a_recorded_file_that_is_no_scenario_is_not_quoted(
    book: Path, tmp_path: Path, repo: Path
) -> None:
    """A workbook naming another YAML file of the repository (credentials, say) must not get it
    printed, e.g. into the log of a CI job that verifies submitted workbooks."""
    (repo / "deploy.yaml").write_text(f"password: {SECRET}\n", encoding="utf-8")
    hostile = _recording(book, tmp_path / "hostile.xlsx", "deploy.yaml")
    message = _refusal(hostile, workdir=repo)
    assert message.startswith(f"{repo / 'deploy.yaml'}: the file the workbook names")
    assert "they are not shown" in message
    assert "password" not in message


def test_a_link_out_of_the_repository_is_not_followed(
    book: Path, tmp_path: Path, repo: Path
) -> None:
    (repo / "scenario.yaml").symlink_to(tmp_path / "outside.yaml")
    hostile = _recording(book, tmp_path / "hostile.xlsx", "scenario.yaml")
    message = _refusal(hostile, workdir=repo)
    assert "link to a file outside the repository" in message


def test_a_recorded_path_inside_the_repository_is_used(
    book: Path, tmp_path: Path, repo: Path
) -> None:
    (repo / "scenarios").mkdir()
    shutil.copy(SCENARIO, repo / "scenarios" / "s.yaml")
    recorded = _recording(book, tmp_path / "moved.xlsx", "./scenarios/s.yaml")
    outcome = verify_workbook(recorded, workdir=repo)
    assert outcome.figures_match
    assert outcome.sha256_matches
    assert outcome.scenario == str(repo / "scenarios" / "s.yaml")


def test_outside_a_repository_it_says_to_pass_the_scenario(book: Path, tmp_path: Path) -> None:
    outside = tmp_path / "not_a_repo"
    outside.mkdir()
    message = _refusal(book, workdir=outside)
    assert "is not inside one" in message
    assert "Pass --scenario PATH" in message


def test_a_missing_scenario_in_the_repository_says_what_to_do(book: Path, repo: Path) -> None:
    message = _refusal(book, workdir=repo)
    assert message.startswith(str(repo / "scenarios" / f"{SCENARIO.stem}.yaml"))
    assert "is not in this repository" in message
    assert "Pass --scenario PATH" in message


def test_a_named_device_pipe_or_huge_file_is_not_read(book: Path, tmp_path: Path) -> None:
    """Before: --scenario /dev/zero read until memory ran out, a FIFO blocked for ever."""
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as stream:
        stream.truncate(2 * MIB)  # sparse
    cases = {
        Path("/dev/zero"): "is not a file (it is a device)",
        fifo: "is not a file (it is a pipe)",
        huge: "larger than the 1,048,576-byte limit for a scenario",
        tmp_path / "nowhere.yaml": "scenario not found. Check the path given with --scenario",
    }
    for scenario, expected in cases.items():
        message = _refusal(book, scenario=scenario, workdir=ROOT)
        assert message.startswith(f"{scenario}: ")
        assert expected in message


def test_a_rev_that_looks_like_an_option_is_refused(book: Path, tmp_path: Path, repo: Path) -> None:
    """Before: ``--rev --output=FILE`` reached ``git show`` as an option and wrote FILE."""
    target = tmp_path / "written"
    message = _refusal(book, rev=f"--output={target}", workdir=repo)
    assert "not a git revision" in message
    assert not list(tmp_path.glob("written*"))


def test_rev_reads_the_committed_scenario_only(book: Path, tmp_path: Path, repo: Path) -> None:
    (repo / "scenarios").mkdir()
    shutil.copy(SCENARIO, repo / "scenarios" / f"{SCENARIO.stem}.yaml")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "one")
    assert verify_workbook(book, rev="HEAD", workdir=repo).figures_match
    assert "no such revision" in _refusal(book, rev="v9", workdir=repo)
    moved = _recording(book, tmp_path / "moved.xlsx", "elsewhere.yaml")
    message = _refusal(moved, rev="HEAD", workdir=repo)
    assert message.startswith("HEAD:elsewhere.yaml: there is no file elsewhere.yaml")


def test_a_scenario_that_does_not_load_is_named_as_the_user_knows_it(
    book: Path, tmp_path: Path
) -> None:
    """Before: the message named a temporary copy (/tmp/.../balsall_heath...yaml)."""
    broken = tmp_path / "broken.yaml"
    broken.write_text('cba_scenario: "1.0"\nid: x\n', encoding="utf-8")
    message = _refusal(book, scenario=broken, workdir=ROOT)
    assert message.startswith(f"{broken}: the scenario does not load:\n{broken}:")
    assert "scenario.yaml" not in message.replace(str(broken), "")


# --- 2. and 7. messages about the right file, without reprs -----------------------------------


def test_a_missing_workbook_is_called_a_workbook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: "nope.xlsx: template not found"."""
    assert main(["verify", str(tmp_path / "nope.xlsx")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'nope.xlsx'}: workbook not found" in err
    assert "template" not in err


def test_bad_workbooks_are_named_and_explained(tmp_path: Path) -> None:
    text = tmp_path / "notes.xlsx"
    text.write_text("hello", encoding="utf-8")
    cases = {
        tmp_path: "is not a file (it is a folder); give the path of an .xlsx workbook",
        text: "not an .xlsx workbook: the file is not a zip archive",
        Path("/dev/zero"): "is not a file (it is a device)",
    }
    for path, expected in cases.items():
        message = _refusal(path)
        assert message.startswith(f"{path}: ")
        assert expected in message
        assert "template" not in message


def test_hostile_xml_gives_a_message_not_a_repr(book: Path, tmp_path: Path) -> None:
    """Before: an internal error showing ``EntitiesForbidden(name='lol', ...)``."""
    laughs = b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY lol "lol">]>'

    def add_entities(members: dict[str, bytes]) -> None:
        members["docProps/custom.xml"] = laughs + members["docProps/custom.xml"]

    message = _refusal(_rewrite(book, tmp_path / "laughs.xlsx", add_entities))
    assert "docProps/custom.xml declares entities" in message
    assert "EntitiesForbidden" not in message
    assert "(name=" not in message

    def break_sheet(members: dict[str, bytes]) -> None:
        members["xl/worksheets/sheet3.xml"] = b"<worksheet><sheetData><row>"

    message = _refusal(_rewrite(book, tmp_path / "broken.xlsx", break_sheet), workdir=ROOT)
    assert "sheet 'Cash flows' is not valid XML" in message

    def repeat_sheets(members: dict[str, bytes]) -> None:
        workbook = members["xl/workbook.xml"].decode()
        sheet = re.search(r"<sheet [^>]*/>", workbook)
        assert sheet is not None
        copies = "".join(sheet.group(0).replace('name="', f'name="copy {n} ') for n in range(2000))
        members["xl/workbook.xml"] = workbook.replace("</sheets>", copies + "</sheets>").encode()

    message = _refusal(_rewrite(book, tmp_path / "repeated.xlsx", repeat_sheets))
    parts = len(
        re.findall(r"<sheet [^>]*/>", _members(book.read_bytes())["xl/workbook.xml"].decode())
    )
    assert f"declares {parts + 2000} sheets for {parts} sheet parts" in message


def test_a_damaged_zip_gives_a_message_not_a_repr(book: Path, tmp_path: Path) -> None:
    data = bytearray(book.read_bytes())
    start = data.index(b"xl/workbook.xml") + len(b"xl/workbook.xml")
    data[start + 20 : start + 60] = bytes(40)  # damage the compressed workbook.xml
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(bytes(data))
    message = _refusal(damaged)
    assert "b'" not in message
    assert str(damaged) in message


def test_hostile_text_in_a_workbook_is_printed_safely(book: Path, tmp_path: Path) -> None:
    def edit(members: dict[str, bytes]) -> None:
        members["xl/worksheets/sheet2.xml"] = re.sub(
            rb"(<c r=\"A1\"[^>]*><is><t>)[^<]*",
            rb"\1title&#10;&#9;",
            members["xl/worksheets/sheet2.xml"],
            count=1,
        )

    outcome = verify_workbook(_rewrite(book, tmp_path / "edited.xlsx", edit), workdir=ROOT)
    shown = [str(difference) for difference in outcome.differences]
    assert outcome.differing == 1
    assert shown[0].startswith("Summary!A1 (title\\n\\t): workbook 'title\\n\\t' vs recomputed '")
    assert "\n" not in shown[0]


# --- 3. cba's own large workbooks; zip bombs ---------------------------------------------------


def test_a_workbook_over_20_mib_can_be_verified(book: Path, tmp_path: Path) -> None:
    """Before: refused as "too large (21.0 MiB; the limit is 20.0 MiB)", the template limit."""

    def pad(members: dict[str, bytes]) -> None:
        members["xl/media/padding.bin"] = os.urandom(21 * MIB)  # incompressible

    large = _rewrite(book, tmp_path / "large.xlsx", pad, stored=True)
    assert large.stat().st_size > 21 * MIB
    outcome = verify_workbook(large, workdir=ROOT)
    assert outcome.figures_match


def test_workbook_size_limits_still_hold(book: Path, tmp_path: Path) -> None:
    huge = tmp_path / "huge.xlsx"
    with huge.open("wb") as stream:
        stream.truncate(MAX_WORKBOOK_FILE_BYTES + 1)  # sparse
    message = _refusal(huge)
    assert "workbook is too large (256.0 MiB; the limit is 256.0 MiB)" in message

    def bomb(members: dict[str, bytes]) -> None:
        members["xl/media/zeros.bin"] = bytes(64 * MIB)

    message = _refusal(_rewrite(book, tmp_path / "bomb.xlsx", bomb))
    assert "refused as a possible zip bomb: member 'xl/media/zeros.bin'" in message


# --- 4. speed: an untouched workbook is compared without parsing its sheets --------------------


def test_an_untouched_workbook_is_verified_without_parsing_it(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: verify loaded the workbook three times with openpyxl (2.3 times the run)."""
    import openpyxl

    loaded: list[int] = []
    load_workbook = openpyxl.load_workbook

    def counting(source: io.BytesIO, **kwargs: object) -> object:
        loaded.append(len(source.getvalue()))
        return load_workbook(source, **kwargs)

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("an untouched workbook must not be parsed")

    monkeypatch.setattr(openpyxl, "load_workbook", counting)
    monkeypatch.setattr(verify_module, "_rows", must_not_run)
    outcome = verify_workbook(book, workdir=ROOT)
    assert outcome.figures_match
    assert outcome.compared > 1000
    assert loaded == [DEFAULT_TEMPLATE.stat().st_size]  # the template the rebuild starts from


def test_counting_cells_agrees_with_reading_them(example_workbooks: dict[str, Path]) -> None:
    for path in example_workbooks.values():
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/sheet"):
                    xml = archive.read(name)
                    rows = verify_module._rows(path, io.BytesIO(xml), [], name)
                    assert count_values(xml) == sum(len(cells) for _, cells in rows), name


def test_an_edited_figure_is_found(book: Path, tmp_path: Path) -> None:
    """The streamed comparison: a cached value changed in the XML is listed with both values."""
    pattern = rb'<c r="(C\d+)"[^>]*><f>[^<]*</f><v>(-?[0-9.]+)</v>'

    def edit(members: dict[str, bytes]) -> None:
        xml = members["xl/worksheets/sheet2.xml"]
        match = re.search(pattern, xml)
        assert match is not None
        start, end = match.span(2)
        members["xl/worksheets/sheet2.xml"] = xml[:start] + b"12345.5" + xml[end:]

    xml = _members(book.read_bytes())["xl/worksheets/sheet2.xml"]
    match = re.search(pattern, xml)
    assert match is not None
    cell = match.group(1).decode()
    outcome = verify_workbook(_rewrite(book, tmp_path / "edited.xlsx", edit), workdir=ROOT)
    assert outcome.differing == 1
    assert str(outcome.differences[0]).startswith(f"Summary!{cell} (")
    assert "workbook 12,345.5 vs recomputed" in str(outcome.differences[0])


def test_many_differences_are_all_counted(
    book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = tmp_path / "changed.yaml"
    scenario.write_text(
        SCENARIO.read_text(encoding="utf-8").replace(
            "amount_per_year: 20000", "amount_per_year: 25000"
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr(verify_module, "MAX_LISTED_DIFFERENCES", 5)
    outcome = verify_workbook(book, scenario=scenario)
    assert len(outcome.differences) == 5
    assert outcome.differing > 5
    assert not outcome.figures_match


def test_a_workbook_resaved_by_libreoffice_verifies(book: Path, tmp_path: Path) -> None:
    """Another program's XML (shared strings, its own layout) is read cell by cell."""
    lo.require_libreoffice()
    resaved = lo.recalculate([book], tmp_path / "lo")[book]
    assert "xl/sharedStrings.xml" in _members(resaved.read_bytes())
    direct = verify_workbook(book, workdir=ROOT)
    outcome = verify_workbook(resaved, workdir=ROOT)
    assert outcome.figures_match, [str(d) for d in outcome.differences[:5]]
    assert outcome.compared == direct.compared
