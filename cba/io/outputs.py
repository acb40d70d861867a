"""The output files of a run, checked before anything is written.

:func:`check_outputs` refuses, all problems at once, any set of output paths that could not be
written whole: the same file twice, a path needed both as a file and as a folder, a folder or a
device where a file should go, a file where a folder should go, a name too long for the file
system, an output that is one of the run's inputs, and an existing file that cba did not write,
or any existing file of a kind that carries no mark of cba, such as a PDF (unless ``force``).
:func:`is_cba_workbook` and :func:`is_cba_results` say whether an existing file is one cba
wrote; they read at most a bounded number of bytes and parse XML with defusedxml.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cba.io.atomic import OutputError, name_problem

MAX_CHECKED_FILE_BYTES = 512 * 1024 * 1024
"""Largest existing file read to see whether cba wrote it [bytes]; a larger one is kept
unless ``--force`` (a cba workbook or results file of a 100,000-point sweep is under 100 MiB)."""
MAX_PROPERTIES_BYTES = 1024 * 1024
"""Largest docProps/custom.xml or docProps/core.xml read from an existing workbook [bytes]."""
MAX_ZIP_MEMBERS = 10_000
"""Most members an existing workbook may have to be read (cba writes a few dozen)."""

WORKBOOK_PROPERTIES = (
    "scenario_file",
    "scenario_path",
    "scenario_sha256",
    "scenario_git_commit",
    "scenario_file_unchanged_since_commit",
    "cba_version",
    "python",
    "libraries_numpy",
    "libraries_numpy-financial",
    "libraries_pydantic",
    "libraries_ruamel.yaml",
    "libraries_openpyxl",
    "libraries_scipy",
    "libraries_pygraphviz",
    "command",
    "template_sha256",
    "random_seed",
)
"""The custom document properties ``cba_<key>`` that ``cba run`` writes in every workbook
(its provenance: :func:`cba.io.provenance.scenario_provenance`, the command, the template)."""

LATER_PROPERTIES = frozenset({"libraries_scipy", "libraries_pygraphviz"})
"""Properties added after the first release: a workbook an earlier cba wrote lacks them and is
still recognised as cba's."""

DIAGRAM_SVG_MARK = b"<!-- cba strategy-map diagram -->"
"""The comment every SVG diagram cba writes carries near its start."""
DIAGRAM_PNG_MARK = b"cba strategy-map diagram"
"""The text of the ``tEXt`` chunk (key ``Software``) every PNG diagram cba writes carries."""
MARK_BYTES = 4096
"""How far into a diagram file its mark is looked for [bytes]."""

_SHA256 = re.compile(r"[0-9a-f]{64}")
_FORMAT = re.compile(r"[0-9]+\.[0-9]+")
_CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
_CORE = "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}"
_DC = "{http://purl.org/dc/elements/1.1/}"


@dataclass(frozen=True)
class Target:
    """One output file of a run, and what it is for messages (``workbook (-o)``)."""

    path: Path
    role: str
    marked: bool = True
    """Whether a file cba wrote here says so (workbooks and JSON results do), so that one may
    be replaced without ``force``; a PDF carries no such mark and is replaced only with it."""


def _bounded_member(archive: Any, name: str) -> bytes | None:
    import zipfile

    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_PROPERTIES_BYTES:
        return None
    try:
        with archive.open(info) as stream:
            data: bytes = stream.read(MAX_PROPERTIES_BYTES + 1)
    except (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError):
        return None  # damaged, encrypted, or an unsupported compression
    return data if len(data) <= MAX_PROPERTIES_BYTES else None


def _parse_xml(data: bytes) -> Any:
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException  # type: ignore[import-untyped, unused-ignore]
    from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped, unused-ignore]

    try:
        return fromstring(data)
    except (ParseError, DefusedXmlException, ValueError, RecursionError):
        return None


def workbook_properties(path: Path) -> dict[str, str] | None:
    """The ``cba_*`` custom document properties of an .xlsx file (prefix removed), or None when
    it is not a readable workbook or a property is given twice."""
    import zipfile

    try:
        if path.stat().st_size > MAX_CHECKED_FILE_BYTES:
            return None
        with zipfile.ZipFile(path) as archive:
            if len(archive.infolist()) > MAX_ZIP_MEMBERS:
                return None
            custom = _bounded_member(archive, "docProps/custom.xml")
            core = _bounded_member(archive, "docProps/core.xml")
    except (OSError, zipfile.BadZipFile, ValueError, EOFError):
        return None
    if custom is None or core is None:
        return None
    core_root = _parse_xml(core)
    if core_root is None or core_root.tag != f"{_CORE}coreProperties":
        return None
    if (core_root.findtext(f"{_DC}creator") or "") != "cba":
        return None
    root = _parse_xml(custom)
    if root is None or root.tag != f"{_CUSTOM}Properties":
        return None
    properties: dict[str, str] = {}
    for element in root:
        name = element.get("name", "")
        if element.tag != f"{_CUSTOM}property" or not name.startswith("cba_"):
            continue
        if name[4:] in properties or len(element) != 1:
            return None
        properties[name[4:]] = element[0].text or ""
    return properties


CHANGES_FORMAT = "1.0"
"""The ``cba_changes_format`` property of a Changes workbook (``cba diff -o``)."""


def is_cba_changes_workbook(path: Path) -> bool:
    """Whether ``path`` is a Changes workbook written by ``cba diff -o``: cba as its creator
    and the ``cba_changes_format`` and ``cba_version`` properties."""
    properties = workbook_properties(path)
    return (
        properties is not None
        and bool(properties.get("changes_format"))
        and bool(properties.get("version"))  # names without their "cba_"
    )


def is_cba_portfolio_workbook(path: Path) -> bool:
    """Whether ``path`` is a Portfolio workbook written by ``cba allocate``: cba as its
    creator, a ``cba_portfolio_format`` property, the budget's sha256 as a sha256 digest and
    the command as a ``cba allocate`` command."""
    properties = workbook_properties(path)
    if properties is None:
        return False
    return (
        bool(_FORMAT.fullmatch(properties.get("portfolio_format", "")))
        and bool(_SHA256.fullmatch(properties.get("budget_sha256", "")))
        and properties.get("command", "").startswith("cba allocate ")
    )


def is_cba_batch_workbook(path: Path) -> bool:
    """Whether ``path`` is the summary workbook of ``cba batch``: a ``cba_batch_format``
    property, the template's sha256 and the command as a ``cba batch`` command."""
    properties = workbook_properties(path)
    if properties is None:
        return False
    return (
        bool(_FORMAT.fullmatch(properties.get("batch_format", "")))
        and bool(_SHA256.fullmatch(properties.get("scenario_sha256", "")))
        and properties.get("command", "").startswith("cba batch ")
    )


def is_cba_workbook(path: Path) -> bool:
    """Whether ``path`` is a workbook written by ``cba run``: docProps/core.xml names cba as
    its creator and docProps/custom.xml holds every property in :data:`WORKBOOK_PROPERTIES`,
    each once, the digests as sha256 digests and the command as a ``cba run`` command."""
    properties = workbook_properties(path)
    if properties is None or not set(WORKBOOK_PROPERTIES) - LATER_PROPERTIES <= set(properties):
        return False
    return (
        all(_SHA256.fullmatch(properties[k]) for k in ("scenario_sha256", "template_sha256"))
        and properties["command"].startswith("cba run ")
        and bool(properties["cba_version"])
    )


def is_cba_results(path: Path) -> bool:
    """Whether ``path`` is a JSON results file written by ``cba run``: a JSON object with the
    ``cba_results`` format marker, the provenance (with the scenario's sha256), the scenario
    id, the options and the units."""
    import json

    try:
        if path.stat().st_size > MAX_CHECKED_FILE_BYTES:
            return False
        with path.open("rb") as stream:
            data = stream.read(MAX_CHECKED_FILE_BYTES + 1)
        document = json.loads(data.decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    if not isinstance(document, dict):
        return False
    provenance = document.get("provenance")
    return (
        isinstance(document.get("cba_results"), str)
        and bool(_FORMAT.fullmatch(document["cba_results"]))
        and isinstance(provenance, dict)
        and isinstance(provenance.get("scenario_sha256"), str)
        and bool(_SHA256.fullmatch(provenance["scenario_sha256"]))
        and isinstance(document.get("scenario_id"), str)
        and isinstance(document.get("options"), list)
        and isinstance(document.get("units"), dict)
    )


def is_cba_diagram(path: Path) -> bool:
    """Whether the SVG or PNG file at ``path`` is a diagram cba wrote (it carries cba's mark
    within its first ``MARK_BYTES``)."""
    try:
        with path.open("rb") as stream:
            head = stream.read(MARK_BYTES)
    except OSError:
        return False
    if path.suffix.lower() == ".svg":
        return DIAGRAM_SVG_MARK in head
    return head.startswith(b"\x89PNG") and DIAGRAM_PNG_MARK in head


def _key(path: Path) -> str:
    """A path as compared for sameness: absolute, links resolved, case folded (a case-blind
    file system would write both to one file)."""
    return os.path.normcase(os.path.realpath(path)).casefold()


def _existing_problem(target: Target, force: bool) -> str | None:
    path = target.path
    for ancestor in path.parents:
        if os.path.exists(ancestor) and not os.path.isdir(ancestor):
            return (
                f"{ancestor}: is a file, not a folder; cannot write the {target.role} {path} there"
            )
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{path}: cannot check the existing file: {exc.strerror}"
    if stat.S_ISDIR(mode):
        return (
            f"{path}: is a folder; the {target.role} needs a file name here. Name a file, "
            "or leave the option out"
        )
    if not stat.S_ISREG(mode):
        return f"{path}: is not a regular file (a device, pipe or socket); cba will not replace it"
    if force:
        return None
    if not target.marked:
        return (
            f"{path}: exists; cba replaces an existing {target.role} only with --force, as it "
            "cannot tell one it wrote from any other file. Choose another path, or pass --force "
            "to replace it"
        )
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        written_by_cba = (
            is_cba_workbook(path)
            or is_cba_changes_workbook(path)
            or is_cba_portfolio_workbook(path)
            or is_cba_batch_workbook(path)
        )
    elif suffix in (".svg", ".png"):
        written_by_cba = is_cba_diagram(path)
    elif suffix in (".csv", ".parquet"):
        from cba.io.batch_outputs import RESULTS_NAME, is_cba_batch_file

        written_by_cba = is_cba_batch_file(path, RESULTS_NAME)
    else:
        from cba.io.batch_outputs import is_cba_batch_results

        written_by_cba = is_cba_results(path) or is_cba_batch_results(path)
    if written_by_cba:
        return None
    return (
        f"{path}: exists and was not written by cba; refusing to overwrite it. "
        "Choose another path, or pass --force to replace it"
    )


def check_outputs(targets: Sequence[Target], inputs: Sequence[Path], force: bool) -> None:
    """Refuse (:class:`OutputError`, every problem at once) output paths that cannot all be
    written: see the module's description. Nothing is written or created."""
    problems: list[str] = []
    keys = [_key(target.path) for target in targets]
    first: dict[str, Target] = {}
    for key, target in zip(keys, targets, strict=True):
        if key in first:
            problems.append(
                f"{target.path}: would be written twice, as the {first[key].role} and as the "
                f"{target.role}. Give each its own path"
            )
        first.setdefault(key, target)
    for target in targets:
        for parent in target.path.parents:
            other = first.get(_key(parent))
            if other is not None:
                problems.append(
                    f"{other.path}: would be both the {other.role} (a file) and a folder for "
                    f"the {target.role} {target.path}. Give them separate paths"
                )
    input_keys = {_key(p) for p in inputs}
    input_files = {identity for identity in map(_identity, inputs) if identity is not None}
    for key, target in zip(keys, targets, strict=True):
        if key in input_keys or _identity(target.path) in input_files:
            problems.append(
                f"{target.path}: is an input of this run; cba never writes over its inputs. "
                f"Choose another path for the {target.role}"
            )
            continue
        problem = name_problem(target.path) or _existing_problem(target, force)
        if problem is not None:
            problems.append(problem)
    unique = list(dict.fromkeys(problems))
    if len(unique) == 1:
        raise OutputError(unique[0])
    if unique:
        raise OutputError(
            f"{len(unique)} problems with the output paths; nothing was written:\n"
            + "\n".join(f"  {problem}" for problem in unique)
        )


def _identity(path: Path) -> tuple[int, int] | None:
    """The file's device and inode (one file under several names, e.g. hard links), or None."""
    try:
        status = path.stat()
    except (OSError, ValueError):
        return None
    return (status.st_dev, status.st_ino) if status.st_ino else None
