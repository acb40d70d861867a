"""``cba verify``: recompute a workbook's scenario and compare every figure.

A workbook is untrusted input: it may have been edited, or made to look like one of cba's. It is
read as an .xlsx from outside (:data:`~cba.io.workbook.template.WORKBOOK` limits: at most
:data:`~cba.io.workbook.template.MAX_WORKBOOK_FILE_BYTES`, zip bombs refused), its XML parsed
without entities, its sheets streamed, and nothing it says is followed blindly:

- **The scenario** is the file the user names (``--scenario PATH``), or the path the workbook
  records (custom document property ``cba_scenario_path``) taken as a path inside the current git
  repository: in its working tree, or at revision ``--rev REV``. A recorded path that is absolute,
  leaves the repository (``..``, or a link pointing outside it) or is not a ``.yaml``/``.yml``
  file is never followed; the message says to pass ``--scenario PATH``. A scenario is read only
  when it is a regular file (never a device or a pipe), at most
  :data:`~cba.io.yaml_loader.MAX_FILE_BYTES`. cba does not embed the scenario in its workbooks.
- **Messages** name the file they are about and never quote more of a file than a figure or a
  label, made printable and cut short.

The scenario is recomputed with this cba and rendered into a workbook in memory with the same
provenance. Sheets whose XML is byte for byte the same in both workbooks match without being
parsed (the usual case, and why verifying takes no longer than the run); the others are streamed
cell by cell and every figure compared (Provenance and Cover are not compared: versions and
branding may legitimately differ).
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import subprocess
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, TYPE_CHECKING, Any, Final
from xml.parsers import expat

from cba.io.file_kinds import UnreadableFileError, read_regular_file
from cba.io.workbook import provenance_sheet
from cba.io.workbook.cells import InputCell
from cba.io.workbook.template import (
    WORKBOOK,
    XlsxError,
    open_archive,
    parse_part,
    printable,
    quoted,
    read_part,
    read_xlsx,
    sheet_parts,
)
from cba.spec.parameters import settings_from_text

if TYPE_CHECKING:
    from cba.spec.scenario import Scenario

REL_TOLERANCE = 1e-12
"""Relative difference allowed between a recorded and a recomputed number [fraction]."""

MAX_LISTED_DIFFERENCES: Final = 1000
"""Most differences kept for listing; :attr:`Verification.differing` counts all of them."""

MAX_PROPERTIES_BYTES: Final = 1024 * 1024
"""Largest ``docProps/custom.xml`` read from a workbook [bytes] (cba writes about 3 KB)."""

MAX_SHARED_STRINGS_BYTES: Final = 64 * 1024 * 1024
"""Largest shared-string table read from a workbook [bytes] (openpyxl writes strings inline)."""

MAX_SHEETS_VERIFIED: Final = 1000
"""Most sheets a verified workbook may declare (cba writes 8 or 9 and a template's few)."""

GIT_TIMEOUT: Final = 30
"""Longest wait for one git command [s]."""

_NOT_COMPARED = (provenance_sheet.TITLE, "Cover")
_PASS_SCENARIO = "Pass --scenario PATH (the scenario file the workbook was made from)"
_MAX_COLUMN = 16_384
_MAX_ROW = 1_048_576


class VerifyError(Exception):
    """The workbook or scenario cannot be checked (bad input, exit 2)."""


@dataclass
class Difference:
    """One figure that differs."""

    where: str
    label: str
    recorded: object
    recomputed: object
    stands_for: str = ""
    """For an input cell, the parameter path it holds (``cba params``), and which part."""

    def __str__(self) -> str:
        label = f" ({printable(self.label, 80)})" if self.label else ""
        if self.stands_for:
            label = f" [{printable(self.stands_for, 120)}]{label}"
        recorded, recomputed = self.recorded, self.recomputed
        if isinstance(recorded, str) and isinstance(recomputed, str):
            # Long texts differing far in: show both from a little before the first difference.
            start = next(
                (i for i, (a, b) in enumerate(zip(recorded, recomputed, strict=False)) if a != b),
                min(len(recorded), len(recomputed)),
            )
            if start > 30:
                recorded, recomputed = "…" + recorded[start - 20 :], "…" + recomputed[start - 20 :]
        return (
            f"{printable(self.where, 60)}{label}: workbook {_show(recorded)} vs recomputed "
            f"{_show(recomputed)}"
        )


@dataclass
class Verification:
    """The outcome of a verification."""

    scenario: str
    """The scenario recomputed, as shown to the user (a path, or ``REV:path``)."""
    recorded_sha256: str
    current_sha256: str
    compared: int = 0
    differences: list[Difference] = field(default_factory=list)
    """The first :data:`MAX_LISTED_DIFFERENCES` differences, sheet by sheet."""
    differing: int = 0
    """How many figures differ, listed or not."""
    inputs: list[Difference] = field(default_factory=list)
    """The first differing input cells (styled as inputs you may change): the likely cause."""
    inputs_differing: int = 0
    typed: list[Difference] = field(default_factory=list)
    """The first differing cells that hold typed values (inputs, the engine's figures): what
    was changed, in the workbook or in the scenario."""
    typed_differing: int = 0
    calculated_differing: int = 0
    """How many differing cells are formulas (figures calculated from the typed ones)."""
    uncommitted: bool = False
    """The scenario file recomputed has changes not committed to git."""
    kind: str = "scenario"
    """What was recomputed: ``scenario`` (a ``cba run`` workbook) or ``budget`` (a Portfolio
    workbook from ``cba allocate``)."""
    changed_files: list[str] = field(default_factory=list)
    """For a budget: each scheme's scenario file whose sha256 differs from the workbook's
    record."""
    missing_results: int = 0
    """Formula cells with no stored result (a program that drops them saved the workbook)."""

    @property
    def sha256_matches(self) -> bool:
        return self.recorded_sha256 == self.current_sha256

    @property
    def figures_match(self) -> bool:
        return self.differing == 0 and not self.differences


def _show(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return f"{value:,.6f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return str(value)
    return quoted(str(value), 60)


# --- The workbook -----------------------------------------------------------------------------


class _Book:
    """An .xlsx read into memory and checked: its sheets by title and its shared strings."""

    def __init__(self, path: Path, data: bytes) -> None:
        self.path = path
        self.archive = open_archive(path, data, WORKBOOK)
        declared = sheet_parts(path, self.archive, WORKBOOK)
        members = [member for _, _, member in declared]
        if len(declared) > MAX_SHEETS_VERIFIED or len(set(members)) != len(members):
            # Each sheet is read once: many sheets naming one large part would read it many times.
            raise VerifyError(
                f"{path}: refused: its xl/workbook.xml declares {len(declared)} sheets for "
                f"{len(set(members))} sheet parts (a cba workbook has its 8 or 9 sheets and a "
                f"template's few, each its own part). {WORKBOOK.advice}"
            )
        self.sheets = {title: member for title, kind, member in declared if kind == "worksheet"}
        self.strings_member = next(
            (member for member in ("xl/sharedStrings.xml",) if member in self.archive.NameToInfo),
            None,
        )
        self._strings: list[str] | None = None

    def member_bytes(self, member: str) -> bytes:
        """A member of a workbook cba just built (trusted: read whole)."""
        return self.archive.read(member)

    def strings(self) -> list[str]:
        if self._strings is None:
            self._strings = []
            if self.strings_member is not None:
                data = read_part(
                    self.path, self.archive, self.strings_member, MAX_SHARED_STRINGS_BYTES, WORKBOOK
                )
                self._strings = _shared_strings(self.path, data)
        return self._strings

    def stream(self, member: str) -> IO[bytes]:
        return self.archive.open(member)


def _read_book(path: Path) -> _Book:
    try:
        return _Book(path, read_xlsx(path, WORKBOOK))
    except XlsxError as exc:
        raise VerifyError(str(exc)) from None


def _properties(book: _Book) -> dict[str, str]:
    member = "docProps/custom.xml"
    if "_rels/.rels" in book.archive.NameToInfo:
        rels = parse_part(book.path, book.archive, "_rels/.rels", MAX_PROPERTIES_BYTES, WORKBOOK)
        for rel in rels:
            if rel.get("Type", "").endswith("/custom-properties"):
                member = rel.get("Target", "").lstrip("/")
    if member not in book.archive.NameToInfo:
        return {}
    root = parse_part(book.path, book.archive, member, MAX_PROPERTIES_BYTES, WORKBOOK)
    props: dict[str, str] = {}
    for prop in root:
        name = prop.get("name", "")
        if name.startswith(provenance_sheet.PREFIX):
            props[name[len(provenance_sheet.PREFIX) :]] = "".join(
                "".join(child.itertext()) for child in prop
            )
    return props


def read_provenance(path: Path) -> dict[str, str]:
    """The ``cba_*`` custom document properties of a workbook, without the prefix."""
    book = _read_book(path)
    try:
        return _provenance_of(book)
    except XlsxError as exc:
        raise VerifyError(str(exc)) from None


def is_portfolio(props: dict[str, str]) -> bool:
    """Whether provenance properties are a Portfolio workbook's (``cba allocate``)."""
    return "budget_sha256" in props and "portfolio_format" in props


def _provenance_of(book: _Book) -> dict[str, str]:
    props = _properties(book)
    if is_portfolio(props):
        return props
    if "scenario_sha256" not in props:
        raise VerifyError(
            f"{book.path}: not a cba workbook (no cba provenance properties). "
            "Only workbooks written by `cba run` can be verified"
        )
    return props


# --- Finding the scenario ---------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioSource:
    """The scenario to recompute: how it is shown, and its bytes."""

    shown: str
    data: bytes
    named_by_user: bool = True
    """False when the workbook chose the file (its recorded path): then a file that does not load
    is not quoted in messages (a workbook naming another YAML file in the repository, say one with
    credentials, must not get it printed, e.g. into a CI log)."""


def _max_scenario_bytes() -> int:
    from cba.io.yaml_loader import MAX_FILE_BYTES

    return MAX_FILE_BYTES


def _git(
    args: list[str], cwd: Path, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise VerifyError(
            f"git is not installed, so cba verify cannot look in the repository. {_PASS_SCENARIO}"
        ) from None
    except subprocess.TimeoutExpired:
        raise VerifyError(
            f"git did not answer within {GIT_TIMEOUT} s in {cwd}. {_PASS_SCENARIO}"
        ) from None
    except OSError as exc:
        raise VerifyError(f"cannot run git ({exc.strerror}). {_PASS_SCENARIO}") from None


def _repository_root(workdir: Path) -> Path | None:
    found = _git(["rev-parse", "--show-toplevel"], workdir)
    if found.returncode != 0:
        return None
    return Path(found.stdout.decode("utf-8", "surrogateescape").strip())


def _relative_problem(recorded: str) -> str | None:
    """Why a scenario path recorded in a workbook is not followed, or None."""
    if not recorded:
        return "no path"
    if not recorded.isprintable() or "\\" in recorded:
        return "a path with characters a scenario path does not have"
    if PurePosixPath(recorded).is_absolute() or PureWindowsPath(recorded).drive:
        return "an absolute path"
    if ".." in PurePosixPath(recorded).parts:
        return "a path that leaves the repository (..)"
    if PurePosixPath(recorded).suffix.lower() not in (".yaml", ".yml"):
        return "not a .yaml file"
    return None


def _recorded_name(book: Path, props: dict[str, str], kind: str = "scenario") -> str:
    recorded = props.get(f"{kind}_path") or props.get(f"{kind}_file", "")
    problem = _relative_problem(recorded)
    if problem is not None:
        shown = f" as {quoted(recorded, 100)}" if recorded else ""
        raise VerifyError(
            f"{book}: the workbook records its scenario{shown}: {problem}. cba verify only "
            f"follows a recorded path inside the current git repository. {_PASS_SCENARIO}"
        )
    return PurePosixPath(
        *[part for part in PurePosixPath(recorded).parts if part != "."]
    ).as_posix()


def _read_scenario(path: Path, shown: str, hint: str) -> bytes:
    limit = _max_scenario_bytes()
    try:
        return read_regular_file(path, limit)
    except UnreadableFileError as problem:
        if problem.missing:
            raise VerifyError(f"{shown}: scenario not found. {hint}") from None
        if problem.reason == "too large":
            raise VerifyError(
                f"{shown}: the scenario is larger than the {limit:,}-byte limit for a scenario. "
                f"{hint}"
            ) from None
        raise VerifyError(f"{shown}: the scenario {problem.reason}. {hint}") from None


def _from_working_tree(book: Path, props: dict[str, str], workdir: Path) -> ScenarioSource:
    name = _recorded_name(book, props)
    root = _repository_root(workdir)
    if root is None:
        raise VerifyError(
            f"{book}: cba verify looks for the workbook's scenario ({name}) in the current git "
            f"repository, and {workdir} is not inside one. {_PASS_SCENARIO}, or run cba verify "
            "inside the repository it came from"
        )
    candidate = root / name
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        raise VerifyError(
            f"{candidate}: the workbook's scenario ({name}) is not in this repository. "
            f"{_PASS_SCENARIO}, run cba verify inside the repository it came from, or use "
            "--rev REV for the scenario as it was committed"
        ) from None
    if not resolved.is_relative_to(root.resolve()) or resolved.suffix.lower() not in (
        ".yaml",
        ".yml",
    ):
        raise VerifyError(
            f"{candidate}: is a link to a file outside the repository or not a .yaml file; "
            f"cba verify does not follow it. {_PASS_SCENARIO}"
        )
    data = _read_scenario(resolved, str(candidate), _PASS_SCENARIO)
    return ScenarioSource(str(candidate), data, named_by_user=False)


def _at_revision(
    book: Path, props: dict[str, str], scenario: Path | None, rev: str, workdir: Path
) -> ScenarioSource:
    if not rev or rev.startswith("-") or ":" in rev or not rev.isprintable() or " " in rev:
        raise VerifyError(
            f"--rev {quoted(rev, 60)}: not a git revision (a commit, tag or branch name such as "
            "v1.2 or HEAD~1)"
        )
    root = _repository_root(workdir)
    if root is None:
        raise VerifyError(
            f"--rev needs a git repository, and {workdir} is not inside one: run cba verify "
            "inside the repository the scenario is in"
        )
    if scenario is not None:
        try:
            name = (workdir / scenario).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            raise VerifyError(
                f"{scenario}: with --rev, --scenario names a file inside the repository "
                f"({root}); this one is outside it"
            ) from None
    else:
        name = _recorded_name(book, props)
    if _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], root).returncode != 0:
        raise VerifyError(
            f"--rev {rev}: no such revision in the repository at {root}. Give a commit, tag or "
            "branch (git log shows them)"
        )
    found = _git(["cat-file", "--batch-check"], root, stdin=f"{rev}:{name}\n".encode())
    fields = found.stdout.decode("utf-8", "replace").split()
    shown = f"{rev}:{name}"
    if found.returncode != 0 or len(fields) != 3 or fields[1] != "blob":
        raise VerifyError(
            f"{shown}: there is no file {name} at revision {rev} (paths are relative to the "
            f"repository's top folder, {root}). {_PASS_SCENARIO} together with --rev"
        )
    limit = _max_scenario_bytes()
    if int(fields[2]) > limit:
        raise VerifyError(
            f"{shown}: the scenario is {int(fields[2]):,} bytes, over the {limit:,}-byte limit "
            "for a scenario. Check that it is the right file"
        )
    blob = _git(["cat-file", "blob", fields[0]], root)
    if blob.returncode != 0:
        raise VerifyError(f"{shown}: git cannot read the file at revision {rev}")
    return ScenarioSource(shown, blob.stdout, named_by_user=scenario is not None)


def locate_scenario(
    book: Path, props: dict[str, str], scenario: Path | None, rev: str | None, workdir: Path
) -> ScenarioSource:
    """The scenario to recompute (see the module docstring for where it is looked for)."""
    if rev is not None:
        return _at_revision(book, props, scenario, rev, workdir)
    if scenario is not None:
        return ScenarioSource(
            str(scenario),
            _read_scenario(
                workdir / scenario, str(scenario), "Check the path given with --scenario"
            ),
        )
    return _from_working_tree(book, props, workdir)


def _with_values(spec: Scenario, variant: dict[str, Any]) -> Scenario:
    """The scenario with a variant's recorded inputs set again."""
    from cba.io.problems import ScenarioError
    from cba.io.scenario_file import with_values

    try:
        return with_values(spec, variant)
    except ScenarioError as exc:
        raise VerifyError(
            "the workbook is a variant (cba run --set) whose recorded inputs no longer apply to "
            f"the scenario: {exc}"
        ) from None


def _titled_for_area(spec: Scenario, props: dict[str, str]) -> Scenario:
    """One area's workbook from ``cba batch --workbooks`` is titled with its area."""
    area_id = props.get("area_id")
    if not area_id:
        return spec
    from cba.batch import area_title
    from cba.io.scenario_file import with_values

    name = props.get("area_name") or area_id
    return with_values(spec, {"title": area_title(spec.title, area_id, name)})


def _load(source: ScenarioSource) -> Scenario:
    """The validated scenario; messages name the scenario as the user knows it."""
    from cba.io.problems import ScenarioError
    from cba.io.scenario_file import load_scenario

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "scenario.yaml"
        copy.write_bytes(source.data)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                spec = load_scenario(copy)
            except ScenarioError as exc:
                if not source.named_by_user:
                    count = len(exc.problems)
                    raise VerifyError(
                        f"{source.shown}: the file the workbook names as its scenario does not "
                        f"load as a scenario ({count} problem{'' if count == 1 else 's'}; they are "
                        "not shown, since the workbook chose the file). Check it with `cba "
                        f"validate`, or {_PASS_SCENARIO[0].lower()}{_PASS_SCENARIO[1:]}"
                    ) from None
                text = str(exc).replace(str(copy), source.shown)
                raise VerifyError(f"{source.shown}: the scenario does not load:\n{text}") from None
    for warning in caught:
        warnings.warn(
            str(warning.message).replace(str(copy), source.shown),
            warning.category,
            stacklevel=3,
        )
    return spec


# --- Reading sheets ---------------------------------------------------------------------------

_MAIN_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)
_REFERENCE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_VALUE_TAG = re.compile(rb"<v>[^<]")
_INLINE_TAG = re.compile(rb"<is>")


def _column_letters(column: int) -> str:
    letters = ""
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _new_parser() -> Any:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True

    def refuse(*_: object) -> None:
        raise _RefusedError

    # As defusedxml does: no document type declarations, hence no entities of any kind.
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


class _RefusedError(Exception):
    pass


def _main_local(name: str) -> str:
    namespace, _, local = name.rpartition(" ")
    return local if namespace in _MAIN_NAMESPACES else ""


def _feed(parser: Any, stream: IO[bytes]) -> Iterator[None]:
    """Feed ``stream`` to ``parser`` in chunks, yielding after each so that what the handlers
    collected can be taken: memory stays bounded whatever the member's size."""
    while chunk := stream.read(1 << 20):
        parser.Parse(chunk, False)
        yield
    parser.Parse(b"", True)
    yield


def _shared_strings(path: Path, data: bytes) -> list[str]:
    strings: list[str] = []
    parts: list[str] = []
    state = {"si": False, "t": False, "rPh": 0}

    def start(name: str, _: dict[str, str]) -> None:
        local = _main_local(name)
        if local == "si":
            state["si"] = True
            parts.clear()
        elif local == "rPh":
            state["rPh"] += 1
        elif local == "t" and state["si"] and not state["rPh"]:
            state["t"] = True

    def end(name: str) -> None:
        local = _main_local(name)
        if local == "si":
            state["si"] = False
            strings.append("".join(parts))
        elif local == "rPh":
            state["rPh"] -= 1
        elif local == "t":
            state["t"] = False

    def text(content: str) -> None:
        if state["t"]:
            parts.append(content)

    parser = _new_parser()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except (_RefusedError, expat.ExpatError):
        raise VerifyError(
            f"{path}: its shared strings (xl/sharedStrings.xml) are not valid XML or declare "
            f"entities. {WORKBOOK.advice}"
        ) from None
    return strings


Cells = dict[tuple[int, int], object]
"""(row, column) -> value, both 1-based."""


class _SheetReader:
    """Streams a worksheet's XML into rows of cell values, as openpyxl's ``data_only`` reading
    sees them: a formula cell's cached value, a shared string's text, TRUE/FALSE, an error's
    text; a cell with no value is left out."""

    def __init__(self, strings: list[str]) -> None:
        self.strings = strings
        self.rows: list[tuple[str, Cells]] = []
        self.row = 0
        self.column = 0
        self.cells: Cells = {}
        self.key = (0, 0)
        self.type = "n"
        self.value: list[str] | None = None
        self.inline: list[str] | None = None
        self.capture: list[str] | None = None
        self.in_formula = self.in_inline = False
        self.phonetic = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        local = _main_local(name)
        if local == "row":
            self.flush()
            reference = attributes.get("r", "")
            self.row = int(reference) if reference.isdigit() else self.row + 1
            self.column = 0
        elif local == "c":
            match = _REFERENCE.fullmatch(attributes.get("r", ""))
            if match:
                self.key = (int(match.group(2)), _column_number(match.group(1)))
            else:
                self.key = (self.row, self.column + 1)
            self.column = self.key[1]
            self.type = attributes.get("t", "n")
            self.value = self.inline = None
        elif local == "f":
            self.in_formula = True
        elif local == "v" and not self.in_formula:
            self.value = self.capture = []
        elif local == "is":
            self.in_inline = True
            self.inline = []
        elif local == "rPh":
            self.phonetic += 1
        elif local == "t" and self.in_inline and not self.phonetic:
            self.capture = self.inline

    def end(self, name: str) -> None:
        local = _main_local(name)
        if local in ("v", "t"):
            self.capture = None
        elif local == "f":
            self.in_formula = False
        elif local == "is":
            self.in_inline = False
        elif local == "rPh":
            self.phonetic -= 1
        elif local == "c":
            value = self.cell_value()
            row, column = self.key
            if value is not None and 0 < row <= _MAX_ROW and 0 < column <= _MAX_COLUMN:
                self.cells[self.key] = value
                if len(self.cells) >= _MAX_COLUMN:  # bounded memory, whatever the XML says
                    self.flush()
        elif local in ("row", "sheetData"):
            self.flush()

    def text(self, content: str) -> None:
        if self.capture is not None:
            self.capture.append(content)

    def flush(self) -> None:
        if self.cells:
            label = next(
                (v for (_, c), v in self.cells.items() if c == 1 and isinstance(v, str)), ""
            )
            self.rows.append((label, self.cells))
            self.cells = {}

    def cell_value(self) -> object:
        kind = self.type
        if kind == "inlineStr" or self.inline is not None:
            return "".join(self.inline) if self.inline is not None else None
        text = "".join(self.value) if self.value is not None else ""
        if not text:
            return None
        if kind == "s":
            index = int(text) if text.strip().isdigit() else -1
            return self.strings[index] if 0 <= index < len(self.strings) else "#invalid string"
        if kind == "b":
            return text.strip() not in ("0", "false", "")
        if kind in ("str", "e", "d"):
            return text
        try:
            return int(text) if re.fullmatch(r"\s*-?[0-9]+\s*", text) else float(text)
        except ValueError:
            return text


def _rows(
    path: Path, stream: IO[bytes], strings: list[str], title: str
) -> Iterator[tuple[str, Cells]]:
    """(label, cells) for each row of a worksheet, streamed."""
    reader = _SheetReader(strings)
    parser = _new_parser()
    parser.StartElementHandler, parser.EndElementHandler = reader.start, reader.end
    parser.CharacterDataHandler = reader.text
    try:
        for _ in _feed(parser, stream):
            yield from reader.rows
            reader.rows.clear()
    except (_RefusedError, expat.ExpatError):
        raise VerifyError(
            f"{path}: sheet {quoted(title, 40)} is not valid XML or declares entities. "
            f"{WORKBOOK.advice}"
        ) from None
    except (zipfile.BadZipFile, OSError, EOFError):
        raise VerifyError(
            f"{path}: the workbook's zip archive is damaged (sheet {quoted(title, 40)}). "
            f"{WORKBOOK.advice}"
        ) from None
    reader.flush()
    yield from reader.rows


def count_values(xml: bytes) -> int:
    """Cells with a value in a worksheet that openpyxl wrote (as :class:`_SheetReader` counts
    them): a ``<v>`` with content, or an inline string."""
    return len(_VALUE_TAG.findall(xml)) + len(_INLINE_TAG.findall(xml))


# --- Comparing --------------------------------------------------------------------------------


def _same(a: object, b: object) -> bool:
    if (
        isinstance(a, int | float)
        and isinstance(b, int | float)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ):
        if a == b:
            return True
        return math.isclose(float(a), float(b), rel_tol=REL_TOLERANCE, abs_tol=1e-9)
    return a == b


def _identical(recorded: _Book, member: str, expected: bytes) -> bool:
    """Whether a recorded member's bytes are ``expected``, checked from the zip directory first,
    then streamed."""
    info = recorded.archive.getinfo(member)
    if info.file_size != len(expected) or zlib.crc32(expected) != info.CRC:
        return False
    offset = 0
    try:
        with recorded.stream(member) as stream:
            while chunk := stream.read(1 << 20):
                if chunk != expected[offset : offset + len(chunk)]:
                    return False
                offset += len(chunk)
    except (zipfile.BadZipFile, OSError, EOFError):
        return False
    return offset == len(expected)


class _Comparison:
    def __init__(
        self,
        outcome: Verification,
        formulas: dict[str, set[str]] | None = None,
        inputs: dict[str, dict[str, InputCell]] | None = None,
    ) -> None:
        self.outcome = outcome
        self.formulas = formulas or {}
        """Formula cells of the rebuilt workbook by sheet title (``B7``)."""
        self.inputs = inputs or {}
        """Input-styled cells of the rebuilt workbook by sheet title."""

    def differ(
        self,
        where: str,
        label: str,
        recorded: object,
        recomputed: object,
        formula: bool = False,
        is_input: InputCell | None = None,
    ) -> None:
        found = self.outcome
        found.differing += 1
        stands_for = str(is_input) if is_input is not None else ""
        difference = Difference(where, label, recorded, recomputed, stands_for)
        if len(found.differences) < MAX_LISTED_DIFFERENCES:
            found.differences.append(difference)
        if is_input is not None:
            found.inputs_differing += 1
            if len(found.inputs) < MAX_LISTED_DIFFERENCES:
                found.inputs.append(difference)
        if formula:
            found.calculated_differing += 1
            if recorded is None:
                found.missing_results += 1
        else:
            found.typed_differing += 1
            if len(found.typed) < MAX_LISTED_DIFFERENCES:
                found.typed.append(difference)

    def sheet(self, title: str, recorded: _Book, rebuilt: _Book, from_row: int = 1) -> None:
        """Compare one sheet cell by cell (from row ``from_row`` on)."""
        formulas = self.formulas.get(title, set())
        inputs = self.inputs.get(title, {})
        old_member, new_member = recorded.sheets.get(title), rebuilt.sheets.get(title)
        expected = rebuilt.member_bytes(new_member) if new_member is not None else b""
        if (
            from_row == 1
            and old_member is not None
            and new_member is not None
            and old_member in recorded.archive.NameToInfo
            and recorded.strings_member is None
            and rebuilt.strings_member is None
            and _identical(recorded, old_member, expected)
        ):
            self.outcome.compared += count_values(expected)
            return
        expected_cells: Cells = {}
        labels: dict[int, str] = {}
        if new_member is not None:
            for label, cells in _rows(rebuilt.path, io.BytesIO(expected), rebuilt.strings(), title):
                cells = {key: v for key, v in cells.items() if key[0] >= from_row}
                expected_cells.update(cells)
                for row, _ in cells:
                    labels.setdefault(row, label)
        seen: set[tuple[int, int]] = set()
        if old_member is not None:
            if old_member not in recorded.archive.NameToInfo:
                raise VerifyError(
                    f"{recorded.path}: sheet {quoted(title, 40)} is missing from the zip archive. "
                    f"{WORKBOOK.advice}"
                )
            with recorded.stream(old_member) as stream:
                for label, cells in _rows(recorded.path, stream, recorded.strings(), title):
                    for key, value in cells.items():
                        if key in seen or key[0] < from_row:
                            continue
                        self.outcome.compared += 1
                        if key in expected_cells:
                            seen.add(key)
                            if _same(value, expected_cells[key]):
                                continue
                        self.differ(
                            _where(title, key),
                            label or labels.get(key[0], ""),
                            value,
                            expected_cells.get(key),
                            _cell_name(key) in formulas,
                            inputs.get(_cell_name(key)),
                        )
        for key in sorted(expected_cells.keys() - seen):
            self.outcome.compared += 1
            self.differ(
                _where(title, key),
                labels.get(key[0], ""),
                None,
                expected_cells[key],
                _cell_name(key) in formulas,
                inputs.get(_cell_name(key)),
            )


def _template_sha256(template: Path | None) -> str:
    """The digest provenance records for the template a workbook is rebuilt with."""
    from cba.io.workbook.template import DEFAULT_TEMPLATE, open_template, template_digest

    return template_digest(DEFAULT_TEMPLATE) if template is None else open_template(template).sha256


def _cell_name(key: tuple[int, int]) -> str:
    """``B7`` for (row 7, column 2)."""
    return f"{_column_letters(key[1])}{key[0]}"


def _where(title: str, key: tuple[int, int]) -> str:
    return f"{title}!{_column_letters(key[1])}{key[0]}"


def workbook_scenario(path: Path, workdir: Path | None = None) -> tuple[str, Scenario]:
    """The scenario a cba workbook was written from, found as ``cba verify`` finds it (its
    recorded path, inside the current git repository) and with a variant's recorded inputs set
    again; with how to name it. For ``cba diff`` with a workbook as a side.

    Raises
    ------
    VerifyError
        For a workbook that is not cba's, or whose scenario cannot be found or loaded.
    """
    recorded = _read_book(path)
    workdir = workdir or Path.cwd()
    try:
        props = _provenance_of(recorded)
        source = locate_scenario(path, props, None, None, workdir)
        if hashlib.sha256(source.data).hexdigest() != props["scenario_sha256"]:
            # changed since: the version the workbook was written from, where git has it
            commit = props.get("scenario_git_commit", "")
            if props.get("scenario_file_unchanged_since_commit") != "True" or not commit:
                raise VerifyError(
                    f"{path}: its scenario has changed since the workbook was written, and no "
                    "commit holds the version it was written from; name that version instead "
                    "(FILE@REV)"
                )
            source = locate_scenario(path, props, None, commit, workdir)
        spec = _load(source)
        variant = settings_from_text(props.get("variant_settings", ""))
        if variant:
            spec = _with_values(spec, variant)
        spec = _titled_for_area(spec, props)
    except XlsxError as exc:
        raise VerifyError(str(exc)) from None
    return f"{path} (its scenario {printable(source.shown, 200)})", spec


def verify_workbook(
    path: Path,
    scenario: Path | None = None,
    rev: str | None = None,
    template: Path | None = None,
    workdir: Path | None = None,
) -> Verification:
    """Recompute and compare.

    Parameters
    ----------
    path
        The workbook to verify (untrusted).
    scenario
        The scenario file to recompute, relative to ``workdir``; with ``rev``, a file inside the
        git repository. Default: the path the workbook records, inside the current repository.
    rev
        A git revision: read the scenario as it was committed there.
    template
        The template the workbook was written with (the Cover is not compared either way).
    workdir
        Where relative paths start and the git repository is looked for (default: the current
        folder).

    Raises
    ------
    VerifyError
        For a workbook, scenario or revision that cannot be checked; the message names it.
    """
    from cba.io.workbook.writer import build_workbook
    from cba.pipeline import run

    workdir = workdir or Path.cwd()
    recorded = _read_book(path)
    try:
        props = _provenance_of(recorded)
        source = locate_scenario(path, props, scenario, rev, workdir)
        spec = _load(source)
        variant = settings_from_text(props.get("variant_settings", ""))
        if variant:  # a variant (cba run --set): the same inputs set over the file again
            spec = _with_values(spec, variant)
        spec = _titled_for_area(spec, props)
        # the draws and seed the workbook was written with
        draws = props.get("monte_carlo_draws", "")
        seed = props.get("random_seed", "")
        results = run(
            spec,
            variant=variant,
            # 0: written without Monte Carlo (cba batch --workbooks)
            uncertainty=draws != "0",
            draws=int(draws) if draws.isdigit() and draws != "0" else None,
            seed=int(seed) if seed.isdigit() else None,
        )
        provenance: dict[str, Any] = dict(props)
        table = None
        if props.get("monte_carlo_full_draws") == "yes" and results.uncertainty is not None:
            from cba.uncertainty import draw_table
            from cba.what_if import compile_scenario

            u = results.uncertainty
            table = draw_table(compile_scenario(spec), draws=u.draws, seed=u.seed)
        rebuilt_bytes, ledger = build_workbook(results, spec, provenance, template, table)
        rebuilt = _Book(Path("(recomputed workbook)"), rebuilt_bytes)
        outcome = Verification(
            scenario=printable(source.shown, 300),
            recorded_sha256=props["scenario_sha256"],
            current_sha256=hashlib.sha256(source.data).hexdigest(),
        )
        if rev is None:
            shown = Path(source.shown)
            file = shown if shown.is_absolute() else workdir / shown
            if file.is_file():
                from cba.io.provenance import scenario_provenance

                state = scenario_provenance(file)["scenario_file_unchanged_since_commit"]
                outcome.uncommitted = state is False
        comparison = _Comparison(
            outcome, {title: set(cells) for title, cells in ledger.expected.items()}, ledger.inputs
        )
        titles = [t for t in recorded.sheets if t not in _NOT_COMPARED]
        titles += [t for t in rebuilt.sheets if t not in _NOT_COMPARED and t not in titles]
        # The front page is compared below the template's branding, and only when the
        # workbook was written with the same template (else its rows may sit elsewhere).
        same_template = props.get("template_sha256") == _template_sha256(template)
        for title, first in ledger.compared_from.items():
            if same_template and title in recorded.sheets:
                comparison.sheet(title, recorded, rebuilt, from_row=first)
        for title in titles:
            if title not in ledger.compared_from:
                comparison.sheet(title, recorded, rebuilt)
    except XlsxError as exc:
        raise VerifyError(str(exc)) from None
    return outcome


_PASS_BUDGET = "Pass --budget PATH (the budget file the workbook was made from)"


def verify_portfolio_workbook(
    path: Path, budget: Path | None = None, workdir: Path | None = None
) -> Verification:
    """Recompute a Portfolio workbook's allocation and compare every figure.

    The budget file is the one the user names (``budget``, relative to ``workdir``) or the
    path the workbook records, inside the current git repository (as for a scenario); its
    schemes' scenario files are read where the budget names them. The allocation is re-solved
    with the draws and objective the workbook records, rendered in memory, and compared sheet
    by sheet (Provenance and Cover are not compared).

    Raises
    ------
    VerifyError
        For a workbook that is not a Portfolio workbook, or a budget that cannot be loaded.
    """
    from cba.allocate import ObjectiveError, allocate_budget, with_objective
    from cba.io.budget_file import load_budget
    from cba.io.native_output import native_stdout_to_stderr
    from cba.io.problems import ScenarioError
    from cba.io.provenance import file_sha256
    from cba.io.workbook.portfolio_workbook import build_portfolio_workbook

    workdir = workdir or Path.cwd()
    recorded = _read_book(path)
    try:
        props = _properties(recorded)
        if not is_portfolio(props):
            raise VerifyError(
                f"{path}: not a Portfolio workbook (no cba budget provenance); a workbook from "
                "cba run is verified with its scenario"
            )
        if budget is not None:
            file = workdir / budget
            shown = str(budget)
        else:
            name = _recorded_name(path, props, "budget")
            root = _repository_root(workdir)
            if root is None:
                raise VerifyError(
                    f"{path}: cba verify looks for the workbook's budget ({name}) in the "
                    f"current git repository, and {workdir} is not inside one. {_PASS_BUDGET}"
                )
            file = root / name
            shown = str(file)
            try:
                resolved = file.resolve(strict=True)
            except (OSError, RuntimeError):
                raise VerifyError(
                    f"{file}: the workbook's budget ({name}) is not in this repository. "
                    f"{_PASS_BUDGET}"
                ) from None
            if not resolved.is_relative_to(root.resolve()) or resolved.suffix.lower() not in (
                ".yaml",
                ".yml",
            ):
                raise VerifyError(
                    f"{file}: is a link to a file outside the repository or not a .yaml file; "
                    f"cba verify does not follow it. {_PASS_BUDGET}"
                )
        data = _read_scenario(file, shown, _PASS_BUDGET)
        try:
            loaded = load_budget(file)
        except ScenarioError as exc:
            raise VerifyError(f"{shown}: the budget does not load:\n{exc}") from None
        # An empty setting is written as "-" (the Provenance sheet's mark for "none").
        override = props.get("objective_override", "").strip("-")
        lines = [
            line for line in props.get("objective_outcome_lines", "").split(",") if line != "-"
        ]
        lines = [line for line in lines if line]
        if override or lines:
            try:
                loaded = with_objective(loaded, override or None, lines)
            except ObjectiveError as exc:
                raise VerifyError(f"{path}: the recorded objective: {exc}") from None
        draws = props.get("allocation_draws", "0")
        with native_stdout_to_stderr():
            allocation = allocate_budget(loaded, draws=int(draws) if draws.isdigit() else 0)
        if not allocation.feasible:
            raise VerifyError(f"{shown}: the budget is now infeasible: {allocation.statement}")
        title = loaded.budget.name or loaded.budget.id
        rebuilt_bytes, ledger = build_portfolio_workbook(allocation, dict(props), title)
        rebuilt = _Book(Path("(recomputed workbook)"), rebuilt_bytes)
        outcome = Verification(
            scenario=printable(shown, 300),
            recorded_sha256=props["budget_sha256"],
            current_sha256=hashlib.sha256(data).hexdigest(),
            kind="budget",
        )
        for scheme in loaded.budget.schemes:
            key = f"scheme_{scheme.id}_scenario_sha256"
            now = file_sha256(loaded.path.parent / scheme.scenario)
            if props.get(key) != now:
                outcome.changed_files.append(printable(scheme.scenario, 200))
        comparison = _Comparison(
            outcome, {title: set(cells) for title, cells in ledger.expected.items()}, ledger.inputs
        )
        titles = [t for t in recorded.sheets if t not in _NOT_COMPARED]
        titles += [t for t in rebuilt.sheets if t not in _NOT_COMPARED and t not in titles]
        for sheet in titles:
            comparison.sheet(sheet, recorded, rebuilt)
    except XlsxError as exc:
        raise VerifyError(str(exc)) from None
    return outcome
