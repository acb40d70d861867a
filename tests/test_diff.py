"""cba diff: the changed inputs, and each one's share of the change in the figures (Shapley)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cba
import cba.changes
from cba.changes import FIGURES, STRUCTURAL, diff
from cba.cli import main

ROOT = Path(__file__).resolve().parents[1]
BALSALL = ROOT / "scenarios" / "balsall_heath_community_safety.yaml"
P = "options.resident_patrols."
COORDINATOR = P + "costs.coordinator.amount_per_year"
POLICING = P + "costs.priority_policing.amount_per_year"
BURGLARIES = P + "benefits.burglary_avoided.outcomes_per_year"
ATTRIBUTION = P + "benefits.burglary_avoided.attribution"


def _base() -> cba.Scenario:
    return cba.load_scenario(BALSALL)


def _npsv(scenario: cba.Scenario) -> float:
    results = cba.run(scenario, sensitivity=False, uncertainty=False)
    return results.option("resident_patrols").incremental.npsv


def _gross(scenario: cba.Scenario) -> float:
    m = cba.run(scenario, sensitivity=False, uncertainty=False).option("resident_patrols").gross
    return m.pv_benefits + m.pv_public_costs + m.pv_non_public_costs + m.pv_community_inputs


def test_old_and_new_figures_are_the_two_runs() -> None:
    old = _base()
    new = cba.with_values(old, {COORDINATOR: 26000, BURGLARIES: 15})
    found = diff(old, new)
    npsv = found.attribution("resident_patrols")
    assert npsv.old == _npsv(old) and npsv.new == pytest.approx(_npsv(new), rel=1e-12)
    assert [c.path for c in found.changes] == [COORDINATOR, BURGLARIES]
    assert not found.structural and found.players == (COORDINATOR, BURGLARIES)


def test_independent_changes_get_their_effect_alone() -> None:
    old = _base()
    new = cba.with_values(old, {COORDINATOR: 26000, POLICING: 9000})
    shares = dict(diff(old, new).attribution("resident_patrols").contributions)
    for path, value in ((COORDINATOR, 26000), (POLICING, 9000)):
        alone = _npsv(cba.with_values(old, {path: value})) - _npsv(old)
        assert shares[path] == pytest.approx(alone, rel=1e-9)


def test_interacting_changes_share_the_interaction() -> None:
    old = _base()
    both = cba.with_values(old, {BURGLARIES: 15, ATTRIBUTION: 0.35})
    shares = dict(diff(old, both).attribution("resident_patrols").contributions)
    v0, v_all = _npsv(old), _npsv(both)
    v_b = _npsv(cba.with_values(old, {BURGLARIES: 15}))
    v_a = _npsv(cba.with_values(old, {ATTRIBUTION: 0.35}))
    # two players: each share is the mean of its effect first and its effect second
    assert shares[BURGLARIES] == pytest.approx(((v_b - v0) + (v_all - v_a)) / 2, rel=1e-9)
    assert shares[ATTRIBUTION] == pytest.approx(((v_a - v0) + (v_all - v_b)) / 2, rel=1e-9)
    assert (v_b - v0) + (v_a - v0) != pytest.approx(v_all - v0, rel=1e-6)  # they do interact


EVALUABLE = [
    (COORDINATOR, 5_000.0, 60_000.0),
    (POLICING, 0.0, 40_000.0),
    (BURGLARIES, 5.0, 40.0),
    (ATTRIBUTION, 0.0, 0.6),
    (P + "benefits.burglary_avoided.deadweight", 0.0, 0.6),
    (P + "benefits.asb_avoided.outcomes_per_year", 50.0, 300.0),
    (P + "community_inputs.street_patrols.volunteers", 5.0, 80.0),
    (P + "community_inputs.street_patrols.hours_per_volunteer", 20.0, 200.0),
    (P + "community_inputs.meeting_space.value_per_year", 0.0, 9000.0),
    (P + "benefits.fear_of_crime.outcomes.cohort", 1000.0, 8000.0),
]


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.integers(0, len(EVALUABLE) - 1), min_size=1, max_size=6, unique=True),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_shares_add_up_to_every_figures_change(
    chosen: list[int], seed: int, structural: bool
) -> None:
    rng = np.random.default_rng(seed)
    old = _base()
    values: dict[str, Any] = {}
    for index in chosen:
        path, low, high = EVALUABLE[index]
        values[path] = round(float(rng.uniform(low, high)), 3)
    if structural:
        values["price_base_year"] = 2023
    new = cba.with_values(old, values)
    found = diff(old, new)
    scale = _gross(old) + _gross(new)
    assert found.structural is structural
    for name, _, unit in FIGURES:
        a = found.attribution("resident_patrols", name)
        shares = [s for _, s in a.contributions]
        if a.change is None or any(s is None for s in shares):
            continue
        tolerance = 1e-9 * scale if unit.startswith("GBP") else 1e-9 * max(1.0, abs(a.new or 1))
        assert sum(s for s in shares if s is not None) == pytest.approx(a.change, abs=tolerance)
    assert found.attribution("resident_patrols").new == pytest.approx(_npsv(new), rel=1e-9)


def test_structural_changes_are_one_player() -> None:
    old = _base()
    new = cba.with_values(old, {COORDINATOR: 26000, "price_base_year": 2023})
    found = diff(old, new)
    assert found.players == (COORDINATOR, STRUCTURAL)
    assert "2 batched evaluations" in found.method


def test_cli_diff_at_git_revisions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.email=a@b", "-c", "user.name=cba", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )

    scenario = tmp_path / "s.yaml"
    text = BALSALL.read_text(encoding="utf-8")
    scenario.write_text(text, encoding="utf-8")
    git("init", "-q")
    git("add", "s.yaml")
    git("commit", "-qm", "v1")
    monkeypatch.chdir(tmp_path)
    assert main(["run", "s.yaml", "-o", "out/s.xlsx", "-q", "--draws", "200"]) == 0
    scenario.write_text(
        text.replace("amount_per_year: 20000", "amount_per_year: 26000"), encoding="utf-8"
    )
    capsys.readouterr()
    assert main(["diff", f"{scenario}@HEAD", str(scenario), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [c["path"] for c in doc["changes"]] == [COORDINATOR]
    npsv = next(a for a in doc["attributions"] if a["figure"] == "npsv")
    assert npsv["shares"][COORDINATOR] == pytest.approx(npsv["change"], rel=1e-12)
    assert main(["diff", f"{scenario}@HEAD", str(scenario)]) == 0
    out = capsys.readouterr().out
    assert "What moved the NPSV of resident_patrols" in out and "exact Shapley" in out
    # one file between two revisions (here: HEAD and the working tree)
    assert main(["diff", str(scenario), "--rev", "HEAD..", "--json"]) == 0
    assert [c["path"] for c in json.loads(capsys.readouterr().out)["changes"]] == [COORDINATOR]
    # a workbook cba wrote: the scenario it was written from (here: as committed)
    assert main(["diff", "out/s.xlsx", "s.yaml", "--json"]) == 0
    assert [c["path"] for c in json.loads(capsys.readouterr().out)["changes"]] == [COORDINATOR]
    assert main(["diff", "s.yaml"]) == 2
    assert "name two sides" in capsys.readouterr().err
    # a revision that lacks the file, and one that does not exist
    assert main(["diff", f"{tmp_path / 'other.yaml'}@HEAD", str(scenario)]) == 2
    assert "git cannot read other.yaml at HEAD" in capsys.readouterr().err
    assert main(["diff", f"{scenario}@nosuchrev", str(scenario)]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_changes_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import openpyxl

    old_file = tmp_path / "old.yaml"
    new_file = tmp_path / "new.yaml"
    text = BALSALL.read_text(encoding="utf-8")
    old_file.write_text(text, encoding="utf-8")
    new_file.write_text(
        text.replace("amount_per_year: 20000", "amount_per_year: 26000"), encoding="utf-8"
    )
    book = tmp_path / "changes.xlsx"
    assert main(["diff", str(old_file), str(new_file), "-o", str(book)]) == 0
    first = book.read_bytes()
    assert main(["diff", str(old_file), str(new_file), "-o", str(book)]) == 0  # cba's own
    assert book.read_bytes() == first
    sheet = openpyxl.load_workbook(book, data_only=True)["Changes"]
    texts = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert COORDINATOR in texts and "What moved the NPSV of resident_patrols" in texts
    found = diff(cba.load_scenario(old_file), cba.load_scenario(new_file))
    share = dict(found.attribution("resident_patrols").contributions)[COORDINATOR]
    assert share in texts  # the share, as a number
    other = tmp_path / "other.xlsx"
    other.write_bytes(first[:100])
    capsys.readouterr()
    assert main(["diff", str(old_file), str(new_file), "-o", str(other)]) == 2
    assert "was not written by cba" in capsys.readouterr().err


def _positions(scenario: cba.Scenario) -> dict[str, float]:
    results = cba.run(scenario, sensitivity=False, uncertainty=False)
    option = results.option("resident_patrols")
    return {a.agency_id: a.net_position for a in option.agencies_incremental}


def test_a_cost_one_agency_pays_moves_that_agencys_net_position_alone() -> None:
    old = _base()
    new = cba.with_values(old, {COORDINATOR: 26000})  # the council pays the coordinator
    found = diff(old, new)
    costs = found.attribution("resident_patrols", "pv_costs")
    assert costs.change is not None and costs.change > 0
    before, after = _positions(old), _positions(new)
    assert set(before) == {"police", "council", "justice", "forum", "residents"}
    for agency_id in before:
        a = found.attribution("resident_patrols", f"net_position:{agency_id}")
        assert a.old == pytest.approx(before[agency_id], rel=1e-12)
        assert a.new == pytest.approx(after[agency_id], rel=1e-12)
        assert a.change is not None
        shares = [s for _, s in a.contributions]
        assert sum(s for s in shares if s is not None) == pytest.approx(a.change, abs=1e-6)
        if agency_id == "council":
            assert a.change == pytest.approx(-costs.change, rel=1e-12)  # minus the PV of it
        else:
            assert a.change == pytest.approx(0.0, abs=1e-6)
    labels = {name: label for name, label, _ in found.figures}
    assert labels["net_position:council"] == "Net position: Birmingham City Council"


def _with_charity(text: str) -> str:
    """The scenario file with a new agency, a charity, that pays the patrol coordinator."""
    agency = "    sector: community\n  - id: charity\n    name: A local charity\n"
    agency += "    sector: third_sector\n\ncounterfactual:"
    text = text.replace("    sector: community\n\ncounterfactual:", agency, 1)
    return text.replace("        paid_by: council\n", "        paid_by: charity\n", 1)


@pytest.mark.parametrize("added", [True, False], ids=["agency added", "agency removed"])
def test_an_agency_in_one_version_only_is_undefined_on_the_other_side(
    added: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = BALSALL.read_text(encoding="utf-8")
    texts = (text, _with_charity(text)) if added else (_with_charity(text), text)
    files = []
    for version, content in zip(("old", "new"), texts, strict=True):
        path = tmp_path / f"{version}.yaml"
        path.write_text(content, encoding="utf-8")
        files.append(str(path))
    old, new = (cba.load_scenario(f) for f in files)
    charity = new if added else old
    found = diff(old, new)
    assert found.structural
    a = found.attribution("resident_patrols", "net_position:charity")
    held = _positions(charity)["charity"]
    assert held < 0  # it pays and gains nothing
    assert (a.old, a.new) == ((None, pytest.approx(held)) if added else (pytest.approx(held), None))
    assert a.change is None and all(s is None for _, s in a.contributions)
    council = found.attribution("resident_patrols", "net_position:council")
    assert council.change is not None and council.change != pytest.approx(0.0)
    assert sum(s for _, s in council.contributions if s is not None) == pytest.approx(
        council.change, abs=1e-6
    )
    # every output shows the figures, undefined where they are
    assert main(["diff", *files, "--json", "-o", str(tmp_path / "changes.xlsx")]) == 0
    doc = json.loads(capsys.readouterr().out)
    shown = next(
        x
        for x in doc["attributions"]
        if x["option_id"] == "resident_patrols" and x["figure"] == "net_position:charity"
    )
    assert shown["change"] is None and (shown["old"] is None) is added
    assert main(["diff", *files]) == 0
    assert "Net position: A local charity" in capsys.readouterr().out


OLDER = ROOT / "scenarios" / "older_people_community_support.yaml"


def _many_lines(text: str) -> str:
    """Thirteen lines changed (every cost amount, deadweight and community input's size) and an
    agency renamed (a structural change): fourteen players, more than an exact attribution."""
    text = re.sub(
        r"amount_per_year: (\d+)", lambda m: f"amount_per_year: {int(m[1]) * 5 // 4}", text
    )
    text = re.sub(r"deadweight: ([0-9.]+)", lambda m: f"deadweight: {float(m[1]) + 0.05:.2f}", text)
    for before, after in (
        ("volunteers: 60", "volunteers: 70"),
        ("value_per_year: 2000", "value_per_year: 2500"),
        ("series: {2024: 30000}", "series: {2024: 36000}"),
        ("name: Good neighbour volunteers", "name: Good neighbour volunteers (befriending)"),
    ):
        assert before in text
        text = text.replace(before, after)
    return text


@pytest.fixture(scope="module")
def many_lines(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("many")
    old_file, new_file = folder / "old.yaml", folder / "new.yaml"
    text = OLDER.read_text(encoding="utf-8")
    old_file.write_text(text, encoding="utf-8")
    new_file.write_text(_many_lines(text), encoding="utf-8")
    return old_file, new_file


def test_more_lines_than_an_exact_attribution_takes_are_estimated_by_sampling(
    many_lines: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = (cba.load_scenario(f) for f in many_lines)
    found = diff(old, new)
    assert found.structural and len(found.players) == 14 > cba.changes.MAX_PLAYERS
    assert len({c.path.rsplit(".", 1)[0] for c in found.changes}) == 13
    assert re.fullmatch(
        r"estimated Shapley values by permutation sampling over 14 players \(1,000 orders, "
        r"[\d,]+ evaluations; standard errors shown\)",
        found.method,
    ), found.method
    runs = [cba.run(s, sensitivity=False, uncertainty=False) for s in (old, new)]
    npsv = found.attribution("good_neighbours")
    assert npsv.old == pytest.approx(runs[0].option("good_neighbours").incremental.npsv)
    assert npsv.new == pytest.approx(runs[1].option("good_neighbours").incremental.npsv)
    scale = sum(  # the size of the money added up
        m.pv_benefits + m.pv_public_costs + m.pv_non_public_costs + m.pv_community_inputs
        for m in (r.option("good_neighbours").gross for r in runs)
    )
    for a in found.attributions:
        assert a.standard_error is not None and len(a.standard_error) == len(found.players)
        assert all(e is not None and e >= 0 for e in a.standard_error)
        assert a.change is not None
        total = sum(s for _, s in a.contributions if s is not None)
        assert total == pytest.approx(a.change, abs=1e-9 * (scale if a.unit != "ratio" else 1))
    bcr = found.attribution("good_neighbours", "bcr_public")
    assert max(e or 0.0 for e in bcr.standard_error or ()) > 0  # a ratio's shares interact
    assert diff(old, new) == found  # the same seed: the same estimates
    # against the exact values (2**14 coalitions when the limit is lifted)
    monkeypatch.setattr(cba.changes, "MAX_PLAYERS", 20)
    exact = diff(old, new)
    assert exact.method.startswith("exact Shapley values over 14 players")
    for a, b in zip(found.attributions, exact.attributions, strict=True):
        assert (a.option_id, a.figure) == (b.option_id, b.figure)
        errors = a.standard_error or ()
        for (_, estimate), (_, share), error in zip(
            a.contributions, b.contributions, errors, strict=True
        ):
            assert estimate is not None and share is not None and error is not None
            assert abs(estimate - share) <= 4 * error + 1e-9 * max(1.0, abs(share))


def test_estimated_shares_in_every_output(
    many_lines: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import openpyxl

    old_file, new_file = (str(f) for f in many_lines)
    book = tmp_path / "changes.xlsx"
    assert main(["diff", old_file, new_file, "--json", "-o", str(book)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["method"].startswith("estimated Shapley values by permutation sampling")
    for a in doc["attributions"]:
        assert list(a["standard_errors"]) == list(a["shares"]) == doc["players"]
    sheet = openpyxl.load_workbook(book, data_only=True)["Changes"]
    texts = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "± s.e." in texts
    assert main(["diff", old_file, new_file]) == 0
    out = capsys.readouterr().out
    assert "s.e." in out and "standard errors shown" in out
    # an exact attribution shows none
    assert main(["diff", str(BALSALL), str(BALSALL), "--json"]) == 0
    assert all(
        "standard_errors" not in a for a in json.loads(capsys.readouterr().out)["attributions"]
    )


@pytest.mark.parametrize("as_json", [False, True], ids=["tables", "json"])
def test_a_reader_that_stops_early_ends_diff_quietly(
    many_lines: tuple[Path, Path], as_json: bool
) -> None:
    """``cba diff OLD NEW | head -3``: no traceback and no "Exception ignored" on stderr."""
    from tests.test_cli import closed_pipe_run

    args = ["diff", *(str(f) for f in many_lines), *(["--json"] if as_json else [])]
    # the reader reads a line, then closes its end while cba may still be writing
    reader = subprocess.Popen(
        [sys.executable, "-m", "cba", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert reader.stdout is not None and reader.stderr is not None
    first = reader.stdout.readline()
    reader.stdout.close()
    err = reader.stderr.read()
    reader.stderr.close()
    code = reader.wait(timeout=300)
    assert first.strip()  # it did print
    assert err == b"", err.decode()
    assert code in (0, 141)  # 0 when every line was in the pipe before the reader went
    # the reader gone before the first line: always the closed-pipe status, quietly
    for unbuffered in (False, True):
        assert closed_pipe_run(*args, cwd=many_lines[0].parent, unbuffered=unbuffered) == (141, "")
