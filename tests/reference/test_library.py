"""The shipped reference tables: each loads and validates, each vintage's bytes are pinned, and
published figures read back as the publication prints them (each check says where the figure
was read)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cba.reference.library import (
    TABLES_DIR,
    ReferenceLibrary,
    ReferenceLookupError,
    ShippedTable,
    reference_library,
)
from cba.reference.optimism_bias import mott_macdonald_2002
from cba.reference.table import ReferenceTable
from cba.spec.optimism import ProjectCategoryName

PINNED_SHA256 = {
    "costs_of_raising_public_funds@2026-02.yaml": (
        "50f7acb3abd857e6961f0d756fc044c66559f767ec07267ae69efacb358f23f9"
    ),
    "desnz_carbon_values@2023-11.yaml": (
        "03e829959d0e919309c5d88024764b5df34ead24295a5ee019c5d695ff25beff"
    ),
    "dft_value_of_prevented_fatality@2025-12.yaml": (
        "b3f69dcc172da393d5d4e21daa5feddd371e39f7bb2b552b75258f2a1c783e24"
    ),
    "gdp_deflator_cy@2025-12.yaml": (
        "a5b431734a87fcbf4a696f5cca047bbfe3faf046546fbeedf6dfed8484957ce9"
    ),
    "gdp_deflator_fy@2015-03.yaml": (
        "9a1ca0bef666f109ffa471336d80e8b3bba3411d117e2c47abdd4f24257f0f62"
    ),
    "gdp_deflator_fy@2026-03.yaml": (
        "4dd9e4d5a6e7a87f0a49fe648678d6bce7449a74e066b3774cdceee0d90e9853"
    ),
    "gmca_unit_costs@1.4.json": (
        "8db7c3dec95783d6f49e1b163e34854abd118fe1817e9ff01702b24c9704ea88"
    ),
    "green_book_distributional_weights@2022.yaml": (
        "b29ea796a9f90a47aa421a9fe459ed5f3fb5fdf227df387e6cbf78fb9bb043a1"
    ),
    "green_book_qaly@2022.yaml": (
        "5e60039869acf42242424bdb351ff415e766e57ba85f394bb8867bedb604cf94"
    ),
    "hmt_wellbeing_values@2021-07.yaml": (
        "1aed086753a170448a1edbfb6bf96307ab4349143cced0781f0bb7910b75ee8c"
    ),
    "home_office_costs_of_crime@2018.yaml": (
        "27f1e0634efd55bc48ce3d1d52c250c1ad068ef4787ac54d3e3a4bcd05801569"
    ),
    "mott_macdonald_optimism_bias@2002.yaml": (
        "355219fe01a96d41e9c72c63c6147c96059af9179181ea32b653a10b09dd36f9"
    ),
    "ons_household_income@fye2023.yaml": (
        "52907419b35a40bca99628a6dd33cc22018620b4d1a01d8bdbb47dda18837150"
    ),
    "volunteer_time_values@2026-12.yaml": (
        "a28352d3417e0548860a679da4e9e6bdc299c3a807622c65844ce892bd45de1b"
    ),
}
"""A shipped vintage never changes. Changing a file's values fails here: ship the new values as
a new vintage, with a CHANGELOG "Results-affecting" entry, and pin its hash."""

FILES = sorted([*TABLES_DIR.glob("*.yaml"), *TABLES_DIR.glob("*.json")])


def value(reference: str) -> float:
    found = reference_library().value(reference).value
    assert not isinstance(found, dict)
    return found


def series(label: str) -> dict[int, float]:
    name, vintage = label.split("@")
    return reference_library().table(name, vintage).table.series()


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_each_shipped_vintage_is_pinned_by_its_bytes(path: Path) -> None:
    assert path.name in PINNED_SHA256, f"{path.name} is not pinned: add its sha256"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == PINNED_SHA256[path.name], (
        f"{path.name} changed: a shipped vintage never changes; ship a new vintage instead"
    )


def test_every_pinned_vintage_is_still_shipped() -> None:
    assert sorted(PINNED_SHA256) == sorted(p.name for p in FILES)


def test_every_table_loads_with_metadata_units_and_sources() -> None:
    library = reference_library()
    assert len(library.tables) == len(FILES)
    for shipped in library.tables:
        t = shipped.table
        assert shipped.path.name == f"{t.name}@{t.vintage}{shipped.path.suffix}"
        for text in (t.title, t.publisher, t.edition, t.published, t.url, t.licence, t.copy_read):
            assert text.strip()
        for name, entry in t.entries.items():
            assert entry.source.strip(), name
            for field, found in entry.values.items():
                assert t.fields[field].unit
                if t.fields[field].is_money:
                    assert t.price_year_of(name, field) is not None
                years = found if isinstance(found, dict) else {}
                assert all(1900 <= y <= 2200 for y in years)


def test_a_table_with_a_duplicate_key_is_refused(tmp_path: Path) -> None:
    source = (TABLES_DIR / "green_book_qaly@2022.yaml").read_text(encoding="utf-8")
    broken = source.replace(
        "    values: {value: 70000}", "    values: {value: 70000}\n    values: {}"
    )
    path = tmp_path / "green_book_qaly@2022.yaml"
    path.write_text(broken, encoding="utf-8")
    from cba.io.problems import ScenarioError
    from cba.reference import library as module

    with pytest.raises(ScenarioError, match=r"green_book_qaly@2022.yaml:32:5: .*duplicate key"):
        module.ReferenceLibrary([module.read_table(path)])


@pytest.mark.parametrize("path", [p for p in FILES if p.suffix == ".yaml"], ids=lambda p: p.name)
def test_each_yaml_table_is_in_the_fast_readers_subset_and_reads_as_ruamel_does(
    path: Path,
) -> None:
    """Reading a table must not import ruamel.yaml (start-up time of `cba validate`): each
    hand-written table keeps to what the fast reader takes (no flow mapping over lines)."""
    from ruamel.yaml import YAML

    from cba.io import yaml_loader

    text = path.read_text(encoding="utf-8")
    fast = yaml_loader._FastReader(text).read()[0]
    assert fast == YAML(typ="safe", pure=True).load(text)


def test_a_json_table_with_a_duplicate_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t@1.json"
    path.write_text('{"name": "t", "name": "u"}', encoding="utf-8")
    from cba.reference import library as module

    with pytest.raises(ValueError, match="duplicate key 'name'"):
        module.read_table(path)


def test_vintages_sort_in_publication_order() -> None:
    library = reference_library()
    for name in {s.table.name for s in library.tables}:
        dates = [library.table(name, v).table.published for v in library.vintages(name)]
        assert dates == sorted(dates), name


def test_a_file_must_be_named_after_its_table_and_vintage(tmp_path: Path) -> None:
    path = tmp_path / "green_book_qaly@2023.yaml"
    path.write_bytes((TABLES_DIR / "green_book_qaly@2022.yaml").read_bytes())
    from cba.reference import library as module

    with pytest.raises(ValueError, match=r"green_book_qaly@2022\.yaml"):
        module.read_table(path)


def test_a_money_value_without_a_price_year_is_refused() -> None:
    with pytest.raises(ValueError, match="no price year"):
        ReferenceTable.model_validate(
            {
                "name": "t",
                "vintage": "1",
                "title": "T",
                "publisher": "P",
                "edition": "E",
                "published": "2020",
                "url": "u",
                "licence": "l",
                "copy_read": "c",
                "read": "READ-PRIMARY",
                "year_basis": "calendar",
                "fields": {"cost": {"unit": "GBP", "description": "d"}},
                "entries": {"a": {"label": "A", "values": {"cost": 1.0}, "source": "s"}},
            }
        )


def test_a_vintage_shipped_twice_is_refused() -> None:
    shipped = reference_library().table("green_book_qaly", "2022")
    with pytest.raises(ValueError, match="shipped twice"):
        ReferenceLibrary([shipped, ShippedTable(shipped.table, "x", shipped.path)])


# --- Published figures, as read ----------------------------------------------------------------


def test_the_unit_cost_database_uprating_of_500_from_2002_03_to_2015_16() -> None:
    # UCD v1.4 workbook, Crime sheet, CR1.0: estimated cost 500 in 2002/03, "Updated
    # cost/saving" 673.2312183155595 in 2015/16 prices, uprated with the March 2015 deflator on
    # its Lookups sheet (the shipped gdp_deflator_fy@2015-03).
    assert value("gmca_unit_costs@1.4:cr1_0.fiscal") == 500
    index = series("gdp_deflator_fy@2015-03")
    assert 500 * index[2015] / index[2002] == pytest.approx(673.2312183155595, rel=1e-12)


@pytest.mark.parametrize(
    ("reference", "published"),
    [
        # UCD v1.4, Crime sheet, rows CR8.x (Home Office 2010/11 IOM costs of crime).
        ("gmca_unit_costs@1.4:cr8_7.fiscal", 1361),
        ("gmca_unit_costs@1.4:cr8_7.economic", 1746),
        ("gmca_unit_costs@1.4:cr8_7.social", 803),
        ("gmca_unit_costs@1.4:cr8_7_1.fiscal", 683),
        ("gmca_unit_costs@1.4:cr8_3.fiscal", 2765),
        ("gmca_unit_costs@1.4:cr8_5.social", 980),
        ("gmca_unit_costs@1.4:cr8_1.social", 1069481),
        # UCD v1.4, Social Services sheet, SS7.0: the formula =538.2/3*2 (fiscal) and =538.2/3.
        ("gmca_unit_costs@1.4:ss7_0.fiscal", 358.8),
        ("gmca_unit_costs@1.4:ss7_0.economic", 179.4),
        # Home Office (2018) Table 1 as quoted by the South Wales Echo (2 Aug 2019).
        ("home_office_costs_of_crime@2018:rape.total", 39360),
        ("home_office_costs_of_crime@2018:violence_with_injury.total", 14050),
        ("home_office_costs_of_crime@2018:homicide.police", 11960),
        # HM Treasury answer HL5283; Wellbeing Guidance (2021) as quoted; TAG data book v2.03FC.
        ("green_book_qaly@2022:qaly.value", 70000),
        ("hmt_wellbeing_values@2021-07:wellby_central.value", 13000),
        ("dft_value_of_prevented_fatality@2025-12:fatal_casualty.wtp", 2474341),
        # Green Book Annex A3, A3.14.
        ("green_book_distributional_weights@2022:marginal_utility_of_income.elasticity", 1.3),
    ],
)
def test_published_figures_read_back(reference: str, published: float) -> None:
    assert value(reference) == pytest.approx(published, abs=1e-9)


def test_deflator_vintages_are_on_their_stated_bases_and_differ() -> None:
    march_2026 = series("gdp_deflator_fy@2026-03")
    december_2025 = series("gdp_deflator_cy@2025-12")
    march_2015 = series("gdp_deflator_fy@2015-03")
    assert march_2026[2024] == 100.0 and march_2026[2010] == 68.8561  # FY 2024-25 = 100
    assert december_2025[2024] == 100.0 and december_2025[2010] == 69.1217  # CY 2024 = 100
    assert march_2015[1989] == 100.0  # the UCD's chain, 1989-90 = 100
    # Vintages are revised: 2010-11 growth 1.70% (March 2026) against 2.768% (March 2015).
    assert march_2026[2010] / march_2026[2009] - 1 == pytest.approx(0.0170, abs=5e-5)
    assert march_2015[2010] / march_2015[2009] - 1 == pytest.approx(0.02768, abs=1e-9)


def test_carbon_values_low_and_high_are_half_and_one_and_a_half_central() -> None:
    table = reference_library().table("desnz_carbon_values", "2023-11").table
    low, central, high = (table.entries[n].values["per_tonne"] for n in ("low", "central", "high"))
    assert isinstance(central, dict) and isinstance(low, dict) and isinstance(high, dict)
    assert central[2030] == 294.50 and central[2050] == 397.54
    for year in central:  # each published to the penny: allow both roundings
        assert low[year] == pytest.approx(central[year] / 2, abs=0.005 + 0.0025)
        assert high[year] == pytest.approx(central[year] * 1.5, abs=0.005 + 0.0075)


def test_mott_macdonald_bounds_come_from_the_table_for_every_category() -> None:
    categories = mott_macdonald_2002()
    assert set(categories) == set(ProjectCategoryName.__args__)
    # Table 2 of the report: (capex upper, capex lower, duration upper, duration lower).
    assert categories["standard_buildings"].upper_bound == 0.24
    assert categories["standard_buildings"].lower_bound == 0.02
    assert categories["non_standard_buildings"].duration_upper == 0.39
    assert categories["equipment_development"].upper_bound == 2.0
    assert categories["outsourcing"].duration_upper is None
    for category in categories.values():
        assert 0 <= category.lower_bound < category.upper_bound


# --- Lookups and their messages ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("gmca_unit_cost@1.4:cr8_7.fiscal", "Did you mean 'gmca_unit_costs'?"),
        ("gmca_unit_costs@1.3:cr8_7.fiscal", "Did you mean '1.4'?"),
        ("gmca_unit_costs@1.4:cr8_77.fiscal", "Did you mean 'cr8_7'?"),
        ("gmca_unit_costs@1.4:cr8_7.fiscall", "Did you mean 'fiscal'?"),
        ("gmca_unit_costs@1.4:cr8_7", "has several values; name one"),
        ("gmca_unit_costs@1.4", "names a table, not a value"),
        ("gmca_unit_costs:cr8_7.fiscal", "gmca_unit_costs@1.4:cr8_7.fiscal"),
        ("GMCA!", "is not a reference"),
    ],
)
def test_a_reference_that_names_nothing_says_what_there_is(reference: str, message: str) -> None:
    with pytest.raises(ReferenceLookupError, match=message.replace("?", r"\?")):
        reference_library().value(reference)


def test_a_single_valued_entry_may_leave_out_its_field() -> None:
    assert value("green_book_qaly@2022:qaly") == 70000


def test_the_latest_vintage_is_the_last_published() -> None:
    library = reference_library()
    assert library.vintages("gdp_deflator_fy") == ["2015-03", "2026-03"]
    assert library.table("gdp_deflator_fy").table.vintage == "2026-03"


def test_search_finds_entries_by_every_word() -> None:
    found = reference_library().search("burglary dwelling police")
    # Burglary in a dwelling and burglary not in a dwelling: their police costs.
    assert [(s.table.label, e) for s, e in found] == [
        ("gmca_unit_costs@1.4", "cr8_7_1"),
        ("gmca_unit_costs@1.4", "cr8_14_1"),
    ]
    assert reference_library().search("no such words here") == []
