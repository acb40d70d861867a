"""The marginal excess tax burden (docs/methods.md §19): a case worked by hand, the options it
applies to, the Green Book's default of leaving it out, a reference for its uplift, what-ifs on
it and its place in the JSON, the terminal and the workbook."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

import cba
from cba.io.json_results import results_to_dict
from cba.io.scenario_file import scenario_from_bytes
from cba.io.terminal import print_summary
from cba.model.evaluation import CompiledScenario
from cba.results import Results
from cba.spec.scenario import Scenario, reference_context

SOURCE = "hand-worked test"

# Three years (2024-2026) at the Green Book's 3.5%: D = 1, 0.966183575, 0.933510700
# (sum 2.899694275). The scheme: the council pays GBP 100 a year (public); a business pays
# GBP 50 a year (non-public); each year 1 outcome saves the council GBP 30 in cash (fiscal,
# cashable) and is worth GBP 200 to residents (social). The counterfactual costs the council
# GBP 40 a year.
#   PV public costs            = 100 x 2.899694275 = 289.9694275
#   PV cashable savings        =  30 x 2.899694275 =  86.99082825
#   METB at 20%                = 0.2 x (289.9694275 - 86.99082825) = 40.5957199
#   PVB                        = 230 x 2.899694275 = 666.9296833
#   PV non-public costs        =  50 x 2.899694275 = 144.9847138
#   NPSV (gross)               = 666.9296833 - 289.9694275 - 144.9847138 - 40.5957199
#                              = 191.3798221
#   BCR over public costs      = (666.9296833 - 144.9847138 - 40.5957199) / 289.9694275
#                              = 481.3492496 / 289.9694275 = 1.66000 (1.8 without the METB)
# Counterfactual with the METB on every option: 0.2 x 40 x 2.899694275 = 23.1975542, so the
# incremental METB is 40.5957199 - 23.1975542 = 17.3981657.
D_SUM = 2.899694275
METB = 40.5957199
PVB = 666.9296833
NPSV = 191.3798221
BCR = 481.3492496 / 289.9694275


def scenario_data(burden: dict[str, Any] | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "cba_scenario": "1.0",
        "id": "tax_burden_hand",
        "title": "METB worked by hand",
        "price_base_year": 2024,
        "first_year": 2024,
        "appraisal_period_years": 3,
        "agencies": [
            {"id": "council", "name": "Council", "sector": "public"},
            {"id": "business", "name": "Business", "sector": "private"},
            {"id": "residents", "name": "Residents", "sector": "community"},
        ],
        "counterfactual": "nothing",
        "options": [
            {
                "id": "nothing",
                "name": "Do minimum",
                "costs": [
                    {
                        "id": "upkeep",
                        "name": "Upkeep",
                        "category": "revenue",
                        "amount_per_year": 40,
                        "paid_by": "council",
                        "source": SOURCE,
                    }
                ],
            },
            {
                "id": "scheme",
                "name": "Privately financed scheme",
                "costs": [
                    {
                        "id": "unitary_charge",
                        "name": "Unitary charge",
                        "category": "revenue",
                        "amount_per_year": 100,
                        "paid_by": "council",
                        "source": SOURCE,
                    },
                    {
                        "id": "sponsor",
                        "name": "Sponsor's contribution",
                        "category": "revenue",
                        "amount_per_year": 50,
                        "paid_by": "business",
                        "source": SOURCE,
                    },
                ],
                "benefits": [
                    {
                        "id": "outcome",
                        "name": "Outcome",
                        "outcomes_per_year": 1,
                        "unit_values": [
                            {
                                "value_type": "fiscal",
                                "amount": 30,
                                "agency": "council",
                                "cashable": True,
                                "source": SOURCE,
                            },
                            {
                                "value_type": "social",
                                "amount": 200,
                                "beneficiary": "residents",
                                "source": SOURCE,
                            },
                        ],
                        "source": SOURCE,
                    }
                ],
            },
        ],
    }
    if burden is not None:
        data["marginal_excess_tax_burden"] = burden
    return data


BURDEN = {
    "uplift": 0.2,
    "options": ["scheme"],
    "why": "A private finance model option (Green Book 2026, chapter 6).",
    "source": SOURCE,
}


def scenario(burden: dict[str, Any] | None) -> Scenario:
    data = scenario_data(burden)
    return Scenario.model_validate(data, context=reference_context(data))


def run(burden: dict[str, Any] | None) -> Results:
    return cba.run(scenario(burden), sensitivity=False, uncertainty=False)


def test_the_hand_worked_case() -> None:
    results = run(BURDEN)
    gross = results.option("scheme").gross
    assert gross.pv_marginal_excess_tax_burden == pytest.approx(METB, abs=1e-6)
    assert gross.pv_benefits == pytest.approx(PVB, abs=1e-6)
    assert gross.npsv == pytest.approx(NPSV, abs=1e-6)
    assert gross.bcr_public == pytest.approx(BCR, rel=1e-9)
    assert gross.npsv_excluding_community_inputs == pytest.approx(NPSV, abs=1e-6)
    # Year by year: 0.2 x (100 - 30) = 14 a year, undiscounted.
    assert results.option("scheme").yearly.marginal_excess_tax_burden == pytest.approx(
        (14.0, 14.0, 14.0)
    )
    # Only the scheme is named: the counterfactual carries none, so the increment is all of it.
    assert results.option("nothing").gross.pv_marginal_excess_tax_burden == 0.0
    assert results.option("scheme").incremental.pv_marginal_excess_tax_burden == pytest.approx(
        METB, abs=1e-6
    )
    assert results.tax_burden is not None and results.tax_burden.options == ("scheme",)


def test_all_options_and_the_increment() -> None:
    results = run({**BURDEN, "options": "all"})
    counterfactual = 0.2 * 40 * D_SUM
    assert results.option("nothing").gross.pv_marginal_excess_tax_burden == pytest.approx(
        counterfactual, abs=1e-6
    )
    inc = results.option("scheme").incremental
    assert inc.pv_marginal_excess_tax_burden == pytest.approx(METB - counterfactual, abs=1e-6)


def test_without_the_block_nothing_changes_and_the_advice_is_stated() -> None:
    plain = run(None)
    with_zero = run({**BURDEN, "uplift": 0.0})
    a, b = plain.option("scheme"), with_zero.option("scheme")
    assert a.gross.pv_marginal_excess_tax_burden == 0.0
    # An uplift of 0 changes no figure, bit for bit.
    assert a.gross.npsv == b.gross.npsv and a.gross.bcr_public == b.gross.bcr_public
    assert a.gross.npsv == pytest.approx(PVB - 289.9694275 - 144.9847138, abs=1e-6)
    assert a.gross.bcr_public == pytest.approx(1.8, rel=1e-9)
    assert plain.tax_burden is None
    assert any("are not included, as the 2026 Green Book advises" in c for c in plain.conventions)
    stated = [c for c in run(BURDEN).conventions if "marginal excess tax burden of 20%" in c]
    assert len(stated) == 1 and "private finance model option" in stated[0]


@settings(max_examples=25, deadline=None)
@given(st.floats(min_value=0.0, max_value=1.0), st.floats(min_value=0.0, max_value=1.0))
def test_npsv_is_affine_in_the_uplift(u: float, v: float) -> None:
    """NPSV(u) = NPSV(0) - u x net public cost, whatever the uplift."""
    base = run(None).option("scheme").gross.npsv
    for uplift in (u, v):
        found = run({**BURDEN, "uplift": uplift}).option("scheme").gross.npsv
        assert found == pytest.approx(base - uplift * (289.9694275 - 86.99082825), abs=1e-6)


def test_a_what_if_on_the_uplift_matches_a_rerun() -> None:
    model = CompiledScenario(scenario(BURDEN))
    path = "marginal_excess_tax_burden.uplift"
    assert path in model.parameters
    assert model.parameters[path].unit == "fraction of net public cost"
    found = model.evaluate({path: [0.0, 0.2, 0.3]})
    npsv = found.options["scheme"].gross.npsv
    for k, uplift in enumerate((0.0, 0.2, 0.3)):
        rerun = run({**BURDEN, "uplift": uplift}).option("scheme").gross.npsv
        assert npsv[k] == pytest.approx(rerun, abs=1e-9)
    # Figures-only evaluations (the separable route) give the same.
    only = model.evaluate({path: [0.3]}, figures={"gross": ["npsv"]})
    assert only.options["scheme"].gross.npsv[0] == pytest.approx(npsv[2], abs=1e-9)


def test_unknown_option_is_refused_with_did_you_mean() -> None:
    data = scenario_data({**BURDEN, "options": ["schem"]})
    with pytest.raises(ValueError, match=r"schem.*scheme"):
        Scenario.model_validate(data, context=reference_context(data))


def test_the_block_needs_a_reason_and_a_source() -> None:
    for missing in ("why", "source"):
        burden = {k: v for k, v in BURDEN.items() if k != missing}
        data = scenario_data(burden)
        with pytest.raises(ValueError, match=missing):
            Scenario.model_validate(data, context=reference_context(data))


def test_the_uplift_may_be_a_shipped_reference() -> None:
    text = (
        "cba_scenario: '1.0'\nid: t\ntitle: t\nprice_base_year: 2024\nfirst_year: 2024\n"
        "appraisal_period_years: 3\n"
        "agencies:\n  - {id: council, name: Council, sector: public}\n"
        "counterfactual: a\noptions:\n  - {id: a, name: A}\n  - id: b\n    name: B\n"
        "    costs:\n      - {id: c, name: C, category: revenue, amount_per_year: 100, "
        "paid_by: council, source: s}\n"
        "marginal_excess_tax_burden:\n"
        "  uplift: {ref: costs_of_raising_public_funds@2026-02:reduced_uplift.rate}\n"
        "  options: [b]\n  why: A private finance option.\n"
    )
    loaded = scenario_from_bytes(text.encode(), "t.yaml")
    burden = loaded.marginal_excess_tax_burden
    assert burden is not None and burden.uplift == 0.2
    assert "costs_of_raising_public_funds@2026-02:reduced_uplift.rate" in burden.source
    results = cba.run(loaded, sensitivity=False, uncertainty=False)
    assert results.option("b").gross.pv_marginal_excess_tax_burden == pytest.approx(
        0.2 * 100 * D_SUM, abs=1e-6
    )
    assert any("RECALLED/VERIFY" in c for c in results.caveats)


def test_json_terminal_and_units() -> None:
    results = run(BURDEN)
    doc = results_to_dict(results)
    option = next(o for o in doc["options"] if o["option_id"] == "scheme")
    figure = option["gross"]["pv_marginal_excess_tax_burden"]
    assert figure["value"] == pytest.approx(METB, abs=1e-6)
    assert figure["unit"] == "GBP, present value"
    assert doc["tax_burden"]["uplift"] == 0.2
    assert doc["tax_burden"]["options"] == ["scheme"]
    out = io.StringIO()
    print_summary(results, Console(file=out, width=80, color_system=None))
    assert "Marginal excess tax burden" in out.getvalue()
    plain = io.StringIO()
    print_summary(run(None), Console(file=plain, width=80, color_system=None))
    assert "Marginal excess tax burden" not in plain.getvalue()


@pytest.mark.parametrize("options", [["scheme"], "all"], ids=["scheme", "all"])
def test_the_workbook_recalculates_to_the_engine_figures(options: Any, tmp_path: Path) -> None:
    """The METB rows, the NPSV and BCRs with it and the waterfall are live formulas that a real
    spreadsheet program works out to the engine's values."""
    import openpyxl

    from cba.io.workbook.writer import write_workbook
    from tests import libreoffice as lo

    chosen = scenario({**BURDEN, "options": options})
    path = tmp_path / "metb.xlsx"
    write_workbook(cba.run(chosen), chosen, {"command": "test"}, path)
    book = openpyxl.load_workbook(path)
    labels = [
        str(cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]
    assert any(t.startswith("Marginal excess tax burden = uplift x") for t in labels)
    assert "PV marginal excess tax burden" in labels
    assert "Tax burden (METB)" in labels
    lo.require_libreoffice()
    compared = lo.recalculate_and_compare([path], tmp_path / "out")
    for found, problems in compared.items():
        assert problems == [], f"{found.name}:\n" + "\n".join(problems[:20])


def test_without_the_block_the_workbook_has_no_metb_rows(tmp_path: Path) -> None:
    import openpyxl

    from cba.io.workbook.writer import write_workbook

    plain = scenario(None)
    path = tmp_path / "plain.xlsx"
    write_workbook(cba.run(plain), plain, {"command": "test"}, path)
    book = openpyxl.load_workbook(path)
    assert not any(
        isinstance(cell.value, str) and "tax burden" in cell.value.lower()
        for sheet in book.worksheets
        if sheet.title != "Assumptions"
        for row in sheet.iter_rows()
        for cell in row
    )


def with_weights(burden: dict[str, Any]) -> Scenario:
    """The hand-worked case with distributional weights: residents are the poorest fifth, the
    council's costs fall on the richest fifth (weights 2.63 and 0.41, Green Book Annex A3)."""
    data = scenario_data(burden)
    data["distributional_weights"] = {
        "elasticity": 1.3,
        "reference_income": 34500.0,
        "source": SOURCE,
        "groups": {
            "poorest": {"name": "Poorest fifth", "income": 16400.0, "source": SOURCE},
            "richest": {"name": "Richest fifth", "income": 68400.0, "source": SOURCE},
        },
    }
    scheme = data["options"][1]
    scheme["benefits"][0]["income_group"] = "poorest"
    scheme["costs"][0]["income_group"] = "richest"
    return Scenario.model_validate(data, context=reference_context(data))


def test_weighted_npsv_takes_the_tax_burden_at_weight_one() -> None:
    results = cba.run(with_weights(BURDEN), sensitivity=False, uncertainty=False)
    view = results.distributional
    assert view is not None
    scheme = next(o for o in view.options if o.option_id == "scheme").gross
    rich, poor = (34500 / 68400) ** 1.3, (34500 / 16400) ** 1.3
    weighted = poor * PVB - (rich * 289.9694275 + 144.9847138) - METB
    assert scheme.weighted_npsv == pytest.approx(weighted, abs=1e-6)
    assert scheme.npsv == pytest.approx(NPSV, abs=1e-6)


def test_the_workbook_with_weights_and_the_burden_recalculates(tmp_path: Path) -> None:
    from cba.io.workbook.writer import write_workbook
    from tests import libreoffice as lo

    chosen = with_weights(BURDEN)
    path = tmp_path / "both.xlsx"
    write_workbook(cba.run(chosen), chosen, {"command": "test"}, path)
    lo.require_libreoffice()
    compared = lo.recalculate_and_compare([path], tmp_path / "out")
    for found, problems in compared.items():
        assert problems == [], f"{found.name}:\n" + "\n".join(problems[:20])
