"""A seeded fuzz of the ``cba`` command over mutated example scenarios, bounded for CI.

Each case takes an example from ``scenarios/``, applies one to three mutations (a value swapped
for an extreme, a wrong type or hostile text; a key deleted; a line deleted, duplicated or cut;
stray bytes), and runs ``cba run`` on it (now and then ``cba scale`` or ``cba validate``),
in-process through :func:`cba.cli.main`, and a few through a real ``python -m cba``. Whatever
the input:

- the exit code is 0 or 2 (never 1, an internal error), and stderr holds no traceback;
- on exit 2, nothing was written to the output folder;
- on exit 0, the workbook and the JSON results both exist, the JSON names the workbook by its
  digests, and neither holds an infinite or NaN figure (the JSON is parsed strictly; every
  numeric ``<v>`` of every worksheet is a finite number).

``CBA_FUZZ_CASES`` runs more cases (``CBA_FUZZ_CASES=2000 pytest tests/test_cli_fuzz.py``);
``CBA_FUZZ_SEED`` another seed. A failing case prints its seed, number and mutations, and the
scenario text is kept under the test's tmp_path to rerun by hand.
"""

from __future__ import annotations

import io
import json
import math
import os
import random
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cba.cli import main
from cba.io.workbook.package import content_digest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))
SEED = int(os.environ.get("CBA_FUZZ_SEED", "20260801"))
CASES = int(os.environ.get("CBA_FUZZ_CASES", "90"))
SUBPROCESS_CASES = 4

EXTREMES: tuple[Any, ...] = (
    0,
    -1,
    1,
    0.5,
    1.5,
    -0.0,
    1e308,
    -1e308,
    1e-308,
    5e-324,
    1e20,
    10**30,
    2**63,
    -(2**63),
    float("inf"),
    float("-inf"),
    float("nan"),
    "",
    "x",
    "20%",
    "1e400",
    ":smile: [bold]x[/bold] :100:",
    "=1+1",
    "\u202egnp.exe",
    None,
    True,
    [],
    {},
    [1, 2, 3],
    {"law": "power", "elasticity": 9},
)
TEXT_JUNK = (
    "\x00",
    "\x1b[31m",
    "\t",
    "\r",
    "\ufeff",
    "&",
    "*a",
    "!!python/object:os.system",
    "{",
    "- ",
)

Leaf = tuple[Any, Any]  # (container, key or index)


def _leaves(node: Any, found: list[Leaf]) -> None:
    items: Any = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in list(items):
        found.append((node, key))
        if isinstance(value, dict | list):
            _leaves(value, found)


def _load(text: str) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(text)


def _dump(data: Any) -> str:
    from ruamel.yaml import YAML

    stream = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.dump(data, stream)
    return stream.getvalue()


def mutate_value(rng: random.Random, text: str) -> tuple[str, str]:
    data = _load(text)
    leaves: list[Leaf] = []
    _leaves(data, leaves)
    container, key = rng.choice(leaves)
    old = container[key]
    if isinstance(old, int | float) and not isinstance(old, bool) and rng.random() < 0.5:
        new: Any = old * 10.0 ** rng.choice((-300, -12, -6, -3, 3, 6, 12, 100, 300))
    else:
        new = rng.choice(EXTREMES)
    container[key] = new
    return _dump(data), f"value {key!r}: {old!r} -> {new!r}"


def delete_key(rng: random.Random, text: str) -> tuple[str, str]:
    data = _load(text)
    leaves: list[Leaf] = []
    _leaves(data, leaves)
    container, key = rng.choice(leaves)
    del container[key]
    return _dump(data), f"delete {key!r}"


def duplicate_item(rng: random.Random, text: str) -> tuple[str, str]:
    data = _load(text)
    leaves: list[Leaf] = []
    _leaves(data, leaves)
    lists = [(c, k) for c, k in leaves if isinstance(c[k], list) and c[k]]
    if not lists:
        return text, "no list to duplicate in"
    container, key = rng.choice(lists)
    container[key].append(container[key][0])
    return _dump(data), f"duplicate first item of {key!r}"


def line_edit(rng: random.Random, text: str) -> tuple[str, str]:
    lines = text.splitlines(keepends=True)
    index = rng.randrange(len(lines))
    kind = rng.choice(("delete", "duplicate", "cut", "junk", "indent"))
    if kind == "delete":
        del lines[index]
    elif kind == "duplicate":
        lines.insert(index, lines[index])
    elif kind == "cut":
        return text[: rng.randrange(len(text))], "cut"
    elif kind == "junk":
        junk = rng.choice(TEXT_JUNK)
        at = rng.randrange(len(lines[index]) + 1)
        lines[index] = lines[index][:at] + junk + lines[index][at:]
        kind = f"junk {junk!r}"
    else:
        lines[index] = " " + lines[index]
    return "".join(lines), f"line {index + 1}: {kind}"


MUTATIONS: tuple[Callable[[random.Random, str], tuple[str, str]], ...] = (
    mutate_value,
    mutate_value,
    mutate_value,
    delete_key,
    duplicate_item,
    line_edit,
)


def make_case(rng: random.Random) -> tuple[Path, str, list[str]]:
    """An example, its mutated text, and the mutations applied."""
    example = rng.choice(EXAMPLES)
    text = example.read_text(encoding="utf-8")
    applied: list[str] = []
    for _ in range(rng.randint(1, 3)):
        mutation = rng.choice(MUTATIONS)
        try:
            text, what = mutation(rng, text)
        except Exception as exc:  # the text no longer parses: only text edits apply
            text, what = line_edit(rng, text)
            what += f" (after {type(exc).__name__})"
        applied.append(what)
    return example, text, applied


_CELL = re.compile(rb"<c ([^>]*)>(?:<f>.*?</f>|<f[^>]*/>)?<v>([^<]*)</v>", re.DOTALL)
_TYPE = re.compile(rb'\bt="([^"]*)"')


def non_finite_cells(book: bytes) -> list[str]:
    """Numeric cached values of the workbook's worksheets that are not finite numbers."""
    bad: list[str] = []
    with zipfile.ZipFile(io.BytesIO(book)) as archive:
        for name in archive.namelist():
            if not name.startswith("xl/worksheets/sheet"):
                continue
            for attributes, value in _CELL.findall(archive.read(name)):
                kind = _TYPE.search(attributes)
                if kind is not None and kind.group(1) not in (b"n",):
                    continue
                try:
                    number = float(value)
                except ValueError:
                    bad.append(f"{name}: {attributes!r} {value!r}")
                    continue
                if not math.isfinite(number):
                    bad.append(f"{name}: {attributes!r} {value!r}")
    return bad


def _strict(constant: str) -> Any:
    raise AssertionError(f"non-finite JSON constant {constant}")


def check_outcome(code: int, err: str, out_folder: Path, where: str, writes: bool = True) -> None:
    """The properties every case must have (see the module's description)."""
    assert code in (0, 2), f"{where}: exit {code}\n{err}"
    assert "Traceback" not in err, f"{where}:\n{err}"
    assert "internal error" not in err, f"{where}:\n{err}"
    written = sorted(out_folder.iterdir()) if out_folder.exists() else []
    if code == 2 or not writes:
        assert written == [], f"{where}: exit 2 but wrote {written}\n{err}"
        return
    books = [p for p in written if p.suffix == ".xlsx"]
    results = [p for p in written if p.suffix == ".json"]
    diagrams = [p for p in written if p.name.endswith((".strategy-map.svg", ".strategy-map.png"))]
    assert len(books) == len(results) == 1, f"{where}: {written}"
    assert len(written) == 2 + len(diagrams) and len(diagrams) in (0, 2), f"{where}: {written}"
    book, json_path = books[0], results[0]
    assert book.stem == json_path.stem
    data = book.read_bytes()
    text = json_path.read_text(encoding="utf-8")
    document = json.loads(text, parse_constant=_strict)
    assert document["workbook"]["content_digest"] == content_digest(data), where
    assert not non_finite_cells(data), f"{where}: {non_finite_cells(data)[:5]}"


def _command(rng: random.Random, example: Path, scenario: Path, out_folder: Path) -> list[str]:
    roll = rng.random()
    if roll < 0.08:
        return ["validate", str(scenario)]
    if roll < 0.16 and "scale" in example.name:
        return ["scale", str(scenario)]
    return ["run", str(scenario), "-o", str(out_folder), *(["-q"] if roll > 0.7 else [])]


def test_cli_fuzz_in_process(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    rng = random.Random(SEED)
    outcomes = {0: 0, 2: 0}
    for number in range(CASES):
        example, text, applied = make_case(rng)
        case = tmp_path / f"case{number:04d}"
        case.mkdir()
        scenario = case / example.name
        scenario.write_text(text, encoding="utf-8", errors="surrogateescape")
        out_folder = case / "out"
        args = _command(rng, example, scenario, out_folder)
        monkeypatch.setenv("COLUMNS", str(rng.choice((80, 120, 200))))
        capsys.readouterr()
        code = main(args)
        _, err = capsys.readouterr()
        where = f"seed {SEED} case {number} ({example.name}; {'; '.join(applied)}): cba {args}"
        check_outcome(code, err, out_folder, where, writes=args[0] == "run")
        outcomes[code] += 1
    # The mutations are neither all fatal nor all harmless: both outcomes are exercised (most
    # are fatal: about one case in ten to twelve runs to the end).
    assert outcomes[0] >= CASES // 20 and outcomes[2] >= CASES // 10, outcomes


def test_cli_fuzz_subprocess(tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    for number in range(SUBPROCESS_CASES):
        example, text, applied = make_case(rng)
        case = tmp_path / f"case{number:04d}"
        case.mkdir()
        scenario = case / example.name
        scenario.write_text(text, encoding="utf-8", errors="surrogateescape")
        out_folder = case / "out"
        args = ["run", str(scenario), "-o", str(out_folder)]
        done = subprocess.run(
            [sys.executable, "-m", "cba", *args],
            cwd=case,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        where = f"seed {SEED + 1} subprocess case {number} ({example.name}; {'; '.join(applied)})"
        check_outcome(done.returncode, done.stderr, out_folder, where)
