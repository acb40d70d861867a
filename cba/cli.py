"""The ``cba`` command: parse arguments, call the API, print, set the exit code.

Exit codes: 0 success, 2 invalid input (a located message per problem), 1 internal error
(with ``--debug``, the traceback).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import traceback
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

EXIT_OK, EXIT_INTERNAL, EXIT_INVALID, EXIT_DIFFERS, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class UsageError(Exception):
    """Bad command-line input (exit 2)."""


def _scenario_paths(arguments: Sequence[str]) -> list[Path]:
    paths: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found = sorted(p for p in path.glob("*.yaml") if p.is_file())
            if not found:
                raise UsageError(f"{path}: no .yaml scenario files in this folder")
            paths.extend(found)
        else:
            paths.append(path)
    return paths


def _targets(option: str, given: str | None, ids: list[str], suffix: str) -> list[Path]:
    """Output files for each scenario id: a file (one scenario) or a folder (several)."""
    if given is None:
        return [Path("out") / f"{i}{suffix}" for i in ids]
    target = Path(given)
    if len(ids) == 1 and not target.is_dir() and target.suffix.lower() == suffix:
        return [target]
    if (target.exists() and not target.is_dir()) or target.suffix.lower() == suffix:
        raise UsageError(
            f"{option} {target}: {len(ids)} scenarios need a folder for their results, not a "
            "file name. Name a folder, or run one scenario at a time"
        )
    return [target / f"{i}{suffix}" for i in ids]


def _is_cba_output(path: Path) -> bool:
    if path.suffix.lower() == ".xlsx":
        try:
            with zipfile.ZipFile(path) as archive:
                return b"cba_scenario_sha256" in archive.read("docProps/custom.xml")
        except (OSError, KeyError, zipfile.BadZipFile):
            return False
    try:
        existing = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(existing, dict) and "cba_results" in existing


def _check_replaceable(path: Path, force: bool) -> None:
    """Refuse to overwrite a file that cba did not write unless --force is given."""
    if force or not path.exists() or _is_cba_output(path):
        return
    raise UsageError(
        f"{path}: exists and was not written by cba; refusing to overwrite it. "
        "Choose another path, or pass --force to replace it"
    )


def _load_all(paths: list[Path], err: Console) -> tuple[list[tuple[Path, object]], int]:
    from cba.io.problems import ScenarioError
    from cba.io.scenario_file import load_scenario

    loaded: list[tuple[Path, object]] = []
    invalid = 0
    for path in paths:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                loaded.append((path, load_scenario(path)))
            except ScenarioError as exc:
                invalid += 1
                err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        for warning in caught:
            err.print(f"warning: {warning.message}", markup=False, highlight=False, soft_wrap=True)
    return loaded, invalid


def command_validate(args: argparse.Namespace, out: Console, err: Console) -> int:
    """Check files without computing."""
    paths = _scenario_paths(args.scenarios)
    loaded, invalid = _load_all(paths, err)
    for path, _ in loaded:
        out.print(f"{path}: valid", markup=False, highlight=False, soft_wrap=True)
    return EXIT_INVALID if invalid else EXIT_OK


def command_run(args: argparse.Namespace, out: Console, err: Console) -> int:
    """Validate, compute and report every scenario."""
    from cba.io.atomic import write_bytes_atomically
    from cba.io.json_results import results_to_json
    from cba.io.provenance import scenario_provenance
    from cba.io.terminal import print_summary
    from cba.io.workbook.template import DEFAULT_TEMPLATE, load_template, template_digest
    from cba.io.workbook.writer import write_workbook
    from cba.pipeline import run
    from cba.spec.scenario import Scenario

    paths = _scenario_paths(args.scenarios)
    loaded, invalid = _load_all(paths, err)
    if invalid and not args.keep_going:
        err.print(f"{invalid} scenario file(s) invalid; nothing was written.", style="bold red")
        return EXIT_INVALID
    scenarios = [(p, s) for p, s in loaded if isinstance(s, Scenario)]
    ids = [s.id for _, s in scenarios]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise UsageError(
            f"several files have the scenario id {', '.join(duplicates)}; "
            "results would overwrite each other. Give each scenario its own id"
        )
    json_targets = _targets("--json", args.json, ids, ".json")
    book_targets = _targets("-o", args.output, ids, ".xlsx")
    for target in (*json_targets, *book_targets):
        _check_replaceable(target, args.force)
    template = Path(args.template) if args.template else None
    if template is not None:
        load_template(template)  # refuse a bad template before anything is written
    for (path, scenario), json_target, book_target in zip(
        scenarios, json_targets, book_targets, strict=True
    ):
        results = run(scenario)
        provenance = scenario_provenance(path)
        # The command that reproduces the figures; output locations do not change them and
        # are left out, so the same scenario gives the same bytes wherever it is written.
        provenance["command"] = shlex.join(
            ["cba", "run", str(path), *(["--template", args.template] if args.template else [])]
        )
        provenance["template_sha256"] = template_digest(template or DEFAULT_TEMPLATE)
        provenance["random_seed"] = None
        written = write_workbook(results, scenario, provenance, book_target, template)
        write_bytes_atomically(json_target, results_to_json(results, provenance))
        if not args.quiet:
            print_summary(results, out)
            for line in (
                f"  results: {json_target}",
                f"  workbook: {book_target}",
                f"  workbook content digest: {written.content_digest}",
                "",
            ):
                out.print(line, style="dim", markup=False, soft_wrap=True)
    return EXIT_INVALID if invalid else EXIT_OK


def command_scale(args: argparse.Namespace, out: Console, err: Console) -> int:
    """Sweep an option over its scale driver and print the key points."""
    from cba.io.terminal import print_scale
    from cba.scale_sweep import ScaleError, sweep_option

    paths = _scenario_paths([args.scenario])
    loaded, invalid = _load_all(paths, err)
    if invalid or not loaded:
        return EXIT_INVALID
    _, scenario = loaded[0]
    from cba.spec.scenario import Scenario

    assert isinstance(scenario, Scenario)
    scalable = [o.id for o in scenario.options if o.scale is not None]
    option_id = args.option or (scalable[0] if len(scalable) == 1 else None)
    if option_id is None:
        raise UsageError(
            "name the option to sweep with --option; options with a scale driver: "
            + (", ".join(scalable) or "none")
        )
    if option_id not in {o.id for o in scenario.options}:
        raise UsageError(f"--option {option_id}: no such option in {args.scenario}")
    try:
        curve = sweep_option(scenario, option_id, args.points)
    except ScaleError as exc:
        raise UsageError(str(exc)) from None
    print_scale(curve, scenario.option(option_id).name, out)
    return EXIT_OK


def command_verify(args: argparse.Namespace, out: Console, err: Console) -> int:
    """Recompute a workbook's scenario and compare every figure."""
    from cba.io.workbook.template import TemplateError
    from cba.io.workbook.verify import VerifyError, verify_workbook

    try:
        outcome = verify_workbook(
            Path(args.workbook),
            scenario=Path(args.scenario) if args.scenario else None,
            rev=args.rev,
            template=Path(args.template) if args.template else None,
        )
    except (VerifyError, TemplateError) as exc:
        raise UsageError(str(exc)) from None

    def say(text: str) -> None:
        out.print(text, markup=False, highlight=False, soft_wrap=True)

    say(f"scenario: {outcome.scenario}")
    if outcome.sha256_matches:
        say(f"scenario sha256 matches the workbook's record ({outcome.current_sha256})")
    else:
        say(
            f"scenario sha256 differs: the workbook recorded {outcome.recorded_sha256}, "
            f"the file now has {outcome.current_sha256}"
        )
    if outcome.figures_match:
        say(f"all {outcome.compared} figures match")
        return EXIT_OK
    say(f"{len(outcome.differences)} of {outcome.compared} figures differ:")
    for difference in outcome.differences:
        say(f"  {difference}")
    return EXIT_DIFFERS


def command_schema(args: argparse.Namespace, out: Console, err: Console) -> int:
    """Print or write the JSON Schema of the scenario language."""
    from cba.io.atomic import write_bytes_atomically
    from cba.io.reference_doc import scenario_language_markdown
    from cba.io.schema import scenario_json_schema

    text = scenario_language_markdown() if args.format == "markdown" else scenario_json_schema()
    if args.output:
        write_bytes_atomically(Path(args.output), text.encode("utf-8"))
        err.print(f"wrote {args.output}", highlight=False)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``cba`` command."""
    from cba import __version__

    parser = argparse.ArgumentParser(
        prog="cba",
        description="Cost-benefit analysis for neighbourhood community budgets "
        "(HM Treasury Green Book; local-partnership CBA).",
    )
    parser.add_argument("--version", action="version", version=f"cba {__version__}")
    parser.add_argument("--debug", action="store_true", help="show a traceback on internal errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run", help="appraise scenarios: print a summary, write the workbook and JSON results"
    )
    run.add_argument(
        "scenarios", nargs="+", metavar="SCENARIO", help="scenario files, or folders of .yaml files"
    )
    run.add_argument(
        "--json",
        metavar="PATH",
        help="results file (one scenario) or folder (several); default out/<id>.json",
    )
    run.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="workbook file (one scenario) or folder (several); default out/<id>.xlsx",
    )
    run.add_argument(
        "--template",
        metavar="PATH",
        help="a branded copy of templates/xlsx/default.xlsx to style the workbook",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="replace an existing output file that cba did not write",
    )
    run.add_argument(
        "--keep-going",
        action="store_true",
        help="still compute the valid scenarios when some are invalid (exit 2)",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="do not print the summary")
    run.set_defaults(handler=command_run)

    validate = sub.add_parser("validate", help="check scenario files without computing")
    validate.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    validate.set_defaults(handler=command_validate)

    scale = sub.add_parser("scale", help="sweep an option over its scale driver")
    scale.add_argument("scenario", metavar="SCENARIO")
    scale.add_argument("--option", metavar="ID", help="the option to sweep")
    scale.add_argument("--points", type=int, metavar="N", help="number of sweep points")
    scale.set_defaults(handler=command_scale)

    verify = sub.add_parser(
        "verify",
        help="recompute a workbook's scenario and compare every figure (exit 3 if any differs)",
    )
    verify.add_argument("workbook", metavar="WORKBOOK")
    verify.add_argument(
        "--scenario", metavar="PATH", help="the scenario file (default: the one in the provenance)"
    )
    verify.add_argument(
        "--rev", metavar="REV", help="use the scenario as it was at this git revision"
    )
    verify.add_argument("--template", metavar="PATH", help="the template the workbook used")
    verify.set_defaults(handler=command_verify)

    schema = sub.add_parser("schema", help="print the JSON Schema of the scenario language")
    schema.add_argument("-o", "--output", metavar="PATH", help="write to a file instead")
    schema.add_argument(
        "--format",
        choices=("json", "markdown"),
        default="json",
        help="json (the JSON Schema, default) or markdown (the reference doc)",
    )
    schema.set_defaults(handler=command_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cba`` console script and ``python -m cba``."""
    parser = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(arguments)
    args.argv = arguments
    out = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    from cba.io.atomic import OutputError
    from cba.io.workbook.template import TemplateError

    try:
        code: int = args.handler(args, out, err)
    except (UsageError, OutputError, TemplateError) as exc:
        err.print(f"cba: {exc}", markup=False, highlight=False, soft_wrap=True)
        return EXIT_INVALID
    except KeyboardInterrupt:
        err.print("cba: interrupted; no partial output was left", markup=False)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug in cba, not a user mistake
        if args.debug:
            traceback.print_exc()
        err.print(
            f"cba: internal error: {type(exc).__name__}: {exc}. This is a bug in cba; rerun "
            "with --debug for a traceback and report it.",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return EXIT_INTERNAL
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
