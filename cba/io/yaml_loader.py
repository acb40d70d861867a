"""Safe YAML loading with a source map for ``file:line:col`` errors.

ruamel.yaml (YAML 1.2: ``no`` stays a string, ``2.5e5`` is a number) in round-trip mode, which
records the line and column of every key and item. Duplicate keys are refused, the file size
is bounded, and the document is walked with a node budget so that an alias ("billion laughs")
bomb is refused instead of exploding in memory. No arbitrary objects are ever constructed.
Text that breaks the YAML because it is not quoted (``source: Assumption: 10 hours``) is
reported with the quoted line to write instead, every such line at once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
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

    document = _parse(text, file)

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


MAX_QUOTING_HINTS = 20
"""Most lines of one file diagnosed as text that needs quotes (each costs one more parse)."""

_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")

_LINE = re.compile(
    r"^(?P<lead>[ \t]*(?:-[ \t]+)*)"
    r"(?:(?P<key>[A-Za-z0-9_][^:#'\"]*?):[ \t]+)?"
    r"(?P<value>\S.*?)(?P<comment>[ \t]+#.*)?$"
)
"""A line ``key: value  # comment`` or ``- value``, as far as a broken line can be read."""

_NOT_PLAIN_START = tuple("'\"{[|>&*!%@`")
"""First characters that make a YAML value something other than plain text."""


@dataclass(frozen=True)
class _QuotingHint:
    """A line whose text value broke the YAML, and the same line with the value in quotes."""

    index: int
    """0-based line."""
    column: int
    """1-based column where the value starts (where the quote goes)."""
    key_column: int
    """1-based column of the key, or of the value when the line has no key."""
    fixed: str
    """The whole line, with the value quoted."""
    message: str
    error: MarkedYAMLError
    """The original error, reported instead if quoting does not repair the line."""


def _yaml() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    return yaml


def quoted_scalar(text: str) -> str:
    """``text`` as one quoted YAML scalar."""
    if '"' not in text and "\\" not in text:
        return f'"{text}"'
    return "'" + text.replace("'", "''") + "'"


def _closing_quote(value: str) -> int | None:
    """Index of the quote that closes the quoted scalar starting ``value``, or None."""
    quote = value[0]
    index = 1
    while index < len(value):
        char = value[index]
        if quote == '"' and char == "\\":
            index += 2
            continue
        if char == quote:
            if quote == "'" and value[index + 1 : index + 2] == "'":
                index += 2
                continue
            return index
        index += 1
    return None


def _quoting_hint(lines: list[str], exc: MarkedYAMLError) -> _QuotingHint | None:
    """The diagnosis of a YAML error caused by unquoted text, if that is what it is.

    Two mistakes are recognised: text containing ': ' (``source: Assumption: 10 hours``), which
    YAML reads as a nested key, and text after a closing quote (``source: "Report" p. 4``).
    """
    mark = exc.problem_mark
    if mark is None or not 0 <= mark.line < len(lines):
        return None
    match = _LINE.match(lines[mark.line])
    if match is None:
        return None
    value = match["value"]
    start = match.start("value")
    if not start <= mark.column <= match.end("value"):
        return None
    key = match["key"]
    close = _closing_quote(value) if value.startswith(("'", '"')) else None
    if close is not None and close < len(value) - 1 and start + close < mark.column:
        what = f"text follows the closing quote at column {start + close + 1}"
    elif exc.problem == "mapping values are not allowed here" and not value.startswith(
        _NOT_PLAIN_START
    ):
        what = (
            "the text contains ': ', so YAML reads it as a key and a value (mapping values "
            "are not allowed here)"
        )
    else:
        return None
    quoted = quoted_scalar(value)
    written = f"{key}: {quoted}" if key is not None else quoted
    key_column = (match.start("key") if key is not None else start) + 1
    fixed = lines[mark.line][: key_column - 1] + written + (match["comment"] or "")
    return _QuotingHint(
        index=mark.line,
        column=start + 1,
        key_column=key_column,
        fixed=fixed,
        message=f"not valid YAML: {what}. Put the whole text in quotes: {written}",
        error=exc,
    )


def _yaml_error(file: str, exc: MarkedYAMLError, lines: list[str]) -> Problem:
    """A YAML syntax error, located, in words."""
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
    opened = exc.context_mark
    if opened is not None and mark is not None and opened.line != mark.line:
        what += f" (the structure starts at line {opened.line + 1}, column {opened.column + 1})"
    if "duplicate key" in what or "found duplicate key" in str(exc):
        what = f"duplicate key: {_duplicate_key(str(exc))}. Each key may appear once per mapping"
    elif exc.problem == "mapping values are not allowed here":
        what += _indentation_hint(lines, mark.line) if mark is not None else ""
    elif "'\\t'" in what:
        what += ". Indent with spaces, not tabs"
    return Problem(file, line, col, "", f"not valid YAML: {what}")


def _indentation_hint(lines: list[str], index: int) -> str:
    """Why a line ``key: value`` is not a key: it is indented under a line with a value, so
    YAML reads it as more of that value."""
    match = _LINE.match(lines[index]) if 0 <= index < len(lines) else None
    above = index - 1
    while above >= 0 and (not lines[above].strip() or lines[above].lstrip().startswith("#")):
        above -= 1
    previous = _LINE.match(lines[above]) if above >= 0 else None
    if match is None or previous is None or match["key"] is None:
        return ". If this is text containing ': ', put the whole text in quotes"
    if previous["key"] is not None and match.start("key") > previous.start("key"):
        return (
            f". This line is indented more than line {above + 1} ({previous['key']}: ...), so "
            "YAML reads it as more of that value. Start the keys of one mapping in the same "
            "column"
        )
    return ". If this is text containing ': ', put the whole text in quotes"


def _dotted(loc: Location) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def _parse(text: str, file: str) -> Any:
    """Parse ``text`` into ruamel's round-trip document.

    A line whose text value breaks the YAML because it is not quoted is diagnosed with the
    quoted line to write instead; the value is then quoted in memory and parsing goes on, so
    that every such line is reported at once, with the path of its key.
    """
    parts = _LINE_BREAK.split(text)
    original = parts[::2]
    lines = list(original)
    hints: list[_QuotingHint] = []
    problems: list[Problem] = []
    document: Any = None
    while True:
        try:
            document = _yaml().load("".join(parts))
            break
        except MarkedYAMLError as exc:
            hint = _quoting_hint(lines, exc) if len(hints) < MAX_QUOTING_HINTS else None
            mark = exc.problem_mark
            failed = next((h for h in hints if mark is not None and h.index == mark.line), None)
            if failed is not None:  # quoting did not repair the line: report what YAML said
                hints.remove(failed)
                problems.append(_yaml_error(file, failed.error, original))
                break
            if hint is None:
                problems.append(_yaml_error(file, exc, original))
                break
            hints.append(hint)
            lines[hint.index] = hint.fixed
            parts[2 * hint.index] = hint.fixed
        except YAMLError as exc:
            problems.append(Problem(file, 0, 0, "", f"not valid YAML: {exc}"))
            break
    if not hints and not problems:
        return document
    paths: dict[tuple[int, int], str] = {}
    if not problems:
        try:
            walker = _Walker(file)
            walker.walk(document, ())
            paths = {position: _dotted(loc) for loc, position in walker.source_map.items()}
        except ScenarioError:
            pass
    for hint in hints:
        path = paths.get((hint.index + 1, hint.key_column), "")
        problems.append(Problem(file, hint.index + 1, hint.column, path, hint.message))
    raise ScenarioError(problems)


def _duplicate_key(message: str) -> str:
    marker = 'found duplicate key "'
    if marker in message:
        return "'" + message.split(marker, 1)[1].split('"', 1)[0] + "'"
    return "a key appears twice"
