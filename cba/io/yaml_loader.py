"""Safe YAML loading with a source map for ``file:line:col`` errors.

ruamel.yaml (YAML 1.2: ``no`` stays a string, ``2.5e5`` is a number) in round-trip mode, which
records the line and column of every key and item. Duplicate keys are refused, the file size
is bounded, and the document is walked with a node budget so that an alias ("billion laughs")
bomb is refused instead of exploding in memory. No arbitrary objects are ever constructed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from cba.io.problems import Problem, ScenarioError

MAX_FILE_BYTES = 1_048_576
"""Largest scenario file read [bytes] (1 MiB: a scenario is text written by a person)."""

MAX_NODES = 200_000
"""Most values a document may expand to once aliases are followed [values]."""

Location = tuple[str | int, ...]
SourceMap = dict[Location, tuple[int, int]]
"""Location of every key and list item -> (line, column), both 1-based."""


def _problem(file: str, message: str, line: int = 0, column: int = 0) -> ScenarioError:
    return ScenarioError([Problem(file, line, column, "", message)])


class _Walker:
    """Converts ruamel's round-trip nodes to plain Python, recording positions."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.nodes = 0
        self.source_map: SourceMap = {}

    def walk(self, node: Any, where: Location) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            line, col = self.source_map.get(where, (0, 0))
            raise _problem(
                self.file,
                f"the document expands to more than {MAX_NODES:,} values (an alias/anchor "
                "bomb?). Write the values out instead of nesting aliases",
                line,
                col,
            )
        if isinstance(node, CommentedMap):
            out: dict[Any, Any] = {}
            for key in node:
                line, col = node.lc.key(key)
                plain_key = self.scalar(key)
                child = (*where, plain_key)
                self.source_map[child] = (line + 1, col + 1)
                out[plain_key] = self.walk(node[key], child)
            return out
        if isinstance(node, CommentedSeq):
            items = []
            for index, item in enumerate(node):
                line, col = node.lc.item(index)
                child = (*where, index)
                self.source_map[child] = (line + 1, col + 1)
                items.append(self.walk(item, child))
            return items
        return self.scalar(node)

    @staticmethod
    def scalar(value: Any) -> Any:
        # Plain built-in types only: pydantic's strict mode then sees what the user wrote.
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value)
        if isinstance(value, str):
            return str(value)
        if isinstance(value, dt.date | dt.datetime):
            return value.isoformat()  # dates stay text
        if value is None:
            return None
        return str(value)


def load_yaml(path: Path) -> tuple[Any, SourceMap]:
    """Read a YAML file into plain Python data and a source map.

    Raises
    ------
    ScenarioError
        When the file is missing, too large, empty, not UTF-8, not YAML, has a duplicate key,
        or expands past the node budget.
    """
    file = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise _problem(file, "no such file. Check the path") from None
    except OSError as exc:
        raise _problem(file, f"cannot read the file: {exc.strerror}") from None
    if path.is_dir():
        raise _problem(file, "is a folder, not a scenario file")
    if size > MAX_FILE_BYTES:
        raise _problem(
            file,
            f"the file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit for a scenario. "
            "Split it, or check that it is the right file",
        )
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raw = path.read_bytes()
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _problem(
            file,
            f"is not UTF-8 text (byte 0x{raw[exc.start]:02x}). Save the file as UTF-8",
            line,
            col,
        ) from None
    except OSError as exc:
        raise _problem(file, f"cannot read the file: {exc.strerror}") from None
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        raise _problem(file, 'the file is empty. A scenario starts with `cba_scenario: "1.0"`')

    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        document = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        opened = exc.context_mark
        if opened is not None and mark is not None and opened.line != mark.line:
            what += f" (the structure starts at line {opened.line + 1}, column {opened.column + 1})"
        if "duplicate key" in what or "found duplicate key" in str(exc):
            what = (
                f"duplicate key: {_duplicate_key(str(exc))}. Each key may appear once per mapping"
            )
        raise _problem(file, f"not valid YAML: {what}", line, col) from None
    except YAMLError as exc:
        raise _problem(file, f"not valid YAML: {exc}") from None

    walker = _Walker(file)
    data = walker.walk(document, ())
    if not isinstance(data, dict):
        lc = getattr(document, "lc", None)
        line, col = (lc.line + 1, lc.col + 1) if lc is not None and lc.line is not None else (0, 0)
        kind = "a list" if isinstance(data, list) else f"a single value ({data!r})"
        raise _problem(
            file,
            f"the file holds {kind}; a scenario is a mapping of keys (cba_scenario: ...)",
            line,
            col,
        )
    return data, walker.source_map


def _duplicate_key(message: str) -> str:
    marker = 'found duplicate key "'
    if marker in message:
        return "'" + message.split(marker, 1)[1].split('"', 1)[0] + "'"
    return "a key appears twice"
