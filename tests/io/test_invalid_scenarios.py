"""Every broken scenario in ``tests/invalid/`` is refused with a located, actionable problem.

Each ``tests/invalid/*.yaml`` file (except ``_base_valid.yaml``) is the minimal valid scenario
``_base_valid.yaml`` with ONE defect, and starts with a header of YAML comments saying what the
loader must report::

    # Defect: deadweight written as a percentage (3.5) instead of a fraction
    # expect-line: 72
    # expect: options[1].benefits[0].deadweight
    # expect: 0.035

``expect-line`` is the 1-based line the problem must be located at (0 for a problem about the
whole file, such as an empty file). Every ``expect:`` fragment that follows it must appear,
case-sensitively, in the problem's ``path: message`` text (the file name is left out so that it
cannot match by accident). Exactly one problem must be reported, unless the header says
``# expect-count: N``; a file with several defects repeats the ``expect-line:`` block once per
problem, and each block must be matched by a different problem (``three_defects.yaml``).

Two cases are generated at runtime into ``tmp_path`` instead of being committed:

* an empty (0-byte) file, which cannot carry an expectation header;
* a file over the 1 MiB size limit, to keep a 1 MiB file out of the repository.

Cases where the loader does not (yet) give the message a user deserves are listed in
``KNOWN_LOADER_GAPS`` and marked ``xfail(strict=True)``: the expectation in the file is the one
the loader should meet, not the one it currently meets.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import cba
from cba import ScenarioError, load_scenario
from cba.io.problems import Problem

INVALID_DIR = Path(__file__).resolve().parent.parent / "invalid"
BASE = INVALID_DIR / "_base_valid.yaml"
MAX_SECONDS = 5.0
"""Every file, including the alias bomb, must be refused within this time [s]."""
MIB = 1_048_576
"""The documented size limit of a scenario file [bytes]."""

KNOWN_LOADER_GAPS: dict[str, str] = {}


@dataclass(frozen=True)
class Expectation:
    """One problem the loader must report."""

    line: int
    fragments: tuple[str, ...]


@dataclass(frozen=True)
class Header:
    """The expectations stated in a file's comment header."""

    expectations: tuple[Expectation, ...]
    count: int


_HEADER_LINE = re.compile(r"^#\s*(expect-line|expect-count|expect):\s?(.*?)\s*$")


def parse_header(path: Path) -> Header:
    """Read the ``# expect...`` comments at the top of ``path``."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    expectations: list[Expectation] = []
    line: int | None = None
    fragments: list[str] = []
    count: int | None = None
    for raw in text.splitlines():
        if not raw.startswith("#"):
            break
        match = _HEADER_LINE.match(raw)
        if match is None:
            continue
        key, value = match.groups()
        if key == "expect-count":
            count = int(value)
        elif key == "expect-line":
            if line is not None:
                expectations.append(Expectation(line, tuple(fragments)))
            line, fragments = int(value), []
        else:
            assert line is not None, f"{path.name}: '# expect:' before '# expect-line:'"
            fragments.append(value)
    if line is not None:
        expectations.append(Expectation(line, tuple(fragments)))
    assert expectations, f"{path.name}: no '# expect-line:' header"
    assert all(e.fragments for e in expectations), f"{path.name}: an expectation has no fragment"
    return Header(tuple(expectations), count if count is not None else 1)


def _text(problem: Problem) -> str:
    return f"{problem.path}: {problem.message}" if problem.path else problem.message


def _matches(problem: Problem, expectation: Expectation) -> bool:
    return problem.line == expectation.line and all(
        fragment in _text(problem) for fragment in expectation.fragments
    )


def check_refused(path: Path, header: Header) -> list[Problem]:
    """Load ``path``, expect a ScenarioError meeting ``header``; return its problems."""
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    elapsed = time.perf_counter() - started
    problems = info.value.problems
    report = "\n".join(str(p) for p in problems) or "(no problems)"

    assert elapsed < MAX_SECONDS, f"took {elapsed:.1f} s to refuse:\n{report}"
    assert all(p.file == str(path) for p in problems), report
    unmatched = list(problems)
    for expectation in header.expectations:
        found = next((p for p in unmatched if _matches(p, expectation)), None)
        assert found is not None, (
            f"no problem at line {expectation.line} containing {list(expectation.fragments)}; "
            f"got:\n{report}"
        )
        unmatched.remove(found)
    assert len(problems) == header.count, (
        f"expected {header.count} problem(s), got {len(problems)}:\n{report}"
    )
    return problems


def _invalid_files() -> list[Path]:
    return sorted(p for p in INVALID_DIR.glob("*.yaml") if p != BASE)


def _cases() -> list[object]:
    cases = []
    for path in _invalid_files():
        reason = KNOWN_LOADER_GAPS.get(path.stem)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        cases.append(pytest.param(path, id=path.stem, marks=marks))
    return cases


def test_base_scenario_is_valid() -> None:
    scenario = load_scenario(BASE)
    assert scenario.id == "minimal"
    assert len(scenario.options) == 2
    cba.run(scenario)


def test_enough_invalid_files_each_with_a_header() -> None:
    files = _invalid_files()
    assert len(files) >= 30
    for path in files:
        parse_header(path)
    assert set(KNOWN_LOADER_GAPS) <= {p.stem for p in files}


@pytest.mark.parametrize("path", _cases())
def test_invalid_scenario_is_refused_with_located_problem(path: Path) -> None:
    check_refused(path, parse_header(path))


def test_three_independent_defects_are_all_reported_at_once() -> None:
    path = INVALID_DIR / "three_defects.yaml"
    header = parse_header(path)
    assert header.count == 3
    assert len(header.expectations) == 3
    problems = check_refused(path, header)
    assert sorted(p.line for p in problems) == sorted(e.line for e in header.expectations)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    # Generated here: a committed empty file could not carry an expectation header.
    path = tmp_path / "empty.yaml"
    path.write_bytes(b"")
    header = Header((Expectation(0, ("the file is empty", 'cba_scenario: "1.0"')),), 1)
    check_refused(path, header)


def test_whitespace_only_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "blank.yaml"
    path.write_text("\n   \n\t\n")
    check_refused(path, Header((Expectation(0, ("the file is empty",)),), 1))


def test_file_over_size_limit_is_refused(tmp_path: Path) -> None:
    # Generated here rather than committing a 1 MiB file: the valid base scenario, padded with
    # comment lines until it is just over the limit.
    path = tmp_path / "huge.yaml"
    text = BASE.read_text()
    padding = "# padding padding padding padding padding padding padding padding padding\n"
    text += padding * ((MIB - len(text.encode())) // len(padding) + 1)
    path.write_text(text)
    assert MIB < path.stat().st_size < MIB + len(padding) + 1
    header = Header((Expectation(0, ("over the 1,048,576-byte limit",)),), 1)
    check_refused(path, header)


def _problems(path: Path) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.problems


def test_no_message_ends_with_a_dangling_colon() -> None:
    for path in _invalid_files():
        for problem in _problems(path):
            assert not problem.message.rstrip().endswith(":"), str(problem)


@pytest.mark.parametrize(
    "name",
    [
        "unquoted_colon_in_text",
        "unquoted_colons_on_two_lines",
        "text_after_closing_quote",
        "unquoted_colon_in_list_item",
    ],
)
def test_quoting_hint_points_where_the_quote_goes_and_its_fix_loads(
    name: str, tmp_path: Path
) -> None:
    # The problem's column is where the text starts; writing the suggested quoted text there
    # gives a valid scenario.
    path = INVALID_DIR / f"{name}.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    problems = _problems(path)
    for problem in problems:
        suggestion = problem.message.split("Put the whole text in quotes: ", 1)[1]
        quoted = suggestion[
            min(i for i in (suggestion.find("'"), suggestion.find('"')) if i >= 0) :
        ]
        line = lines[problem.line - 1]
        assert line[problem.column - 1 :].lstrip("'\"").startswith(quoted.strip("'\"")[:5])
        lines[problem.line - 1] = line[: problem.column - 1] + quoted
    fixed = tmp_path / f"{name}.yaml"
    fixed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load_scenario(fixed)
