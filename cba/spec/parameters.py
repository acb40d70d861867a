"""Parameter paths: a readable address for every input of a scenario, built from ids.

``options.resident_patrols.benefits.burglary_avoided.deadweight`` names the ``deadweight`` of the
benefit line ``burglary_avoided`` of the option ``resident_patrols``. Segments are mapping keys
as written in the scenario file; inside a list of things with ids (agencies, options, cost,
community-input and benefit lines) a segment is an id. A list without ids (``authors``) takes a
0-based index.

This module only addresses values in the plain data of a scenario; the changed data is then
validated as a whole, exactly like a file (``cba.with_values``).
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from typing import Any


class ParameterPathError(ValueError):
    """A path that does not lead to an input of the scenario."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def _key(node: dict[Any, Any], segment: str) -> Any:
    """The key of ``node`` a segment names: itself, or the whole number it spells where the
    mapping is keyed by years or grades (``series.2025``, ``corrections.3``)."""
    if segment in node:
        return segment
    if segment.isdigit() and int(segment) in node:
        return int(segment)
    return segment


def _step(node: Any, segment: str, path: str, walked: str, default: Any = None) -> Any:
    """The child of ``node`` named by ``segment`` (which must exist, or be a block the
    scenario leaves at its default: ``default`` is the same place with defaults filled in)."""
    if isinstance(node, dict):
        key = _key(node, segment)
        if key in node:
            return node[key]
        if isinstance(default, dict) and _key(default, segment) in default:
            node[segment] = copy.deepcopy(default[_key(default, segment)])
            return node[segment]
        raise ParameterPathError(path, _no_such(segment, [str(k) for k in node], walked, "key"))
    if isinstance(node, list):
        ids = [
            item["id"]
            for item in node
            if isinstance(item, dict) and isinstance(item.get("id"), str)
        ]
        if ids and len(ids) == len(node):
            for item in node:
                if item["id"] == segment:
                    return item
            raise ParameterPathError(path, _no_such(segment, ids, walked, "id"))
        if segment.isdigit() and int(segment) < len(node):
            return node[int(segment)]
        raise ParameterPathError(
            path, f"'{walked}' is a list of {len(node)} items; address one by its 0-based index"
        )
    raise ParameterPathError(
        path, f"'{walked}' is a single value, so it has no '{segment}' inside it"
    )


def _no_such(segment: str, known: list[str], walked: str, what: str) -> str:
    guess = difflib.get_close_matches(segment, known, n=1, cutoff=0.6)
    hint = f" Did you mean '{guess[0]}'?" if guess else ""
    where = f"under '{walked}'" if walked else "at the top level"
    listed = ", ".join(sorted(known)) or "none"
    return f"no {what} '{segment}' {where}.{hint} Known: {listed}"


def apply_values(
    data: Mapping[str, Any], values: Mapping[str, Any], defaults: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A deep copy of scenario ``data`` with each ``path: value`` of ``values`` set.

    The last segment of a path may name a key the data does not have yet (an input left at
    its default); every earlier segment must exist, or be a block the data leaves at its
    default (taken from ``defaults``, the same scenario with every default written out). A
    segment naming a year or a grade (``series.2025``) addresses the whole-number key.
    Nothing is validated here.

    Raises
    ------
    ParameterPathError
        For a path that does not lead into the data, with a did-you-mean hint.
    """
    out: dict[str, Any] = copy.deepcopy(dict(data))
    for path, value in values.items():
        segments = path.split(".")
        if not path or any(not s for s in segments):
            raise ParameterPathError(path, "a parameter path is ids and keys joined by dots")
        node: Any = out
        default: Any = defaults
        walked = ""
        for segment in segments[:-1]:
            parent_default = default
            node_before = node
            node = _step(node, segment, path, walked, default)
            default = _default_child(parent_default, node_before, node, segment)
            walked = f"{walked}.{segment}" if walked else segment
        last = segments[-1]
        if isinstance(node, dict):
            node[_key(node, last)] = copy.deepcopy(value)
        elif isinstance(node, list):
            target = _step(node, last, path, walked)
            node[node.index(target)] = copy.deepcopy(value)
        else:
            raise ParameterPathError(
                path, f"'{walked}' is a single value, so it has no '{last}' inside it"
            )
    return out


def _default_child(default: Any, parent: Any, child: Any, segment: str) -> Any:
    """The place in ``defaults`` matching ``child`` (reached from ``parent`` by ``segment``)."""
    if isinstance(default, dict) and isinstance(parent, dict):
        return default.get(_key(default, segment))
    if isinstance(default, list) and isinstance(parent, list) and child in parent:
        index = next(i for i, item in enumerate(parent) if item is child)
        return default[index] if index < len(default) else None
    return None


def id_path(data: Any, loc: tuple[Any, ...]) -> str:
    """The parameter path of a location in scenario ``data``: list indices become ids where
    the list's items have them (``options[1].costs[0]`` -> ``options.resident_patrols.costs.
    coordinator``), else stay 0-based indices."""
    segments: list[str] = []
    node: Any = data
    for part in loc:
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            item = node[part]
            ids_everywhere = all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in node)
            segments.append(item["id"] if ids_everywhere else str(part))
            node = item
        elif isinstance(node, dict) and part in node:
            segments.append(str(part))
            node = node[part]
        else:
            segments.append(str(part))
            node = None
    return ".".join(segments)


def matching_paths(pattern: str, known: list[str]) -> list[str]:
    """The known paths a pattern names: ``*`` stands for any one segment
    (``options.*.community_inputs.*.value_per_hour``); a path without ``*`` names itself."""
    if "*" not in pattern:
        return [pattern]
    wanted = pattern.split(".")
    return [
        path
        for path in known
        if len(parts := path.split(".")) == len(wanted)
        and all(w == "*" or w == p for w, p in zip(wanted, parts, strict=True))
    ]


def key_of(path: str) -> str:
    """The named key of a path: its last segment, or the mapping a year or grade is a key of
    (``series`` for ``...series.2025``, ``corrections`` for ``confidence_grades.corrections.3``,
    ``index`` for ``deflator.index.2020``)."""
    parts = path.split(".")
    if (
        len(parts) >= 2
        and parts[-1].isdigit()
        and parts[-2]
        in (
            "series",
            "amount_series",
            "outcomes_series",
            "corrections",
            "index",
        )
    ):
        return parts[-2]
    return parts[-1]


def value_from_text(text: str) -> Any:
    """A value typed on a command line, read as the scenario file would read it: a whole
    number (``2025``), a number (``0.4``, ``1e6``), or else text
    (``green_book_2026_lower_rate``)."""
    import re

    if re.fullmatch(r"[-+]?[0-9]+", text):
        return int(text)
    if re.fullmatch(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?", text):
        return float(text)
    return text


def settings_from_text(text: str) -> dict[str, Any]:
    """``PATH=VALUE; PATH=VALUE`` (as a workbook's provenance records a variant) as
    ``{path: value}``."""
    settings: dict[str, Any] = {}
    for item in text.split(";"):
        path, sep, value = item.strip().partition("=")
        if sep and path.strip():
            settings[path.strip()] = value_from_text(value.strip())
    return settings
