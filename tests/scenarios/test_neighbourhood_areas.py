"""The synthetic neighbourhood table (issue 16): the generator reproduces the committed CSV byte
for byte, writes the columns and types the README promises, keeps values in plausible ranges,
and gives the deprivation gradients the evidence describes."""

from __future__ import annotations

import csv
import importlib.util
import io
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
AREAS = ROOT / "scenarios" / "areas"
SCRIPT = AREAS / "generate_neighbourhoods.py"
COMMITTED = AREAS / "neighbourhoods_300.csv"
README = AREAS / "README.md"

COLUMNS = [
    "area_id",
    "name",
    "population",
    "households",
    "imd_decile",
    "burglary_per_1000_households",
    "asb_per_1000_people",
    "volunteering_rate",
    "area_cost_index",
]
FORMATS = {
    "area_id": r"N\d{3}",
    "name": r"Neighbourhood \d{3}",
    "population": r"[1-9]\d*",
    "households": r"[1-9]\d*",
    "imd_decile": r"[1-9]|10",
    "burglary_per_1000_households": r"\d+\.\d",
    "asb_per_1000_people": r"\d+\.\d",
    "volunteering_rate": r"0\.\d{3}",
    "area_cost_index": r"[01]\.\d{3}",
}


def _load_generator() -> ModuleType:
    """The script imported by path (scenarios/ is not a package)."""
    spec = importlib.util.spec_from_file_location("generate_neighbourhoods", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return _load_generator()


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    text = COMMITTED.read_bytes().decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _floats(rows: list[dict[str, str]], column: str) -> list[float]:
    return [float(row[column]) for row in rows]


def _group_mean(rows: list[dict[str, str]], column: str, lo: int, hi: int) -> float:
    values = [float(r[column]) for r in rows if lo <= int(r["imd_decile"]) <= hi]
    return sum(values) / len(values)


def test_default_seed_reproduces_the_committed_csv_byte_for_byte(
    gen: ModuleType, tmp_path: Path
) -> None:
    written = tmp_path / "neighbourhoods_300.csv"
    gen.write_csv(written, 300, 16)
    assert written.read_bytes() == COMMITTED.read_bytes()


def test_command_line_default_run_writes_the_same_bytes(gen: ModuleType, tmp_path: Path) -> None:
    written = tmp_path / "out.csv"
    assert gen.main(["-o", str(written)]) == 0
    assert written.read_bytes() == COMMITTED.read_bytes()


def test_file_is_utf8_with_unix_line_endings_and_a_header() -> None:
    data = COMMITTED.read_bytes()
    assert b"\r" not in data
    assert data.endswith(b"\n")
    assert data.decode("utf-8").splitlines()[0] == ",".join(COLUMNS)


def test_columns_in_order_and_300_rows(rows: list[dict[str, str]]) -> None:
    assert list(rows[0].keys()) == COLUMNS
    assert len(rows) == 300
    assert [r["area_id"] for r in rows] == [f"N{i:03d}" for i in range(1, 301)]
    assert [r["name"] for r in rows] == [f"Neighbourhood {i:03d}" for i in range(1, 301)]


@pytest.mark.parametrize("column", COLUMNS)
def test_every_value_has_the_column_format(rows: list[dict[str, str]], column: str) -> None:
    pattern = re.compile(FORMATS[column])
    bad = [r[column] for r in rows if not pattern.fullmatch(r[column])]
    assert not bad, f"{column}: {bad[:5]}"


def test_values_in_plausible_ranges(rows: list[dict[str, str]]) -> None:
    for r in rows:
        population, households = int(r["population"]), int(r["households"])
        assert 5_000 <= population <= 15_000  # the MSOA design range
        assert 1.9 <= population / households <= 3.3 + 1e-3  # household size, rounded counts
        assert 1 <= int(r["imd_decile"]) <= 10
        assert 0.0 < float(r["burglary_per_1000_households"]) < 60.0
        assert 0.0 < float(r["asb_per_1000_people"]) < 150.0
        assert 0.02 <= float(r["volunteering_rate"]) <= 0.50
        assert 0.81 <= float(r["area_cost_index"]) <= 1.36


def test_table_means_near_the_national_figures(rows: list[dict[str, str]]) -> None:
    def mean(column: str) -> float:
        values = _floats(rows, column)
        return sum(values) / len(values)

    assert 7_000 < mean("population") < 10_000
    assert 2.2 < mean("population") / mean("households") < 2.6
    assert 5.0 < mean("burglary_per_1000_households") < 9.0
    assert 12.0 < mean("asb_per_1000_people") < 22.0
    assert 0.13 < mean("volunteering_rate") < 0.19
    assert 0.95 < mean("area_cost_index") < 1.06
    assert len({r["imd_decile"] for r in rows}) == 10


def test_deprivation_gradient(rows: list[dict[str, str]]) -> None:
    for column in ("burglary_per_1000_households", "asb_per_1000_people"):
        assert _group_mean(rows, column, 1, 3) > _group_mean(rows, column, 8, 10), column
    assert _group_mean(rows, "volunteering_rate", 1, 3) < _group_mean(
        rows, "volunteering_rate", 8, 10
    )


def test_gradient_holds_for_other_seeds(gen: ModuleType) -> None:
    for seed in (1, 2, 3):
        table = gen.generate(300, seed)
        low, high = table.imd_decile <= 3, table.imd_decile >= 8
        for column in ("burglary_per_1000_households", "asb_per_1000_people"):
            values = table.numeric(column)
            assert values[low].mean() > values[high].mean(), (seed, column)
        volunteering = table.numeric("volunteering_rate")
        assert volunteering[low].mean() < volunteering[high].mean(), seed


def test_a_different_seed_gives_a_different_table(gen: ModuleType) -> None:
    default = gen.to_csv(gen.generate(300, 16))
    assert gen.to_csv(gen.generate(300, 16)) == default
    other = gen.to_csv(gen.generate(300, 17))
    assert other != default
    assert other.splitlines()[0] == default.splitlines()[0]


def test_ids_are_padded_to_the_width_of_the_count(gen: ModuleType) -> None:
    assert gen.generate(9, 16).area_id[-1] == "N9"
    assert gen.generate(12, 16).area_id[:2] == ("N01", "N02")
    assert gen.generate(1000, 16).name[0] == "Neighbourhood 0001"


def test_refuses_an_empty_table(gen: ModuleType) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        gen.generate(0, 16)


def test_readme_shows_the_summary_of_the_committed_table(gen: ModuleType) -> None:
    """The README's statistics are the script's ``--summary`` output, not a hand copy."""
    assert gen.summary(gen.generate(300, 16), 16) in README.read_text(encoding="utf-8")
