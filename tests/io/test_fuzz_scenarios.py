"""A seeded fuzzer over the example scenarios and the YAML attacks of issue 8.

Each case mutates an example scenario (a value, a key, a line, a character, the end of the file,
an attack block appended) with a fixed-seed generator, so the run is the same everywhere and
takes a bounded time. For every mutated file:

- ``cba.load_scenario`` returns a Scenario or raises ``cba.ScenarioError``, never anything else;
- every problem is located (line > 0; only whole-file problems such as an empty file are not);
- no message holds a character that does not print or a Python repr;
- a file that validates runs, and every float in its Results is finite;
- where the fast reader reads a file, the complete reader reads the same data and positions.

``CBA_FUZZ_CASES`` sets the number of cases (default 300, about 15 s); ``CBA_FUZZ_SEED`` the
seed. A failure names the case's seed and index, and shows the start of the mutated file.
"""

from __future__ import annotations

import os
import random
import re
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

import cba
from cba.io import yaml_loader
from cba.io.problems import MAX_PROBLEMS_SHOWN
from tests.io.test_loader_hardening import REPR_MARKERS, same_data
from tests.io.test_plausibility_bounds import non_finite

ROOT = Path(__file__).resolve().parent.parent.parent
SOURCES = [
    *sorted((ROOT / "scenarios").glob("*.yaml")),
    ROOT / "tests" / "invalid" / "_base_valid.yaml",
]
SEED = int(os.environ.get("CBA_FUZZ_SEED", "20261201"))
CASES = int(os.environ.get("CBA_FUZZ_CASES", "300"))
BATCHES = 6

NASTY_VALUES = [
    "1e308",
    "-1e308",
    "1.8e308",
    "5e-324",
    "-5e-324",
    "1e-320",
    ".inf",
    "-.inf",
    ".nan",
    "0",
    "-0",
    "-1",
    "99999999999999999999999",
    "9" * 5000,
    "0x1F",
    "0o17",
    "0b101",
    "1_000",
    "___",
    "-_",
    "0b",
    "+.5",
    "1e12",
    "1000000000000.5",
    "1e9",
    "8784",
    "8785",
    "0.001",
    "0.0009",
    "1e-9",
    "2",
    "1.0000001",
    "2500",
    "2501",
    "1899",
    "true",
    "false",
    "yes",
    "~",
    "null",
    "",
    "[]",
    "{}",
    "[[[[[[[[[[]]]]]]]]]]",
    "{a: {b: {c: {d: 1}}}}",
    '"\\e[2J\\e[H"',
    '"\\0"',
    '"\\x7f"',
    '"\\x85"',
    '"\\u202e"',
    '"\\ud800"',
    '"\\udfff\\ud800"',
    '"a\\tb\\nc"',
    '"\\r"',
    "'<<'",
    "!!int abc",
    "!!float x",
    "!!bool maybe",
    "!!binary aGk=",
    "!!python/object/apply:os.system [echo]",
    "!!omap [a: 1]",
    "!!str 3",
    "!custom x",
    "! x",
    "*undefined",
    "&a x",
    "a: b",
    '"a: b"',
    "- x",
    "|",
    ">-",
    "2024-01-01",
    "2024-01-01 10:00:00",
    "{council: 0.5, police: 0.5}",
    "{confidence_grade: 7}",
    "{law: table, points: [{n: 0, value: 0}, {n: 1, value: 0}]}",
    "{law: coordination, form: pairwise}",
    "{law: power, elasticity: 5}",
    "{category: equipment_development}",
    "green_book_2026_lower_rate",
    "health",
    "1e-300",
    "3.5%",
    "£3,000",
    "20%",
]
NASTY_KEYS = [
    "<<",
    "~",
    "null",
    "2024",
    "true",
    "1.5",
    '"\\e[31m"',
    '"\\ud800"',
    '"ti\\x00tle"',
    "? [a, b]\n",
    "!!str id",
    "&k key",
    "end_year",
    "amount",
    "unknown_key",
    "id",
    "name",
]
NASTY_CHARACTERS = [
    "\x00",
    "\x1b",
    "\x07",
    "\x7f",
    "\x85",
    "\u2028",
    "\ufeff",
    "\t",
    "\r",
    "\ud7ff",
]
ATTACKS = [
    "x: " + "[" * 3000 + "]" * 3000 + "\n",
    "x:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 400)),
    "x:\n  " + "- " * 2000 + "a\n",
    "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n"
        for i in range(7)
    ),
    "m: &m {a: 1, b: 2}\nn: {<<: *m, c: 3}\n",
    "---\nsecond: document\n",
    "x: !!python/object/apply:os.system [echo hi]\n",
    "x: !!set {a, b}\n",
    "? {complex: key}\n: value\n",
    "x: *nowhere\n",
    "x: &r [*r]\n",
]


def _values(text: str) -> list[re.Match[str]]:
    return list(re.finditer(r"^( *(?:- )?[A-Za-z_][\w-]*: )(\S.*)$", text, re.M))


def replace_value(rng: random.Random, text: str) -> str:
    matches = _values(text)
    if not matches:
        return text
    match = rng.choice(matches)
    return text[: match.start(2)] + rng.choice(NASTY_VALUES) + text[match.end(2) :]


PLAUSIBLE_NUMBERS = ["0", "0.001", "0.5", "1", "2", "10", "1e6", "1e9", "1e12", "0.999999"]


def tweak_number(rng: random.Random, text: str) -> str:
    """A number replaced by another, often still valid (an amount at its bound)."""
    matches = list(
        re.finditer(r"(?<=: )-?[0-9][0-9.]*(?:e[-+]?[0-9]+)?(?=\s*(?:#.*)?$)", text, re.M)
    )
    if not matches:
        return text
    match = rng.choice(matches)
    return text[: match.start()] + rng.choice(PLAUSIBLE_NUMBERS) + text[match.end() :]


def cosmetic(rng: random.Random, text: str) -> str:
    """Comments, blank lines and trailing spaces: the same scenario, written differently."""
    lines = text.split("\n")
    for _ in range(rng.randrange(1, 6)):
        index = rng.randrange(len(lines))
        choice = rng.randrange(3)
        if choice == 0:
            lines.insert(index, " " * rng.randrange(12) + "# a comment: with [brackets] & 'quotes'")
        elif choice == 1:
            lines.insert(index, " " * rng.randrange(4))
        else:
            lines[index] += " " * rng.randrange(1, 3) + rng.choice(["", "# note"])
    return "\n".join(lines)


def replace_key(rng: random.Random, text: str) -> str:
    matches = list(re.finditer(r"^( *(?:- )?)([A-Za-z_][\w-]*)(:)", text, re.M))
    if not matches:
        return text
    match = rng.choice(matches)
    return text[: match.start(2)] + rng.choice(NASTY_KEYS) + text[match.end(2) :]


def change_line(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    index = rng.randrange(len(lines))
    operation = rng.randrange(6)
    if operation == 0:
        del lines[index]
    elif operation == 1:
        lines.insert(index, lines[index])
    elif operation == 2 and index + 1 < len(lines):
        lines[index], lines[index + 1] = lines[index + 1], lines[index]
    elif operation == 3:
        lines[index] = " " * rng.choice([1, 2, 4]) + lines[index]
    elif operation == 4:
        lines[index] = lines[index][rng.choice([1, 2]) :]
    else:
        lines[index] = "\t" + lines[index]
    return "\n".join(lines)


def insert_character(rng: random.Random, text: str) -> str:
    index = rng.randrange(len(text) + 1)
    return text[:index] + rng.choice(NASTY_CHARACTERS) + text[index:]


def truncate(rng: random.Random, text: str) -> str:
    return text[: rng.randrange(len(text) + 1)]


def append_attack(rng: random.Random, text: str) -> str:
    return text.rstrip("\n") + "\n" + rng.choice(ATTACKS)


def alias_a_line(rng: random.Random, text: str) -> str:
    # Anchor one list item and reuse it in the same list: valid YAML, repeated ids.
    items = list(re.finditer(r"^( +)- id: (\w+)$", text, re.M))
    if not items:
        return text
    match = rng.choice(items)
    indent = match.group(1)
    anchored = text[: match.start()] + f"{indent}- &item\n{indent}  id: {match.group(2)}"
    return anchored + text[match.end() :].replace(
        f"\n{indent}- ", f"\n{indent}- *item\n{indent}- ", 1
    )


MUTATORS: list[Callable[[random.Random, str], str]] = [
    cosmetic,
    cosmetic,
    tweak_number,
    tweak_number,
    tweak_number,
    replace_value,
    replace_value,
    replace_value,
    replace_key,
    change_line,
    insert_character,
    truncate,
    append_attack,
    alias_a_line,
]

WHOLE_FILE = ("the file is empty", "the file is ")
"""Messages about the file as a whole (empty, too large): the only ones without a line."""


def _case(seed: int, index: int) -> str:
    rng = random.Random(f"{seed}:{index}")
    text = rng.choice(SOURCES).read_text(encoding="utf-8")
    for _ in range(rng.choice([1, 1, 2, 3])):
        text = rng.choice(MUTATORS)(rng, text)
    return text


def _check(path: Path, text: str) -> str:
    """Load, check the outcome, run a valid scenario; return 'valid' or 'invalid'."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            scenario = cba.load_scenario(path)
        except cba.ScenarioError as exc:
            message = str(exc)
            message.encode("utf-8")
            assert message.count("\n") <= MAX_PROBLEMS_SHOWN + 1
            for problem in exc.problems:
                shown = str(problem)
                assert shown.isprintable(), repr(shown)
                assert REPR_MARKERS.search(shown) is None, shown
                assert problem.line > 0 or problem.message.startswith(WHOLE_FILE), shown
            return "invalid"
    results = cba.run(scenario)
    assert non_finite(results) == []
    return "valid"


def _check_readers_agree(text: str) -> None:
    fast = yaml_loader._fast_parse(text)
    if fast is not None:
        assert same_data(fast, yaml_loader._slow_parse(text, "fuzz"))


@pytest.mark.parametrize("batch", range(BATCHES))
def test_mutated_scenarios_are_loaded_or_refused_with_located_problems(
    batch: int, tmp_path: Path
) -> None:
    outcomes: dict[str, int] = {}
    for index in range(batch, CASES, BATCHES):
        text = _case(SEED, index)
        path = tmp_path / f"case{index}.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            outcome = _check(path, text)
            _check_readers_agree(text)
        except Exception as exc:
            raise AssertionError(
                f"fuzz case seed={SEED} index={index}: {type(exc).__name__}: {exc}\n"
                f"--- file starts ---\n{text[:1500]!r}"
            ) from exc
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    # Both outcomes occur: the mutations neither break every file nor leave them all valid.
    assert outcomes.get("valid", 0) > 0
    assert outcomes.get("invalid", 0) > 0


def test_the_attacks_alone_are_refused(tmp_path: Path) -> None:
    base = SOURCES[-1].read_text(encoding="utf-8")
    for index, attack in enumerate(ATTACKS):
        path = tmp_path / f"attack{index}.yaml"
        path.write_text(base + attack, encoding="utf-8")
        assert _check(path, base + attack) == "invalid", attack[:60]
