"""The ``cba`` command: parse arguments, call the API, print, set the exit code.

Exit codes: 0 success, 2 invalid input (a located message per problem), 1 internal error
(with ``--debug``, the traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

EXIT_OK, EXIT_INTERNAL, EXIT_INVALID, EXIT_INTERRUPTED = 0, 1, 2, 130


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


def _json_targets(paths: list[Path], json_arg: str | None, ids: list[str]) -> list[Path]:
    if json_arg is None:
        return [Path("out") / f"{i}.json" for i in ids]
    target = Path(json_arg)
    if len(paths) == 1 and not target.is_dir() and target.suffix.lower() == ".json":
        return [target]
    if (target.exists() and not target.is_dir()) or target.suffix.lower() == ".json":
        raise UsageError(
            f"--json {target}: {len(paths)} scenarios need a folder for their results, not a "
            "file name. Name a folder, or run one scenario at a time"
        )
    return [target / f"{i}.json" for i in ids]


def _check_replaceable(path: Path, force: bool) -> None:
    """Refuse to overwrite a file that is not a cba results file unless --force is given."""
    if force or not path.exists():
        return
    try:
        existing = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(existing, dict) and "cba_results" in existing:
            return
    except (OSError, ValueError):
        pass
    raise UsageError(
        f"{path}: exists and is not a cba results file; refusing to overwrite it. "
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
    targets = _json_targets([p for p, _ in scenarios], args.json, ids)
    for target in targets:
        _check_replaceable(target, args.force)
    for (path, scenario), target in zip(scenarios, targets, strict=True):
        results = run(scenario)
        provenance = scenario_provenance(path)
        provenance["command"] = "cba run"
        write_bytes_atomically(target, results_to_json(results, provenance))
        if not args.quiet:
            print_summary(results, out)
            out.print(f"  results: {target}\n", style="dim", markup=False, soft_wrap=True)
    return EXIT_INVALID if invalid else EXIT_OK


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

    run = sub.add_parser("run", help="appraise scenarios: print a summary, write JSON results")
    run.add_argument(
        "scenarios", nargs="+", metavar="SCENARIO", help="scenario files, or folders of .yaml files"
    )
    run.add_argument(
        "--json",
        metavar="PATH",
        help="results file (one scenario) or folder (several); default out/<id>.json",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="replace an existing output file that is not a cba results file",
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
    args = parser.parse_args(argv)
    out = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    from cba.io.atomic import OutputError

    try:
        code: int = args.handler(args, out, err)
    except (UsageError, OutputError) as exc:
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
