"""Safe YAML loading with a source map for ``file:line:col`` errors.

A scenario is YAML 1.2 (``no`` stays text, ``2.5e5`` is a number), read into plain Python
(dicts, lists, str, int, float, bool, None) with the line and column of every key and list item.
What a scenario never needs is refused, each with its place in the file, every one at once:

- a file that is not a regular file (a FIFO, a device), or larger than ``MAX_FILE_BYTES``: at
  most that many bytes (plus one) are ever read, so ``/dev/zero`` cannot exhaust memory and a
  FIFO cannot block;
- characters a YAML file may not contain (NUL, ESC and other control characters);
- explicit tags (``!!python/object``, ``!!int abc``, ``!!binary``, ``!custom``): values are read
  as written, never constructed;
- merge keys (``<<: *base``), duplicate keys, keys that are lists or mappings;
- nesting deeper than ``MAX_DEPTH`` (a scenario needs about 8 levels);
- documents that expand past ``MAX_NODES`` values once aliases are followed (an alias or
  "billion laughs" bomb).

Two readers produce the same result. A fast line-by-line reader handles block YAML as the example
scenarios are written (block mappings and lists, plain, quoted and ``>``/``|`` block text,
one-line ``{...}``/``[...]``): 0.24 s for 1 MiB, against 3.3 s for ruamel.yaml's pure-Python
parser (its C parser is not installed with cba). On anything else, and on anything it is unsure
of, it steps aside and ruamel.yaml's parser reads the file (the only one that reports syntax
errors; imported only then), its events turned into data by ``_Builder`` without recursion.
Tests check that the two agree on every file the fast reader reads. Text that breaks the YAML
because it is not quoted (``source: Assumption: 10 hours``) is reported with the quoted line to
write instead, every such line at once.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cba.io.file_kinds import UnreadableFileError, read_regular_file
from cba.io.problems import Problem, ScenarioError, visible

if TYPE_CHECKING:
    # ruamel.yaml is imported where the complete reader runs (or an error is built): the
    # example scenarios never need it, and importing it costs ~12 ms at every start.
    from ruamel.yaml.error import MarkedYAMLError

MAX_FILE_BYTES = 1_048_576
"""Largest scenario file read [bytes] (1 MiB: a scenario is text written by a person)."""

MAX_NODES = 200_000
"""Most values a document may expand to once aliases are followed [values]."""

MAX_DEPTH = 32
"""Deepest nesting of mappings and lists accepted [levels]. A scenario needs about 8 (scenario,
options, an option, its benefit lines, a line, its unit values, a unit value); 32 leaves room
and keeps every reader far from Python's recursion limit."""

MAX_DIGITS = 4300
"""Longest whole number read [digits] (Python's limit for converting text to int)."""

Location = tuple[str | int, ...]
SourceMap = dict[Location, tuple[int, int]]
"""Location of every key and list item -> (line, column), both 1-based; ``()`` is the position
of the top-level mapping (for a problem about the whole scenario, such as a missing key)."""


def _problem(file: str, message: str, line: int = 0, column: int = 0) -> ScenarioError:
    return ScenarioError([Problem(file, line, column, "", message)])


# --- Reading the file -----------------------------------------------------------------------


def _not_regular(file: str, kind: str) -> ScenarioError:
    if kind == "a folder":
        return _problem(file, "is a folder, not a scenario file")
    return _problem(
        file,
        f"is {kind}, not a scenario file. Give the path of a .yaml file (to read from a pipe, "
        "save it to a file first)",
    )


def _too_large(file: str, size: int | None) -> ScenarioError:
    what = f"the file is {size:,} bytes" if size is not None else "the file is larger than that"
    return _problem(
        file,
        f"{what}, over the {MAX_FILE_BYTES:,}-byte limit for a scenario. Split it, or check "
        "that it is the right file",
    )


def read_scenario_bytes(path: Path) -> bytes:
    """The bytes of a scenario file, at most ``MAX_FILE_BYTES``.

    The file type is checked before the file is opened and again on the open file, which is
    opened without blocking: a FIFO, a device or a socket is refused, never read. At most
    ``MAX_FILE_BYTES + 1`` bytes are read whatever the file claims its size to be.

    Raises
    ------
    ScenarioError
        When the file is missing, unreadable, not a regular file or too large.
    """
    file = str(path)
    try:
        return read_regular_file(path, MAX_FILE_BYTES)
    except UnreadableFileError as problem:
        if problem.missing:
            raise _problem(file, "no such file. Check the path") from None
        if problem.kind is not None:
            raise _not_regular(file, problem.kind) from None
        if problem.too_large:
            raise _too_large(file, problem.size) from None
        raise _problem(file, f"cannot read the file: {problem.error}") from None


def load_yaml(path: Path) -> tuple[Any, SourceMap]:
    """Read a YAML file into plain Python data and a source map.

    Raises
    ------
    ScenarioError
        When the file is missing, not a regular file, too large, empty, not UTF-8, holds a
        character YAML does not allow, is not YAML, uses a tag, a merge key or a duplicate key,
        nests too deeply, or expands past the node budget; every problem found, located.
    """
    return yaml_from_bytes(read_scenario_bytes(path), str(path))


def yaml_from_bytes(raw: bytes, file: str) -> tuple[Any, SourceMap]:
    """:func:`load_yaml` on bytes read elsewhere (a file at a git revision), ``file`` naming
    them in messages."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _problem(
            file,
            f"is not UTF-8 text (byte 0x{raw[exc.start]:02x}). Save the file as UTF-8",
            line,
            col,
        ) from None
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        raise _problem(file, 'the file is empty. A scenario starts with `cba_scenario: "1.0"`')
    _check_characters(text, file)

    data, source_map = _parse(text, file)
    if not isinstance(data, dict):
        line, col = source_map.get((), (1, 1))
        kind = "a list" if isinstance(data, list) else f"a single value ({_yaml_value(data)})"
        raise _problem(
            file,
            f"the file holds {kind}; a scenario is a mapping of keys (cba_scenario: ...)",
            line,
            col,
        )
    return data, source_map


def _yaml_value(value: Any) -> str:
    """A scalar as YAML writes it (null, true, 3.5, text), for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- Characters -----------------------------------------------------------------------------

_NOT_YAML_CHARACTER = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]"
)
"""A character no YAML file may contain (YAML 1.2 §5.1): C0 controls other than tab and line
breaks, DEL, C1 controls other than NEL, surrogates, U+FFFE and U+FFFF. Written as the short
list of refused ranges, not as the negation of the allowed ones: the two match the same code
points (a test checks every one), and the negated class takes ~6 ms to compile at start-up."""

MAX_CHARACTER_PROBLEMS = 20
"""Most disallowed characters reported one by one."""

_CONTROL_NAMES = (
    *("NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF"),
    *("CR", "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM"),
    *("SUB", "ESC", "FS", "GS", "RS", "US"),
)


def character_name(char: str) -> str:
    """``U+001B (ESC)``: a character's code point and, for a C0 control or DEL, its name."""
    code = ord(char)
    name = _CONTROL_NAMES[code] if code < 32 else "DEL" if code == 127 else ""
    return f"U+{code:04X}" + (f" ({name})" if name else "")


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of ``text[index]``."""
    return text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)


def _check_characters(text: str, file: str) -> None:
    """Refuse characters a YAML file may not contain, each at its line and column."""
    first = _NOT_YAML_CHARACTER.search(text)
    if first is None:
        return
    found = list(_NOT_YAML_CHARACTER.finditer(text, first.start()))
    problems = []
    for match in found[:MAX_CHARACTER_PROBLEMS]:
        line, col = _position(text, match.start())
        problems.append(
            Problem(
                file,
                line,
                col,
                "",
                f"the character {character_name(match.group())} is here, and a YAML file may "
                "not contain it (nor may scenario text). Remove it; if the file came from "
                "another program, save it again as plain UTF-8 text",
            )
        )
    if len(found) > MAX_CHARACTER_PROBLEMS:
        last = problems[-1]
        problems[-1] = Problem(
            file,
            last.line,
            last.column,
            "",
            last.message + f" ({len(found):,} such characters in the file; the first "
            f"{MAX_CHARACTER_PROBLEMS} are listed)",
        )
    raise ScenarioError(problems)


# --- Scalars (YAML 1.2 core schema, as ruamel.yaml resolves it) ------------------------------

_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_FLOAT = re.compile(
    r"""[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN)""",
    re.X,
)
_INT = re.compile(r"[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9][0-9_]*|[-+]?0x[0-9a-fA-F_]+")


class _NumberTooLongError(Exception):
    """A whole number with more digits than Python converts."""

    def __init__(self, digits: int) -> None:
        super().__init__(digits)
        self.digits = digits


def resolve_plain(text: str) -> Any:
    """The value of a plain (unquoted, untagged) scalar: null, a bool, an int, a float or the
    text itself. Dates and times stay text, as written.

    Raises
    ------
    _NumberTooLongError
        For a whole number of more than ``MAX_DIGITS`` digits.
    """
    if text in _NULL:
        return None
    first = text[0]
    if first in "tTfF":
        return _BOOL.get(text, text)
    if first not in "-+.0123456789":
        return text
    if _FLOAT.fullmatch(text):
        number = text.replace("_", "").lower()
        if number.endswith((".inf", ".nan")):
            return float(number.replace(".", ""))
        return float(number)
    if _INT.fullmatch(text):
        number = text.replace("_", "")
        sign = -1 if number.startswith("-") else 1
        digits = number.lstrip("+-")
        base = {"0b": 2, "0o": 8, "0x": 16}.get(digits[:2], 10)
        if base != 10:
            digits = digits[2:]
        if not digits:
            return text
        if base == 10 and len(digits) > MAX_DIGITS:
            raise _NumberTooLongError(len(digits))
        return sign * int(digits, base)
    return text


def _too_long_message(digits: int) -> str:
    return (
        f"a whole number with {digits:,} digits; no input of a scenario needs more than a few. "
        "Check the value"
    )


# --- The complete reader: ruamel.yaml's parser events -> plain data -------------------------


def _tag_as_written(tag: Any) -> str:
    text = str(tag)
    if text.startswith("tag:yaml.org,2002:"):
        return "!!" + text.removeprefix("tag:yaml.org,2002:")
    return text


@dataclass
class _Anchored:
    """A value with an anchor: the value, the values it counts, its source map (relative)."""

    value: Any
    size: int
    entries: list[tuple[Location, tuple[int, int]]]


_NO_KEY = object()
"""The key of a mapping entry whose key was refused (the value is read, then dropped)."""

_REFUSED = "\0refused"
"""Location part under which the values of refused keys are recorded (never looked up)."""


class _Frame:
    """An open mapping or list while the events are read."""

    __slots__ = (
        "anchor",
        "container",
        "entries_at",
        "key",
        "key_position",
        "loc",
        "mark",
        "nodes_at",
    )

    def __init__(
        self,
        container: Any,
        loc: Location,
        anchor: str | None,
        entries_at: int,
        nodes_at: int,
        mark: Any,
    ) -> None:
        self.mark = mark
        self.container = container
        self.loc = loc
        self.anchor = anchor
        self.entries_at = entries_at
        self.nodes_at = nodes_at
        self.key: Any = None
        self.key_position: tuple[int, int] | None = None


class _Builder:
    """Turns the parser's events into plain data and a source map, without recursion.

    Refuses (and reports, every one at once) tags, merge keys, duplicate keys, keys that are
    lists or mappings, aliases to no anchor or to a structure that contains them, a second
    document and a ``%YAML`` version other than 1.2; stops at once past ``MAX_DEPTH`` levels or
    ``MAX_NODES`` values.
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.nodes = 0
        self.entries: list[tuple[Location, tuple[int, int]]] = []
        self.anchors: dict[str, _Anchored] = {}
        self.open_anchors: set[str] = set()
        self.problems: list[Problem] = []

    def refuse(self, mark: Any, message: str) -> None:
        self.problems.append(Problem(self.file, mark.line + 1, mark.column + 1, "", message))

    def stop(self, mark: Any, message: str) -> ScenarioError:
        self.refuse(mark, message)
        return ScenarioError(self.problems)

    def count(self, added: int, mark: Any) -> None:
        self.nodes += added
        if self.nodes > MAX_NODES:
            raise self.stop(
                mark,
                f"the document expands to more than {MAX_NODES:,} values (an alias/anchor "
                "bomb?). Write the values out instead of nesting aliases",
            )

    def build(self, events: Any) -> tuple[Any, SourceMap]:
        from ruamel.yaml.events import (
            AliasEvent,
            DocumentStartEvent,
            MappingEndEvent,
            MappingStartEvent,
            ScalarEvent,
            SequenceEndEvent,
            SequenceStartEvent,
            StreamEndEvent,
        )

        stack: list[_Frame] = []
        root: Any = None
        documents = 0
        done = False
        for event in events:
            if isinstance(event, DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise self.stop(
                        event.start_mark,
                        "a second YAML document ('---'); a scenario file holds one. Remove the "
                        "'---' line and what follows, or put each scenario in its own file",
                    )
                if event.version is not None and tuple(event.version) != (1, 2):
                    version = ".".join(str(part) for part in event.version)
                    self.refuse(
                        event.start_mark,
                        f"the file asks for YAML {version} (%YAML {version}); scenarios are "
                        "read as YAML 1.2. Remove the %YAML line",
                    )
                continue
            if isinstance(event, StreamEndEvent):
                break
            if isinstance(event, MappingEndEvent | SequenceEndEvent):
                frame = stack.pop()
                value = frame.container
                if frame.anchor is not None:
                    self.open_anchors.discard(frame.anchor)
                    self.anchors[frame.anchor] = self._anchored(value, frame)
                if stack:
                    self._add(stack[-1], value, frame.mark, is_collection=True)
                else:
                    root, done = value, True
                continue
            if done or not isinstance(
                event, ScalarEvent | AliasEvent | MappingStartEvent | SequenceStartEvent
            ):
                continue  # stream and document start and end
            mark = event.start_mark
            parent = stack[-1] if stack else None
            is_key = (
                parent is not None
                and isinstance(parent.container, dict)
                and parent.key_position is None
            )
            tag = getattr(event, "tag", None)
            if tag is not None:
                self.refuse(
                    mark,
                    f"explicit tag '{_tag_as_written(tag)}': tags are not accepted in a "
                    "scenario (values are read as written, never converted or constructed). "
                    "Remove the tag; put text in quotes",
                )
            if isinstance(event, AliasEvent):
                value = self._alias(event, parent, is_key)
                if parent is None:
                    root, done = value, True
                continue
            if isinstance(event, ScalarEvent):
                if not is_key:
                    self.count(1, mark)
                value = self._scalar(event, is_key)
                if event.anchor is not None:
                    self.anchors[event.anchor] = _Anchored(value, 1, [])
                if parent is None:
                    root, done = value, True
                    self.entries.append(((), (mark.line + 1, mark.column + 1)))
                else:
                    self._add(parent, value, mark, is_collection=False)
                continue
            # a mapping or a list starts
            self.count(1, mark)
            if len(stack) >= MAX_DEPTH:
                raise self.stop(
                    mark,
                    f"the data is nested more than {MAX_DEPTH} levels deep; a scenario needs "
                    "about 8. Check the brackets and the indentation",
                )
            if parent is None:
                loc: Location = ()
                self.entries.append(((), (mark.line + 1, mark.column + 1)))
            else:
                loc = self._child_loc(parent, mark, is_key)
            container: Any = {} if isinstance(event, MappingStartEvent) else []
            anchor = event.anchor
            if anchor is not None:
                self.open_anchors.add(anchor)
            stack.append(_Frame(container, loc, anchor, len(self.entries), self.nodes, mark))
        if self.problems:
            raise ScenarioError(self.problems)
        return root, dict(self.entries)

    def _anchored(self, value: Any, frame: _Frame) -> _Anchored:
        depth = len(frame.loc)
        entries = [(loc[depth:], pos) for loc, pos in self.entries[frame.entries_at :]]
        return _Anchored(value, self.nodes - frame.nodes_at + 1, entries)

    def _child_loc(self, parent: _Frame, mark: Any, is_key: bool) -> Location:
        """The location of the value about to be added to ``parent`` (recording a list item's
        position); for a mapping value, that of its key, already recorded."""
        container = parent.container
        if isinstance(container, list):
            loc = (*parent.loc, len(container))
            self.entries.append((loc, (mark.line + 1, mark.column + 1)))
            return loc
        if is_key or parent.key is _NO_KEY:
            return (*parent.loc, _REFUSED)
        key: str | int = parent.key
        return (*parent.loc, key)

    def _scalar(self, event: Any, is_key: bool) -> Any:
        text: str = event.value
        if event.style is not None or event.tag is not None:
            return text
        if is_key and text == "<<":
            self.refuse(
                event.start_mark,
                "merge key '<<': merge keys are not accepted in a scenario. Write the keys out "
                "in full (or quote '<<' if it really is a key)",
            )
            return _NO_KEY
        try:
            return resolve_plain(text)
        except _NumberTooLongError as exc:
            self.refuse(event.start_mark, _too_long_message(exc.digits))
            return text[:20] + "..."

    def _add(self, parent: _Frame, value: Any, mark: Any, is_collection: bool) -> None:
        container = parent.container
        if isinstance(container, list):
            if not is_collection:
                self.entries.append(
                    ((*parent.loc, len(container)), (mark.line + 1, mark.column + 1))
                )
            container.append(value)
            return
        if parent.key_position is None:  # this value is a key
            position = (mark.line + 1, mark.column + 1)
            if is_collection or isinstance(value, dict | list):
                self.refuse(
                    mark,
                    "a key that is a list or a mapping; a key is a name (or a year). Write "
                    "`name: value`",
                )
                value = _NO_KEY
            elif value is not _NO_KEY and value in container:
                first = self.entries_for_key(parent, value)
                where = f" (first at line {first[0]})" if first is not None else ""
                self.refuse(
                    mark,
                    f"not valid YAML: duplicate key: '{_yaml_value(value)}'{where}. Each key may "
                    "appear once per mapping",
                )
                value = _NO_KEY
            parent.key = value
            parent.key_position = position
            if value is not _NO_KEY:
                self.entries.append(((*parent.loc, value), position))
            return
        if parent.key is not _NO_KEY:
            container[parent.key] = value
        parent.key = None
        parent.key_position = None

    def entries_for_key(self, parent: _Frame, key: Any) -> tuple[int, int] | None:
        loc = (*parent.loc, key)
        for entry_loc, position in reversed(self.entries[parent.entries_at :]):
            if entry_loc == loc:
                return position
        return None

    def _alias(self, event: Any, parent: _Frame | None, is_key: bool) -> Any:
        """Add the value an alias refers to (counting every value it holds); return it."""
        mark = event.start_mark
        name = event.anchor
        anchored = self.anchors.get(name)
        if anchored is None:
            how = (
                "the structure that contains it (a recursive alias)"
                if name in self.open_anchors
                else f"no anchor: no &{name} is defined before it"
            )
            self.refuse(mark, f"alias *{name} refers to {how}. Write the values out")
            anchored = _Anchored(None, 1, [])
        self.count(anchored.size, mark)
        value = anchored.value
        if parent is None:
            self.entries.append(((), (mark.line + 1, mark.column + 1)))
            self.entries.extend(anchored.entries)
            return value
        if is_key:
            self._add(parent, value, mark, is_collection=isinstance(value, dict | list))
            return value
        loc = self._child_loc(parent, mark, is_key=False)
        self.entries.extend(((*loc, *rel), pos) for rel, pos in anchored.entries)
        self._add(parent, value, mark, is_collection=True)
        return value


def _slow_parse(text: str, file: str) -> tuple[Any, SourceMap]:
    """Read ``text`` with ruamel.yaml's (pure Python) parser; raises MarkedYAMLError for a
    syntax error and ScenarioError for what the builder refuses."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    return _Builder(file).build(yaml.parse(text))


# --- The fast reader: block YAML as scenarios are written -----------------------------------


class _UnsureError(Exception):
    """The fast reader met something it does not handle; the complete reader takes over."""


class _ColonsInTextError(Exception):
    """Plain values after a key that hold ': ' (``source: Assumption: 10 hours``): YAML errors
    ("mapping values are not allowed here") that the fast reader finds, all in one pass, without
    the complete reader, so that a large file with many such lines is diagnosed quickly."""

    def __init__(self, errors: list[MarkedYAMLError]) -> None:
        super().__init__(errors)
        self.errors = errors


_FAST_CHARACTERS = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
)
"""Characters the fast reader leaves to the complete one: tabs, carriage returns, NEL and the
Unicode line and paragraph separators (YAML parsers count lines differently with them), the
BOM, and every character YAML refuses (listed as ranges, for the reason given above)."""

_DOCUMENT_MARKER = re.compile(r"^(?:---|\.\.\.)(?:[ \t]|$)|^%", re.M)

_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_\-]*|[0-9]+):(?: +|$)")
"""A block mapping key as scenarios write them (a name or a year), its colon and the spaces
after it."""

_PLAIN_FIRST = re.compile(r"[\w(£$€.+/]|-(?=[\w.])")
"""Characters a plain value may start with in the fast reader."""

_CONTINUATION_FIRST = re.compile(r"[\w(£$€]")

_FLOW_PLAIN = re.compile(r"(?:[A-Za-z0-9_.+]|-(?=[0-9.]))(?:[^,\[\]{}#:'\"]|:(?=[^\s,\[\]{}]))*")
"""A plain scalar inside a one-line ``{...}`` or ``[...]``; a colon belongs to it when a
character that can start a scalar follows (``gmca_unit_costs@1.4:cr8_7.fiscal``), as in YAML
1.2's flow context."""


class _FastReader:
    """Reads block YAML line by line; raises ``_UnsureError`` on anything it does not handle.

    Handled: block mappings with name or year keys, block lists (``- item``, ``- key: value``),
    plain values (on one line or folded over more-indented lines), single- and double-quoted
    values on one line (double-quoted without escapes), ``>``/``>-``/``|``/``|-`` block text,
    and one-line flow mappings and lists. Positions are those ruamel.yaml's parser gives.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.index = 0
        self.nodes = 0
        self.entries: list[tuple[Location, tuple[int, int]]] = []
        self.colons: list[tuple[int, int]] = []
        """(line, column), 0-based, of each plain value after a key that holds ': '."""

    # ---- lines

    def significant(self) -> tuple[int, int] | None:
        """(line index, indent) of the next line that is not blank or a comment, or None."""
        lines = self.lines
        while self.index < len(lines):
            line = lines[self.index]
            stripped = line.lstrip(" ")
            if stripped and not stripped.startswith("#"):
                return self.index, len(line) - len(stripped)
            self.index += 1
        return None

    def count(self) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _UnsureError

    # ---- structure

    def read(self) -> tuple[Any, SourceMap]:
        found = self.significant()
        if found is None:
            raise _UnsureError
        index, indent = found
        line = self.lines[index]
        if indent != 0 or _KEY.match(line) is None:
            raise _UnsureError
        self.entries.append(((), (index + 1, 1)))
        root = self.mapping(0, (), 1)
        if self.significant() is not None:
            raise _UnsureError
        return root, dict(self.entries)

    def mapping(self, indent: int, loc: Location, depth: int) -> dict[Any, Any]:
        """A block mapping whose keys start at column ``indent`` (0-based); the current line is
        its first key (possibly after ``- `` on a list line)."""
        if depth > MAX_DEPTH:
            raise _UnsureError
        self.count()
        out: dict[Any, Any] = {}
        first = True
        while True:
            if first:
                index = self.index
                start = indent
                first = False
            else:
                found = self.significant()
                if found is None:
                    return out
                index, line_indent = found
                if line_indent < indent:
                    return out
                if line_indent > indent:
                    raise _UnsureError
                start = indent
            line = self.lines[index]
            match = _KEY.match(line, start)
            if match is None:
                if line.startswith("- ", start) or line[start:] == "-":
                    return out  # a list at the key's indent ends with this mapping's parent
                raise _UnsureError
            key = resolve_plain(match.group(1))
            if key in out or not isinstance(key, str | int) or isinstance(key, bool):
                raise _UnsureError
            child = (*loc, key)
            self.entries.append((child, (index + 1, start + 1)))
            out[key] = self.value(index, match.end(), indent, child, depth, in_list=False)

    def sequence(self, indent: int, loc: Location, depth: int) -> list[Any]:
        """A block list whose dashes are at column ``indent``; the current line is its first."""
        if depth > MAX_DEPTH:
            raise _UnsureError
        self.count()
        out: list[Any] = []
        while True:
            found = self.significant()
            if found is None:
                return out
            index, line_indent = found
            if line_indent != indent:
                if line_indent > indent:
                    raise _UnsureError
                return out
            line = self.lines[index]
            if not (line.startswith("- ", indent) or line[indent:] == "-"):
                return out
            child = (*loc, len(out))
            rest = indent + 1
            while rest < len(line) and line[rest] == " ":
                rest += 1
            if rest >= len(line) or line[rest] == "#":
                if rest < len(line) and line[rest - 1] != " ":
                    raise _UnsureError
                # the item is a block on the following lines
                self.index = index + 1
                found = self.significant()
                if found is None or found[1] <= indent:
                    raise _UnsureError  # an empty item
                self.entries.append((child, (found[0] + 1, found[1] + 1)))
                out.append(self.block(found[0], found[1], child, depth + 1))
                continue
            if _KEY.match(line, rest) is not None:
                self.entries.append((child, (index + 1, rest + 1)))
                self.index = index
                out.append(self.mapping(rest, child, depth + 1))
                continue
            if line.startswith(("- ", "? ", ": "), rest) or line[rest:] in ("-", "?", ":"):
                raise _UnsureError
            out.append(self.value(index, rest, indent, child, depth, in_list=True))

    def block(self, index: int, indent: int, loc: Location, depth: int) -> Any:
        """The mapping or list that starts on line ``index`` at column ``indent``."""
        line = self.lines[index]
        self.index = index
        if line.startswith("- ", indent) or line[indent:] == "-":
            return self.sequence(indent, loc, depth)
        if _KEY.match(line, indent) is not None:
            return self.mapping(indent, loc, depth)
        raise _UnsureError

    def value(
        self, index: int, start: int, parent_indent: int, loc: Location, depth: int, in_list: bool
    ) -> Any:
        """The value that starts at ``start`` on line ``index`` (after ``key: `` or ``- ``);
        leaves ``self.index`` on the line after it. ``parent_indent`` is the column of the key
        or the dash."""
        line = self.lines[index]
        position = (index + 1, start + 1)
        if start >= len(line) or line[start] == "#":
            if start < len(line) and line[start - 1] != " ":
                raise _UnsureError
            # nothing after the key: a block below, or null
            self.index = index + 1
            found = self.significant()
            if found is not None and (
                found[1] > parent_indent
                or (
                    found[1] == parent_indent
                    and not in_list
                    and (
                        self.lines[found[0]].startswith("- ", found[1])
                        or self.lines[found[0]][found[1] :] == "-"
                    )
                )
            ):
                if in_list:
                    raise _UnsureError
                return self.block(found[0], found[1], loc, depth + 1)
            self.count()
            return None
        first = line[start]
        self.index = index + 1
        self.count()
        if in_list:
            self.entries.append((loc, position))
        if first in "|>":
            return self.block_text(index, start, parent_indent)
        if first == '"':
            end = line.find('"', start + 1)
            if end < 0 or "\\" in line[start:end]:
                raise _UnsureError
            self.line_end(line, end + 1)
            return line[start + 1 : end]
        if first == "'":
            end = start + 1
            while True:
                end = line.find("'", end)
                if end < 0:
                    raise _UnsureError
                if line.startswith("''", end):
                    end += 2
                    continue
                break
            self.line_end(line, end + 1)
            return line[start + 1 : end].replace("''", "'")
        if first in "[{":
            self.count_back()
            flow = _FlowReader(line, index, self, depth + 1)
            result = flow.node(start, loc, record=False)
            self.line_end(line, flow.position)
            return result
        if _PLAIN_FIRST.match(line, start) is None:
            raise _UnsureError
        return self.plain(index, start, parent_indent, in_list)

    def count_back(self) -> None:
        self.nodes -= 1  # a flow collection counts itself

    @staticmethod
    def line_end(line: str, position: int) -> None:
        """Only spaces and a comment may follow a value on its line."""
        rest = line[position:]
        stripped = rest.lstrip(" ")
        if stripped and not (stripped.startswith("#") and len(stripped) < len(rest)):
            raise _UnsureError

    def plain(self, index: int, start: int, parent_indent: int, in_list: bool) -> Any:
        """A plain value, on one line or folded over the more-indented lines that follow."""
        line = self.lines[index]
        comment = line.find(" #", start)
        text = (line[start:comment] if comment >= 0 else line[start:]).rstrip(" ")
        if ": " in text or text.endswith(":"):
            if in_list:  # `- a b: c` is a mapping in a list: valid YAML the fast reader leaves
                raise _UnsureError
            colon = text.index(": ") if ": " in text else len(text) - 1
            self.colons.append((index, start + colon))
            return text  # read on as if the text were quoted
        # More-indented lines continue the value, unless a comment came first (then they are
        # an error the complete reader reports). A list item's continuation is indented at
        # least as far as the item's text.
        least = start if in_list else parent_indent + 1
        parts = [text]
        blank = 0
        commented = comment >= 0
        lines = self.lines
        follow = index + 1
        end = follow
        while follow < len(lines):
            nxt = lines[follow]
            stripped = nxt.strip(" ")
            follow += 1
            if not stripped:
                blank += 1
                continue
            indent = len(nxt) - len(nxt.lstrip(" "))
            if indent <= parent_indent:
                break
            if stripped.startswith("#"):
                commented = True
                continue
            if (
                commented
                or indent < least
                or _CONTINUATION_FIRST.match(stripped) is None
                or ": " in stripped
                or stripped.endswith(":")
                or " #" in stripped
            ):
                raise _UnsureError
            parts.append("\n" * blank if blank else " ")
            parts.append(stripped)
            blank = 0
            end = follow
        if len(parts) == 1:
            return resolve_plain(text)
        self.index = end
        return "".join(parts)

    def block_text(self, index: int, start: int, parent_indent: int) -> str:
        """A ``|``, ``|-``, ``>`` or ``>-`` scalar whose indicator is at ``start``."""
        line = self.lines[index]
        style = line[start]
        chomp = line[start + 1 : start + 2]
        header_end = start + 1
        if chomp == "-":
            header_end += 1
        elif chomp not in ("", " "):
            raise _UnsureError  # keep (+) or an explicit indentation indicator
        self.line_end(line, header_end)
        lines = self.lines
        follow = index + 1
        content: list[str] = []
        indent = -1
        trailing_blank = 0
        while follow < len(lines):
            text = lines[follow]
            stripped = text.lstrip(" ")
            width = len(text) - len(stripped)
            if not stripped:
                if indent < 0 or width > indent:
                    raise _UnsureError  # leading blank lines, or spaces that belong to the text
                content.append("")
                trailing_blank += 1
                follow += 1
                continue
            if indent < 0:
                if width <= parent_indent:
                    raise _UnsureError  # empty block text
                indent = width
            if width < indent:
                break
            if width > indent and style == ">":
                raise _UnsureError  # more-indented lines keep their breaks in folded text
            content.append(text[indent:])
            trailing_blank = 0
            follow += 1
        if indent < 0:
            raise _UnsureError
        if trailing_blank:
            del content[-trailing_blank:]
        self.index = follow
        if style == "|":
            body = "\n".join(content)
        else:
            pieces: list[str] = []
            blanks = 0
            for piece in content:
                if not piece:
                    blanks += 1
                    continue
                if pieces:
                    pieces.append("\n" * blanks if blanks else " ")
                pieces.append(piece)
                blanks = 0
            body = "".join(pieces)
        # Clipping keeps the final line break, if the text has one (not at the end of a file
        # without a final line break).
        ends_file = follow == len(lines) and not trailing_blank
        return body if chomp == "-" or ends_file else body + "\n"


class _FlowReader:
    """A one-line ``{...}`` or ``[...]`` (nested ones too), plain or quoted scalars inside."""

    def __init__(self, line: str, index: int, reader: _FastReader, depth: int) -> None:
        self.line = line
        self.index = index
        self.reader = reader
        self.depth = depth
        self.position = 0

    def skip_spaces(self) -> None:
        line = self.line
        while self.position < len(line) and line[self.position] == " ":
            self.position += 1

    def node(self, start: int, loc: Location, record: bool) -> Any:
        line = self.line
        reader = self.reader
        if record:
            reader.entries.append((loc, (self.index + 1, start + 1)))
        reader.count()
        char = line[start]
        if char in "[{":
            if self.depth > MAX_DEPTH:
                raise _UnsureError
            self.depth += 1
            try:
                return self.mapping(start, loc) if char == "{" else self.sequence(start, loc)
            finally:
                self.depth -= 1
        if char == '"':
            end = line.find('"', start + 1)
            if end < 0 or "\\" in line[start:end]:
                raise _UnsureError
            self.position = end + 1
            return line[start + 1 : end]
        if char == "'":
            end = line.find("'", start + 1)
            if end < 0 or line.startswith("''", end):
                raise _UnsureError
            self.position = end + 1
            return line[start + 1 : end]
        match = _FLOW_PLAIN.match(line, start)
        if match is None:
            raise _UnsureError
        text = match.group().rstrip(" ")
        if not text:
            raise _UnsureError
        self.position = start + len(text)
        return resolve_plain(text)

    def sequence(self, start: int, loc: Location) -> list[Any]:
        out: list[Any] = []
        self.position = start + 1
        self.skip_spaces()
        if self.line.startswith("]", self.position):
            self.position += 1
            return out
        while True:
            if self.position >= len(self.line):
                raise _UnsureError
            out.append(self.node(self.position, (*loc, len(out)), record=True))
            self.skip_spaces()
            if self.line.startswith("]", self.position):
                self.position += 1
                return out
            if not self.line.startswith(", ", self.position):
                raise _UnsureError
            self.position += 1
            self.skip_spaces()
            if self.line.startswith(("]", ","), self.position):
                raise _UnsureError

    def mapping(self, start: int, loc: Location) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        line = self.line
        self.position = start + 1
        self.skip_spaces()
        if line.startswith("}", self.position):
            self.position += 1
            return out
        while True:
            key_start = self.position
            match = _FLOW_PLAIN.match(line, key_start)
            if match is None or not line.startswith(": ", key_start + len(match.group())):
                raise _UnsureError
            text = match.group()
            if text != text.rstrip(" "):
                raise _UnsureError
            key = resolve_plain(text)
            if key in out or not isinstance(key, str | int) or isinstance(key, bool):
                raise _UnsureError
            if text == "<<":
                raise _UnsureError
            self.reader.entries.append(((*loc, key), (self.index + 1, key_start + 1)))
            self.position = key_start + len(text) + 1
            self.skip_spaces()
            if self.position >= len(line) or line[self.position] in ",}":
                raise _UnsureError
            out[key] = self.node(self.position, (*loc, key), record=False)
            self.skip_spaces()
            if line.startswith("}", self.position):
                self.position += 1
                return out
            if not line.startswith(", ", self.position):
                raise _UnsureError
            self.position += 1
            self.skip_spaces()
            if line.startswith(("}", ","), self.position):
                raise _UnsureError


def _fast_parse(text: str) -> tuple[Any, SourceMap] | None:
    """The data and source map of ``text`` if the fast reader can read all of it, else None."""
    if _FAST_CHARACTERS.search(text) is not None or _DOCUMENT_MARKER.search(text) is not None:
        return None
    reader = _FastReader(text)
    try:
        result = reader.read()
    except (_UnsureError, _NumberTooLongError, RecursionError):
        return None
    return None if reader.colons else result


# --- Parsing with hints ---------------------------------------------------------------------

MAX_QUOTING_HINTS = 20
"""Most lines of one file diagnosed as text that needs quotes (each costs one more parse)."""

QUOTING_HINT_SECONDS = 5.0
"""Time after which no further line is diagnosed as needing quotes [s] (a large file with many
such lines reports those found so far; fixing them and running again finds the rest)."""

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
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
    opened = exc.context_mark
    if opened is not None and mark is not None and opened.line != mark.line:
        what += f" (the structure starts at line {opened.line + 1}, column {opened.column + 1})"
    if exc.problem == "mapping values are not allowed here":
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


def _read(text: str, file: str) -> tuple[Any, SourceMap]:
    """The fast reader if it can, else the complete one."""
    if _FAST_CHARACTERS.search(text) is None and _DOCUMENT_MARKER.search(text) is None:
        reader = _FastReader(text)
        result: tuple[Any, SourceMap] | None
        try:
            result = reader.read()
        except (_UnsureError, _NumberTooLongError, RecursionError):
            result = None
        if reader.colons:
            from ruamel.yaml.error import FileMark, MarkedYAMLError

            raise _ColonsInTextError(
                [
                    MarkedYAMLError(
                        problem="mapping values are not allowed here",
                        problem_mark=FileMark(file, 0, line, column),
                    )
                    for line, column in reader.colons
                ]
            )
        if result is not None:
            return result
    return _slow_parse(text, file)


def _yaml_error_kind(exc: Exception) -> str | None:
    """``located`` for ruamel.yaml's error with a place in the file, ``other`` for its other
    errors, None for anything else. ruamel.yaml is not imported to tell: if it has not been
    imported, it cannot have raised."""
    errors = sys.modules.get("ruamel.yaml.error")
    if errors is None:
        return None
    if isinstance(exc, errors.MarkedYAMLError):
        return "located"
    return "other" if isinstance(exc, errors.YAMLError) else None


def plain_yaml(text: str, file: str) -> Any:
    """The plain data of a YAML document the project ships (a reference table): the fast reader
    where it can, ruamel.yaml's parser where it cannot. Errors are raised, not diagnosed: a
    shipped file is checked by the tests, not by its reader."""
    return _read(text, file)[0]


def _parse(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse ``text`` into plain data and its source map.

    A line whose text value breaks the YAML because it is not quoted is diagnosed with the
    quoted line to write instead; the value is then quoted in memory and parsing goes on, so
    that every such line is reported at once, with the path of its key.
    """
    parts = _LINE_BREAK.split(text)
    original = parts[::2]
    lines = list(original)
    hints: list[_QuotingHint] = []
    problems: list[Problem] = []
    result: tuple[Any, SourceMap] | None = None
    started = time.perf_counter()
    stop = False
    while not stop:
        try:
            result = _read("".join(parts), file)
            break
        except _ColonsInTextError as found:
            errors = found.errors
        except ScenarioError as exc:
            problems.extend(exc.problems)
            break
        except Exception as exc:
            kind = _yaml_error_kind(exc)
            if kind is None:
                raise
            if kind == "located":
                errors = [exc]  # type: ignore[list-item]  # a MarkedYAMLError
            else:
                problems.append(Problem(file, 1, 1, "", f"not valid YAML: {visible(str(exc))}"))
                break
        for error in errors:  # in file order; the first that is not unquoted text ends the search
            in_time = time.perf_counter() - started < QUOTING_HINT_SECONDS
            hint = (
                _quoting_hint(lines, error) if len(hints) < MAX_QUOTING_HINTS and in_time else None
            )
            mark = error.problem_mark
            failed = next((h for h in hints if mark is not None and h.index == mark.line), None)
            if failed is not None:  # quoting did not repair the line: report what YAML said
                hints.remove(failed)
                problems.append(_yaml_error(file, failed.error, original))
                stop = True
                break
            if hint is None:
                if not hints or in_time:
                    problems.append(_yaml_error(file, error, original))
                stop = True
                break
            hints.append(hint)
            lines[hint.index] = hint.fixed
            parts[2 * hint.index] = hint.fixed
    if result is not None and not hints and not problems:
        return result
    paths: dict[tuple[int, int], str] = {}
    if result is not None:
        paths = {position: _dotted(loc) for loc, position in result[1].items()}
    for hint in hints:
        path = paths.get((hint.index + 1, hint.key_column), "")
        problems.append(Problem(file, hint.index + 1, hint.column, path, hint.message))
    raise ScenarioError(problems)
