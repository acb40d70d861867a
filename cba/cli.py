"""The ``cba`` command: parse arguments, call the API, print, set the exit code.

Exit codes: 0 success, 2 invalid input (a located message per problem), 3 (``cba verify``) some
figure differs, 4 (``--pdf``, ``cba pack``) some PDF could not be rendered (the workbooks and
JSON results were written), 1 internal error (with ``--debug``, the traceback), 130
interrupted (Ctrl-C), 141 the reader of the output went away (a closed pipe, as in
``cba verify book.xlsx | head``: cba stops quietly, with the status a shell reports for a
command ended by SIGPIPE), 143 terminated (SIGTERM) while writing files (they were removed, the
old ones kept).

Each command imports what it uses when it runs, so ``cba --help`` loads none of pydantic,
numpy, openpyxl or rich, and ``cba validate`` loads no numpy, openpyxl or pandas. Ctrl-C is
handled from the first line of :func:`main`, before any of those imports.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    import argparse

    from rich.console import Console

    from cba.spec.scenario import Scenario

EXIT_OK, EXIT_INTERNAL, EXIT_INVALID, EXIT_DIFFERS = 0, 1, 2, 3
EXIT_NO_PDF = 4
"""``cba run --pdf`` or ``cba pack``: some PDF was not rendered (every other file was written)."""
EXIT_INFEASIBLE = 5
"""``cba map``: the strategy map's targets cannot be met within its limits (the report says
which limits bind)."""
EXIT_PARTIAL = 6
"""``cba batch``: some rows of the area table (or Monte Carlo chunks) could not be evaluated;
the other areas' results were written, and the message says which areas to rerun."""
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE: what a shell reports for ``yes | head``; ``set -o pipefail`` sees it."""
EXIT_TERMINATED = 143
"""128 + SIGTERM: terminated while writing files (cba removed its temporaries first)."""
INTERRUPTED_MESSAGE = "cba: interrupted; no partial output was left"
TERMINATED_MESSAGE = (
    "cba: terminated; no partial output was left (files being written were removed, "
    "existing files are unchanged)"
)

USER_ERRORS = (
    ("cba.io.atomic", "OutputError"),
    ("cba.io.workbook.template", "TemplateError"),
    ("cba.pipeline", "NonFiniteResultError"),
    ("cba.model.evaluation", "ParameterValueError"),
)
"""Exceptions (module, name) that are the user's to fix (exit 2), besides UsageError."""


class UsageError(Exception):
    """Bad command-line input (exit 2)."""


class Output:
    """One output stream, stdout or stderr: plain lines are written as they are; tables and
    styled lines go through a rich console created on first use."""

    def __init__(self, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def line(self, text: str = "") -> None:
        """Write ``text`` and a newline verbatim: no markup, no wrapping, never cut."""
        (sys.stderr if self._stderr else sys.stdout).write(text + "\n")

    @property
    def console(self) -> Console:
        """The rich console of this stream."""
        if self._console is None:
            self._console = _rich_console(self._stderr)
        return self._console


def _rich_console(stderr: bool) -> Console:
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # rich would exit 1 here; main() handles a closed pipe once, for every command.
            self.quiet = True
            raise BrokenPipeError

    # No markup and no emoji codes: user text and paths (``line100.yaml:100:``) print as given.
    return _Console(stderr=stderr, highlight=False, markup=False, emoji=False)


def _scenario_paths(arguments: Sequence[str]) -> list[Path]:
    paths: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if _is_dir(path):
            found = sorted(p for p in path.glob("*.yaml") if p.is_file())
            if not found:
                raise UsageError(f"{path}: no .yaml scenario files in this folder")
            paths.extend(found)
        else:
            paths.append(path)
    return paths


def _is_dir(path: Path) -> bool:
    """Whether ``path`` is a folder; False where the system cannot say (a name too long: the
    output checks report it)."""
    try:
        return path.is_dir()
    except OSError:
        return False


def _names_one_file(given: str, count: int, suffix: str) -> bool:
    """Whether an output option names a single file (one scenario) rather than a folder."""
    target = Path(given)
    return count == 1 and not _is_dir(target) and target.suffix.lower() == suffix


def _targets(option: str, given: str | None, ids: list[str], suffix: str) -> list[Path]:
    """Output files for each scenario id: a file (one scenario) or a folder (several)."""
    if given is None:
        return [Path("out") / f"{i}{suffix}" for i in ids]
    target = Path(given)
    if _names_one_file(given, len(ids), suffix):
        return [target]
    exists = os.path.lexists(target)
    if len(ids) == 1 and exists and not _is_dir(target):
        raise UsageError(
            f"{option} {target}: is an existing file, not a {suffix} file; name a {suffix} "
            "file or a folder for the results"
        )
    if (exists and not _is_dir(target)) or target.suffix.lower() == suffix:
        raise UsageError(
            f"{option} {target}: {_plural(len(ids), 'scenario')} need a folder for their "
            "results, not a file name. Name a folder, or run one scenario at a time"
        )
    return [target / f"{i}{suffix}" for i in ids]


def _load_all(paths: list[Path], err: Output) -> tuple[list[tuple[Path, Scenario]], int]:
    import warnings

    from cba.io.problems import ScenarioError
    from cba.io.scenario_file import load_scenario

    loaded: list[tuple[Path, Scenario]] = []
    invalid = 0
    for path in paths:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                loaded.append((path, load_scenario(path)))
            except ScenarioError as exc:
                invalid += 1
                err.line(str(exc))
        for warning in caught:
            err.line(f"warning: {warning.message}")
    return loaded, invalid


def _is_budget_file(path: Path) -> bool:
    """Whether ``path`` holds a budget (a top-level ``cba_budget:`` key in its first 64 KiB)
    rather than a scenario; False for anything unreadable (the scenario loader reports it)."""
    import re

    try:
        with path.open("rb") as handle:
            head = handle.read(65536)
    except OSError:
        return False
    return re.search(rb"^cba_budget[ \t]*:", head, re.MULTILINE) is not None


def command_validate(args: argparse.Namespace, out: Output, err: Output) -> int:
    """Check scenario and budget files without computing; each valid file is named in the
    order given."""
    from cba.io.budget_file import load_budget
    from cba.io.problems import ScenarioError

    paths = _scenario_paths(args.scenarios)
    budgets = [p for p in paths if _is_budget_file(p)]
    loaded, invalid = _load_all([p for p in paths if p not in budgets], err)
    said = {path: f"{path}: valid" for path, _ in loaded}
    for path in budgets:
        try:
            schemes = len(load_budget(path).budget.schemes)
        except ScenarioError as exc:
            invalid += 1
            err.line(str(exc))
            continue
        said[path] = f"{path}: valid (budget, {_plural(schemes, 'scheme')})"
    for path in paths:
        if path in said:
            out.line(said[path])
    return EXIT_INVALID if invalid else EXIT_OK


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def parse_settings(given: Sequence[str] | None, option: str = "--set") -> dict[str, Any]:
    """``PATH=VALUE`` arguments as ``{path: value}`` (in order; a path given twice is refused)."""
    from cba.spec.parameters import value_from_text

    settings: dict[str, Any] = {}
    for item in given or ():
        path, sep, value = item.partition("=")
        path = path.strip()
        if not sep or not path or not value.strip():
            raise UsageError(
                f"{option} {item}: write PATH=VALUE, e.g. {option} "
                "options.resident_patrols.benefits.burglary_avoided.deadweight=0.4 "
                "(cba params SCENARIO lists the paths)"
            )
        if path in settings:
            raise UsageError(f"{option} {path}: given twice; give each path once")
        settings[path] = value_from_text(value.strip())
    return settings


def variant_id(settings: dict[str, Any]) -> str:
    """A short, stable name for a set of overrides: the first 8 hex digits of the SHA-256 of
    the settings as sorted JSON (so the same --set values always name the same files)."""
    import hashlib
    import json

    text = json.dumps(sorted(settings.items()), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def _apply_settings(
    loaded: list[tuple[Path, Scenario]], settings: dict[str, Any], err: Output
) -> tuple[list[tuple[Path, Scenario]], int]:
    """Each scenario with ``settings`` applied and validated as if written in its file."""
    if not settings:
        return loaded, 0
    from cba.io.problems import ScenarioError
    from cba.io.scenario_file import with_values

    changed: list[tuple[Path, Scenario]] = []
    invalid = 0
    for path, scenario in loaded:
        try:
            changed.append((path, with_values(scenario, settings)))
        except ScenarioError as exc:
            invalid += 1
            for problem in exc.problems:
                err.line(f"{path}: --set {problem.path}: {problem.message}")
    return changed, invalid


@contextlib.contextmanager
def _simulation_progress(out: Output, label: str) -> Iterator[Any]:
    """A rich progress bar for a Monte Carlo that runs over about a second, on a terminal
    only (silent when the output is captured or piped); yields the ``progress`` callback."""
    import time

    if not sys.stdout.isatty():
        yield None
        return
    from rich.progress import Progress

    started = time.monotonic()
    bar: Any = None
    task: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal bar, task
        if bar is None:
            if time.monotonic() - started < 1.0 and done < total / 2:
                return
            bar = Progress(console=out.console, transient=True)
            bar.start()
            task = bar.add_task(f"{label}: Monte Carlo", total=total)
        bar.update(task, completed=done)

    try:
        yield progress
    finally:
        if bar is not None:
            bar.stop()


def command_run(args: argparse.Namespace, out: Output, err: Output) -> int:
    """Validate, compute and report every scenario; write all the outputs together."""
    import hashlib
    import shlex

    from cba.io.atomic import write_files_atomically
    from cba.io.json_results import results_to_json
    from cba.io.outputs import Target, check_outputs
    from cba.io.provenance import scenario_provenance
    from cba.io.strategy_map_figure import diagram_paths, rendered
    from cba.io.terminal import plain, print_notes, print_summary, summary_notes
    from cba.io.workbook.draws_sheet import MAX_DRAWS
    from cba.io.workbook.package import content_digest
    from cba.io.workbook.template import DEFAULT_TEMPLATE, open_template, template_digest
    from cba.io.workbook.writer import build_workbook
    from cba.pipeline import run
    from cba.uncertainty import draw_table
    from cba.what_if import compile_scenario

    settings = parse_settings(args.set)
    if args.draws is not None and not 100 <= args.draws <= 10_000_000:
        raise UsageError(f"--draws {args.draws}: give from 100 to 10,000,000 draws")
    if args.seed is not None and not 0 <= args.seed <= 2**63 - 1:
        raise UsageError(f"--seed {args.seed}: give a whole number from 0 to 2**63 - 1")
    if args.full_draws and args.draws is not None and args.draws > MAX_DRAWS:
        raise UsageError(
            f"--full-draws with --draws {args.draws:,}: a sheet holds at most {MAX_DRAWS:,} "
            "draws, one a row; give fewer draws or leave out --full-draws"
        )
    # LibreOffice is looked for before anything is loaded or computed.
    soffice = _soffice("--pdf") if args.pdf else None
    paths = _scenario_paths(args.scenarios)
    scenarios, invalid = _load_all(paths, err)
    scenarios, refused = _apply_settings(scenarios, settings, err)
    invalid += refused
    if invalid and not args.keep_going:
        err.line(f"{invalid} scenario file(s) invalid; nothing was written.")
        return EXIT_INVALID
    if args.full_draws:
        for path, scenario in scenarios:
            count = args.draws or (scenario.monte_carlo.draws if scenario.monte_carlo else 0)
            if count > MAX_DRAWS:
                raise UsageError(
                    f"--full-draws: {path} asks for {count:,} draws and a sheet holds at most "
                    f"{MAX_DRAWS:,}, one a row; give --draws {MAX_DRAWS} or fewer"
                )
    ids = [s.id for _, s in scenarios]
    # A variant's outputs are named apart from the base run's, so neither overwrites the other.
    names = [f"{i}.variant-{variant_id(settings)}" if settings else i for i in ids]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise UsageError(
            f"several files have the scenario id {', '.join(duplicates)}; "
            "results would overwrite each other. Give each scenario its own id"
        )
    book_targets = _targets("-o", args.output, names, ".xlsx")
    json_given = args.json
    if json_given is None and args.output and not _names_one_file(args.output, len(ids), ".xlsx"):
        json_given = args.output  # -o FOLDER is the output folder of both
    json_targets = _targets("--json", json_given, names, ".json")
    pdf_targets = [t.with_suffix(".pdf") for t in book_targets] if args.pdf else []
    # A scenario with a strategy map gets its diagram beside its workbook, as SVG and PNG.
    diagram_targets = {
        book: diagram_paths(book)
        for (_, scenario), book in zip(scenarios, book_targets, strict=True)
        if scenario.strategy_map is not None
    }
    template = Path(args.template) if args.template else None
    # Every output path is checked before anything is computed or written.
    check_outputs(
        [
            *(Target(t, "workbook (-o)") for t in book_targets),
            *(Target(t, "JSON results (--json)") for t in json_targets),
            *(Target(t, "PDF (--pdf)", marked=False) for t in pdf_targets),
            *(Target(t, "strategy-map diagram") for pair in diagram_targets.values() for t in pair),
        ],
        inputs=[*paths, *([template] if template is not None else [])],
        force=args.force,
    )
    if template is not None:
        # Refuse a bad template before anything is written; say what was dropped from it.
        loaded = open_template(template)
        for line in loaded.warnings():
            err.line(f"warning: {line}")
        template_sha256 = loaded.sha256
    else:
        template_sha256 = template_digest(DEFAULT_TEMPLATE)
    files: list[tuple[Path, bytes]] = []
    reports = []
    for (path, scenario), json_target, book_target in zip(
        scenarios, json_targets, book_targets, strict=True
    ):
        overrides: dict[str, Any] = {}
        if args.draws is not None:
            overrides["draws"] = args.draws
        if args.seed is not None:
            overrides["seed"] = args.seed
        if settings:
            overrides["variant"] = settings
        with _simulation_progress(out, scenario.id) as progress:
            if progress is not None:
                overrides["progress"] = progress
            results = run(scenario, **overrides)
        provenance: dict[str, Any] = scenario_provenance(path)
        if results.references:
            # Each shipped table the figures came from, by the hash of its file's bytes.
            provenance["reference_tables"] = {
                use.table: use.table_sha256 for use in results.references
            }
        if provenance["scenario_file_unchanged_since_commit"] is False:
            message = (
                f"{path}: has changes not committed to git: the workbook records its sha256, "
                "but no commit holds this version (commit it so that it can be rerun)"
            )
            if args.strict:
                raise UsageError(message + "; --strict: nothing was written")
            err.line(f"warning: {message}")
        # The command that reproduces the figures; output locations do not change them and
        # are left out, so the same scenario gives the same bytes wherever it is written.
        provenance["command"] = shlex.join(
            [
                "cba",
                "run",
                str(path),
                *(["--template", args.template] if args.template else []),
                *(f"--set={k}={v}" for k, v in results.variant),
                *([f"--draws={args.draws}"] if args.draws is not None else []),
                *([f"--seed={args.seed}"] if args.seed is not None else []),
                *(["--full-draws"] if args.full_draws else []),
            ]
        )
        if settings:
            provenance["variant"] = {
                "of": str(path),
                "settings": "; ".join(f"{k}={v}" for k, v in results.variant),
                "note": "inputs set on the command line over the scenario file's values",
            }
        provenance["template_sha256"] = template_sha256
        simulated = results.uncertainty
        provenance["random_seed"] = None if simulated is None else simulated.seed
        if simulated is not None:
            provenance["monte_carlo_draws"] = simulated.draws
            provenance["random_streams"] = (
                "numpy PCG64, one stream per input from SeedSequence(seed, SHA-256 of its path)"
            )
        table = None
        if args.full_draws and simulated is not None:
            table = draw_table(
                compile_scenario(scenario), draws=simulated.draws, seed=simulated.seed
            )
            provenance["monte_carlo_full_draws"] = "yes"
        elif args.full_draws:
            err.line(f"note: {path} declares no uncertain inputs; its workbook has no Draws sheet")
        book, _ = build_workbook(results, scenario, provenance, template, table)
        digests = {
            "content_digest": content_digest(book),
            "sha256": hashlib.sha256(book).hexdigest(),
        }
        files += [(book_target, book), (json_target, results_to_json(results, provenance, digests))]
        if book_target in diagram_targets and results.strategy_map is not None:
            drawn = rendered(results.strategy_map)
            svg_target, png_target = diagram_targets[book_target]
            files += [(svg_target, drawn.svg), (png_target, drawn.png)]
        reports.append((results, json_target, book_target, digests["content_digest"]))
    # One commit for the whole run: every workbook and JSON file, or none of them.
    write_files_atomically(files)
    # The PDFs are rendered from the committed workbooks, each written on its own.
    pdf_of = dict(zip(book_targets, pdf_targets, strict=True)) if args.pdf else {}
    failed = _render_pdfs(soffice, list(pdf_of.items()))
    code = EXIT_INVALID if invalid else EXIT_NO_PDF if failed else EXIT_OK
    if args.quiet or not reports:
        _report_pdf_failures(failed, len(pdf_targets), err)
        return code
    notes: dict[str, list[str]] = {}
    written_pdfs = [t for t in pdf_targets if t not in failed]
    for results, json_target, book_target, digest in reports:
        pdf_target = pdf_of.get(book_target)
        print_summary(results, out.console, notes=False)
        notes[results.scenario_id] = summary_notes(results)
        for line in (
            f"  results: {json_target}",
            f"  workbook: {book_target}",
            f"  workbook content digest: {digest}",
            *(
                [f"  strategy-map diagram: {', '.join(map(str, diagram_targets[book_target]))}"]
                if book_target in diagram_targets
                else []
            ),
            *([f"  PDF: {pdf_target}"] if pdf_target in written_pdfs else []),
            "",
        ):
            out.console.print(plain(line, "dim"), soft_wrap=True)
    print_notes(notes, out.console)
    folders = list(
        dict.fromkeys(str(t.parent) for t in (*book_targets, *json_targets, *written_pdfs))
    )  # diagrams go beside their workbooks
    skipped = f"; {_plural(invalid, 'invalid file')} skipped" if invalid else ""
    pdfs = f", {_plural(len(written_pdfs), 'PDF')}" if args.pdf else ""
    diagrams = f", {2 * len(diagram_targets)} diagram files" if diagram_targets else ""
    out.line(
        f"{_plural(len(reports), 'scenario')} appraised{skipped}; "
        f"{_plural(len(files) + len(written_pdfs), 'file')} written "
        f"({_plural(len(book_targets), 'workbook')}, {len(json_targets)} JSON results"
        f"{diagrams}{pdfs}) in " + " and ".join(folders)
    )
    _report_pdf_failures(failed, len(pdf_targets), err)
    return code


def _soffice(option: str) -> str:
    """LibreOffice's soffice program, or a UsageError saying how to install it."""
    from cba.io.pdf import LibreOfficeMissingError, find_soffice

    try:
        return find_soffice()
    except LibreOfficeMissingError as exc:
        raise UsageError(f"{option}: {exc}; nothing was written") from None


def _render_pdfs(soffice: str | None, jobs: list[tuple[Path, Path]]) -> dict[Path, str]:
    """Render each (workbook, PDF) pair; {PDF path: failure message} for those not written."""
    if soffice is None or not jobs:
        return {}
    from cba.io.pdf import render_pdfs

    return {failure.pdf: failure.message for failure in render_pdfs(jobs, soffice=soffice)}


def _report_pdf_failures(
    failed: dict[Path, str],
    total: int,
    err: Output,
    then: str = "; every workbook and JSON results file was written (cba pack WORKBOOK "
    "tries again)",
) -> None:
    for message in failed.values():
        err.line(f"cba: {message}")
    if failed:
        err.line(f"cba: {len(failed)} of {_plural(total, 'PDF')} not rendered{then}")


def command_pack(args: argparse.Namespace, out: Output, err: Output) -> int:
    """Render workbooks written by ``cba run`` to PDF with LibreOffice."""
    from cba.io.outputs import Target, check_outputs, is_cba_workbook

    soffice = _soffice("cba pack")
    books: list[Path] = []
    for given in args.workbooks:
        path = Path(given)
        if _is_dir(path):
            found = sorted(p for p in path.glob("*.xlsx") if p.is_file() and is_cba_workbook(p))
            if not found:
                raise UsageError(f"{path}: no workbooks written by cba run in this folder")
            books.extend(found)
        else:
            books.append(path)
    problems = [
        f"{book}: no such file"
        if not book.is_file()
        else f"{book}: not a workbook written by "
        "cba run (cba pack renders only those; open it in a spreadsheet program and export it "
        "as PDF instead)"
        for book in books
        if not (book.is_file() and is_cba_workbook(book))
    ]
    if problems:
        raise UsageError(
            problems[0]
            if len(problems) == 1
            else f"{len(problems)} problems; nothing was written:\n"
            + "\n".join(f"  {problem}" for problem in problems)
        )
    if args.output is None:
        targets = [book.with_suffix(".pdf") for book in books]
    else:
        targets = _targets("-o", args.output, [book.stem for book in books], ".pdf")
    check_outputs([Target(t, "PDF", marked=False) for t in targets], inputs=books, force=args.force)
    failed = _render_pdfs(soffice, list(zip(books, targets, strict=True)))
    for book, target in zip(books, targets, strict=True):
        if target not in failed:
            out.line(f"{target} (from {book})")
    _report_pdf_failures(failed, len(targets), err, then="")
    return EXIT_NO_PDF if failed else EXIT_OK


def _one_scenario(given: str, err: Output, settings: dict[str, Any]) -> Scenario | None:
    paths = _scenario_paths([given])
    if len(paths) != 1:
        raise UsageError(f"{given}: name one scenario file, not a folder")
    loaded, invalid = _load_all(paths, err)
    loaded, refused = _apply_settings(loaded, settings, err)
    if invalid or refused or not loaded:
        return None
    return loaded[0][1]


GIT_TIMEOUT = 60
"""Longest wait for ``git show`` [s]."""


def _scenario_side(given: str, err: Output) -> Scenario | None:
    """A side of ``cba diff``: a scenario file, or ``FILE@REV`` read from git."""
    import subprocess

    from cba.io.problems import ScenarioError
    from cba.io.scenario_file import scenario_from_bytes

    path = Path(given)
    try:
        if path.suffix.lower() == ".xlsx" and path.is_file():
            from cba.io.workbook.verify import VerifyError, workbook_scenario

            try:
                return workbook_scenario(path)[1]
            except VerifyError as exc:
                raise UsageError(f"{given}: {exc}") from None
        if path.is_file() or "@" not in given:
            return _one_scenario(given, err, {})
        name, rev = given.rsplit("@", 1)
        file = Path(name)
        if not rev or not file.name:
            raise UsageError(f"{given}: write FILE@REV, e.g. scenario.yaml@HEAD~1")
        try:
            shown = subprocess.run(
                ["git", "-C", str(file.parent or Path(".")), "show", f"{rev}:./{file.name}"],
                capture_output=True,
                timeout=GIT_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise UsageError(f"{given}: git could not be run ({exc})") from None
        if shown.returncode != 0:
            reason = shown.stderr.decode("utf-8", "replace").strip().splitlines()
            raise UsageError(
                f"{given}: git cannot read {file.name} at {rev}"
                + (f" ({reason[0][:200]})" if reason else "")
            )
        return scenario_from_bytes(shown.stdout, given)
    except ScenarioError as exc:
        err.line(str(exc))
        return None


def command_diff(args: argparse.Namespace, out: Output, err: Output) -> int:
    """What moved the figures between two versions of a scenario."""
    from cba.changes import diff
    from cba.io.diff_report import diff_to_json, print_diff

    old_side, new_side = args.old, args.new
    if args.rev is not None:
        if new_side is not None or ".." not in args.rev:
            raise UsageError("--rev A..B compares one scenario file: cba diff FILE --rev A..B")
        first, last = args.rev.split("..", 1)
        old_side = f"{args.old}@{first or 'HEAD'}"
        new_side = f"{args.old}@{last}" if last else args.old
    elif new_side is None:
        raise UsageError("name two sides (cba diff OLD NEW), or one file with --rev A..B")
    book = Path(args.output) if args.output else None
    if book is not None:
        from cba.io.outputs import Target, check_outputs

        if book.suffix.lower() != ".xlsx":
            raise UsageError(f"-o {book}: name an .xlsx file for the Changes workbook")
        inputs = [Path(side.rsplit("@", 1)[0]) for side in (old_side, new_side)]
        check_outputs([Target(book, "Changes workbook (-o)")], inputs=inputs, force=args.force)
    old = _scenario_side(old_side, err)
    new = _scenario_side(new_side, err)
    if old is None or new is None:
        return EXIT_INVALID
    try:
        found = diff(old, new)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if book is not None:
        from cba.io.atomic import write_bytes_atomically
        from cba.io.workbook.changes_sheet import changes_workbook

        write_bytes_atomically(book, changes_workbook(found, old_side, new_side))
    if args.json:
        out.line(diff_to_json(found, old_side, new_side))
    else:
        print_diff(found, old_side, new_side, out.console)
        if book is not None:
            out.line(f"Changes workbook: {book}")
    return EXIT_OK


def command_params(args: argparse.Namespace, out: Output, err: Output) -> int:
    """List every input of a scenario by parameter path."""
    import json

    from cba.io.terminal import print_params
    from cba.what_if import compile_scenario

    scenario = _one_scenario(args.scenario, err, {})
    if scenario is None:
        return EXIT_INVALID
    compiled = compile_scenario(scenario)
    if args.json:
        rows = [
            {
                "path": item.path,
                "value": item.value,
                "unit": item.unit,
                "low": item.low,
                "high": item.high,
                "whole_number": item.whole,
                "choices": list(item.choices),
                "given_in_file": item.given,
                "varies_in_evaluation": item.path in compiled.parameters,
                "source": item.source,
            }
            for item in compiled.inputs.values()
        ]
        out.line(json.dumps({"scenario": scenario.id, "parameters": rows}, indent=2))
        return EXIT_OK
    print_params(compiled, out.console)
    return EXIT_OK


def command_reference(args: argparse.Namespace, out: Output, err: Output) -> int:
    """List, show or search the shipped reference tables."""
    import json

    from cba.io import reference_terminal as view
    from cba.reference.library import REFERENCE_FORM, ReferenceLookupError, reference_library

    library = reference_library()
    words = " ".join(args.words).strip()
    try:
        if args.action == "list":
            if words:
                raise UsageError("cba reference list takes no words: use cba reference search")
            if args.json:
                tables = [view.table_summary(s) for s in library.tables]
                out.line(json.dumps({"tables": tables}, indent=2))
            else:
                view.print_table_list(library.tables, out.console)
            return EXIT_OK
        if args.action == "show":
            match = REFERENCE_FORM.match(words)
            if not words or match is None or match["field"] is not None:
                raise UsageError(
                    "cba reference show takes one table: NAME, NAME@VINTAGE or "
                    "NAME@VINTAGE:ENTRY (cba reference list names them)"
                )
            shipped = library.table(match["table"], match["vintage"])
            entry = match["entry"]
            if entry is not None and entry not in shipped.table.entries:
                library.value(f"{shipped.table.label}:{entry}")  # raises, with a did-you-mean
            if args.json:
                names = [entry] if entry else list(shipped.table.entries)
                data = {
                    **view.table_summary(shipped),
                    "entries": [view.entry_data(shipped, name) for name in names],
                }
                out.line(json.dumps(data, indent=2))
            else:
                view.print_table(shipped, out.console, entry)
            return EXIT_OK
        if not words:
            raise UsageError("cba reference search needs words to find, e.g. burglary")
        found = library.search(words)
        if args.json:
            rows = [
                view.entry_data(s, e) if e is not None else view.table_summary(s) for s, e in found
            ]
            out.line(json.dumps({"search": words, "found": rows}, indent=2))
        else:
            view.print_search(found, words, out.console)
        return EXIT_OK
    except ReferenceLookupError as exc:
        raise UsageError(str(exc)) from None


def _ranges(params: list[str], ranges: list[str] | None) -> list[tuple[float, float] | None]:
    if not ranges:
        return [None] * len(params)
    if not params:
        raise UsageError("--range needs a --param to apply to")
    if len(ranges) not in (1, len(params)):
        raise UsageError(
            f"{len(ranges)} --range for {len(params)} --param: give one --range for all, or "
            "one after each --param"
        )
    parsed: list[tuple[float, float] | None] = []
    for text in ranges:
        low_text, sep, high_text = text.partition(":")
        try:
            low, high = float(low_text), float(high_text)
        except ValueError:
            low = high = float("nan")
        if not sep or not (low < high):
            raise UsageError(
                f"--range {text}: write LOW:HIGH with LOW below HIGH, in the input's unit, "
                "e.g. --range 0.1:0.5 (for a negative LOW: --range=-5:3)"
            )
        parsed.append((low, high))
    return parsed * len(params) if len(parsed) == 1 else parsed


def command_sensitivity(args: argparse.Namespace, out: Output, err: Output) -> int:
    """Switching values, tornado and rate tests."""
    import json

    from pydantic import ValidationError

    from cba.io.json_results import sensitivity_to_dict
    from cba.io.terminal import print_sensitivity
    from cba.model.evaluation import ParameterValueError
    from cba.sensitivity import analyse
    from cba.spec.sensitivity import SensitivityRange
    from cba.what_if import compile_scenario

    settings = parse_settings(args.set)
    params = list(args.param or [])
    ranges = _ranges(params, args.range)
    scenario = _one_scenario(args.scenario, err, settings)
    if scenario is None:
        return EXIT_INVALID
    entries = None
    if params:
        entries = []
        for path, bounds in zip(params, ranges, strict=True):
            try:
                entries.append(
                    SensitivityRange(
                        parameter=path,
                        low=None if bounds is None else bounds[0],
                        high=None if bounds is None else bounds[1],
                        why="given on the command line",
                    )
                )
            except ValidationError as exc:
                reason = exc.errors(include_url=False)[0]["msg"]
                raise UsageError(f"--param {path}: {reason}") from None
    options = [args.option] if args.option else None
    if args.option and args.option not in {o.id for o in scenario.options}:
        known = ", ".join(o.id for o in scenario.options if o.id != scenario.counterfactual)
        raise UsageError(
            f"--option {args.option}: no such option in {args.scenario}; options: {known}"
        )
    if args.option == scenario.counterfactual:
        raise UsageError(
            f"--option {args.option}: that is the counterfactual, which every other option is "
            "compared with; name another option"
        )
    compiled = compile_scenario(scenario)
    try:
        found = analyse(
            compiled,
            options=options,
            entries=entries,
            default_switching=False if args.only_listed else None,
        )
    except ParameterValueError as exc:
        for path, message in exc.problems:
            err.line(f"{args.scenario}: {path}: {message}")
        return EXIT_INVALID
    if args.json:
        text = json.dumps(
            {"scenario": scenario.id, "sensitivity": sensitivity_to_dict(found)},
            indent=2,
            ensure_ascii=False,
            allow_nan=False,
        )
        out.line(text)
        return EXIT_OK
    print_sensitivity(found, compiled, out.console)
    return EXIT_OK


def command_scale(args: argparse.Namespace, out: Output, err: Output) -> int:
    """Sweep an option over its scale driver and print the key points."""
    from cba.io.terminal import print_scale
    from cba.scale_sweep import MAX_POINTS, ScaleError, sweep_option

    if args.points is not None and not 2 <= args.points <= MAX_POINTS:
        raise UsageError(
            f"--points {args.points}: the number of sweep points must be from 2 to {MAX_POINTS:,}"
        )
    paths = _scenario_paths([args.scenario])
    loaded, invalid = _load_all(paths, err)
    if invalid or not loaded:
        return EXIT_INVALID
    _, scenario = loaded[0]
    scalable = [o.id for o in scenario.options if o.scale is not None]
    if not scalable and args.option is None:
        raise UsageError(
            f"{args.scenario}: no option declares a `scale:` block, so there is nothing to "
            "sweep. Add one to the option to sweep (driver, n0 and sweep; see docs/scale.md)"
        )
    option_id = args.option or (scalable[0] if len(scalable) == 1 else None)
    if option_id is None:
        raise UsageError(
            "name the option to sweep with --option; options with a `scale:` block: "
            + ", ".join(scalable)
        )
    if option_id not in {o.id for o in scenario.options}:
        raise UsageError(f"--option {option_id}: no such option in {args.scenario}")
    try:
        curve = sweep_option(scenario, option_id, args.points)
    except ScaleError as exc:
        raise UsageError(str(exc)) from None
    print_scale(curve, scenario.option(option_id).name, out.console)
    return EXIT_OK


def command_map(args: argparse.Namespace, out: Output, err: Output) -> int:
    """Backwards mapping of a strategy map's pathways, the least-cost mix and shadow prices."""
    import json

    from cba.io.json_results import STRATEGY_MAP_UNITS, plain_data
    from cba.io.scenario_file import map_options_left_empty
    from cba.io.strategy_map_terminal import print_map
    from cba.strategy_map import appraise_map

    with map_options_left_empty():  # an infeasible mix is reported, not refused
        scenario = _one_scenario(args.scenario, err, parse_settings(args.set))
    if scenario is None:
        return EXIT_INVALID
    if scenario.strategy_map is None:
        raise UsageError(
            f"{args.scenario}: the scenario has no strategy_map: section, so there is no map to "
            "compare (see docs/strategy-maps.md)"
        )
    appraisal = appraise_map(scenario)
    if args.json:
        data = {
            "scenario": scenario.id,
            "strategy_map": {"units": STRATEGY_MAP_UNITS, **plain_data(appraisal)},
        }
        out.line(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False))
    else:
        print_map(appraisal, out.console)
    return EXIT_OK if appraisal.mix.status != "infeasible" else EXIT_INFEASIBLE


def command_allocate(args: argparse.Namespace, out: Output, err: Output) -> int:
    """Choose which schemes a pooled budget funds, and at what scale; write the Portfolio
    workbook (and its PDF with ``--pdf``)."""
    import json
    import shlex

    from cba.allocate import allocate_budget
    from cba.io.budget_file import load_budget
    from cba.io.outputs import Target, check_outputs
    from cba.io.problems import ScenarioError
    from cba.io.workbook.portfolio_workbook import portfolio_target

    if args.draws < 0:
        raise UsageError(f"--draws {args.draws}: give 0 (central values only) or more draws")
    # LibreOffice is looked for before anything is loaded or computed.
    soffice = _soffice("--pdf") if args.pdf else None
    try:
        loaded = load_budget(args.budget)
    except ScenarioError as exc:
        err.line(str(exc))
        return EXIT_INVALID
    if args.objective or args.outcome:
        from cba.allocate import ObjectiveError, with_objective

        try:
            loaded = with_objective(loaded, args.objective, args.outcome or [])
        except ObjectiveError as exc:
            raise UsageError(str(exc)) from None
    budget = loaded.budget
    book = portfolio_target(budget.id, args.output)
    pdf = book.with_suffix(".pdf") if args.pdf else None
    inputs = [loaded.path, *(loaded.path.parent / s.scenario for s in budget.schemes)]
    # Every output path is checked before anything is computed or written.
    check_outputs(
        [
            Target(book, "workbook (-o)"),
            *([Target(pdf, "PDF (--pdf)", marked=False)] if pdf is not None else []),
        ],
        inputs=inputs,
        force=args.force,
    )
    from cba.io.native_output import native_stdout_to_stderr

    with native_stdout_to_stderr():  # the solver's stray diagnostics stay off stdout
        allocation = allocate_budget(loaded, draws=args.draws)
    if args.json:
        from cba.io.allocation_json import allocation_to_dict

        data = allocation_to_dict(allocation)
        out.line(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False))
    else:
        from cba.io.allocation_terminal import print_allocation

        print_allocation(allocation, out.console)
    if not allocation.feasible:
        err.line(f"cba: {args.budget}: {allocation.statement}; no workbook was written")
        return EXIT_INFEASIBLE
    from cba.io.atomic import write_bytes_atomically
    from cba.io.workbook.portfolio_workbook import budget_provenance, build_portfolio_workbook

    # The command that reproduces the figures; the output location does not change them.
    command = ["cba", "allocate", str(args.budget), "--draws", str(args.draws)]
    if args.objective:
        command += ["--objective", args.objective]
    for line in args.outcome or []:
        command += ["--outcome", line]
    provenance = budget_provenance(
        loaded, shlex.join(command), args.draws, args.objective or "", args.outcome or []
    )
    workbook, _ = build_portfolio_workbook(allocation, provenance, budget.name or budget.id)
    write_bytes_atomically(book, workbook)
    failed = _render_pdfs(soffice, [(book, pdf)] if pdf is not None else [])
    written = [f"workbook: {book}", *([f"PDF: {pdf}"] if pdf is not None and not failed else [])]
    message = "; ".join(written)
    if args.json:
        err.line(f"cba: {message}")  # standard output carries the JSON alone
    else:
        out.line(message)
    _report_pdf_failures(failed, 1, err, then="; the workbook was written (cba pack tries again)")
    return EXIT_NO_PDF if failed else EXIT_OK


VERIFY_SHOWN = 20
"""Calculated figures ``cba verify`` lists without ``--all``."""

BATCH_PROBLEMS_SHOWN = 50
"""Row problems ``cba batch`` lists on standard error (batch.json holds them all)."""
BATCH_FORMAT = "1.0"
"""Format of the summary workbook and provenance of ``cba batch``."""


def _safe_name(area_id: str) -> str:
    """An area id as a file name: letters, digits, ``-``, ``_`` and ``.`` kept, the rest ``_``."""
    import re

    name = re.sub(r"[^A-Za-z0-9._-]", "_", area_id).strip(".") or "area"
    return name[:100]


def command_batch(args: argparse.Namespace, out: Output, err: Output) -> int:
    """Appraise a template scenario in every area of an area table."""
    import shlex

    from cba.batch import (
        BatchError,
        area_inputs,
        batch_results,
        evaluate_areas,
        plan_batch,
        with_draws,
    )
    from cba.io import batch_outputs as files
    from cba.io.area_table import AreaTableError, read_area_table
    from cba.io.outputs import Target, check_outputs
    from cba.io.problems import ScenarioError
    from cba.io.scenario_file import load_scenario
    from cba.spec.uncertainty import MonteCarlo

    if args.draws < 0:
        raise UsageError(f"--draws {args.draws}: give 0 (no Monte Carlo) or more draws")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers {args.workers}: give 1 or more")
    if args.workers is not None and args.scheduler:
        raise UsageError("--workers starts a local cluster, --scheduler joins one: give one")
    if args.seed is not None and args.draws == 0:
        raise UsageError(
            f"--seed {args.seed}: the seed is for the areas' Monte Carlo; give --draws N too"
        )
    if (args.workers is not None or args.scheduler or args.resume) and args.draws == 0:
        raise UsageError(
            "--workers, --scheduler and --resume share out the areas' Monte Carlo; give --draws N"
        )
    template_path, table_path = Path(args.template), Path(args.areas)
    try:
        scenario = load_scenario(template_path)
    except ScenarioError as exc:
        err.line(str(exc))
        return EXIT_INVALID
    try:
        table = read_area_table(table_path)
    except AreaTableError as exc:
        err.line(f"cba: {exc}")
        return EXIT_INVALID
    if args.draws and not scenario.declares_uncertainty:
        raise UsageError(
            f"--draws {args.draws}: {template_path} declares no uncertain inputs, so there is "
            "nothing to draw (docs/methods.md §15)"
        )
    try:
        plan = plan_batch(scenario, table)
    except BatchError as exc:
        for problem in exc.problems:
            err.line(f"{table_path}:{problem.row}: column {problem.column}: {problem.message}")
        err.line("cba: the area table's header does not fit the template; nothing was written")
        return EXIT_INVALID
    absent = sorted(k for k in plan.defaults if k not in plan.attribute_columns)
    if absent:
        listed = ", ".join(f"{k} ({plan.defaults[k]:,.6g})" for k in absent)
        message = (
            f"{table_path}: no column for the template's attribute"
            f"{'' if len(absent) == 1 else 's'} {listed}: every area keeps the template's value"
        )
        if args.strict:
            err.line(f"cba: {message} (--strict: nothing was written)")
            return EXIT_INVALID
        err.line(f"warning: {message}")
    areas, problems = area_inputs(plan, table)
    if problems and args.strict:
        for problem in problems:
            err.line(f"{table_path}: {problem}")
        bad_rows = len({p.row for p in problems})
        err.line(
            f"cba: {bad_rows:,} row{'' if bad_rows == 1 else 's'} could not be evaluated "
            "(--strict: nothing was written)"
        )
        return EXIT_INVALID
    folder = (
        Path(args.output)
        if args.output
        else Path("out") / (f"{scenario.id}-{_safe_name(table_path.stem)}")
    )
    parquet_wanted = files.parquet_available()
    targets = [
        Target(folder / f"{files.TABLE_NAME}.csv", "area table results (CSV)"),
        Target(folder / files.RESULTS_NAME, "batch results (JSON)"),
        Target(folder / files.SUMMARY_NAME, "summary workbook"),
    ]
    if parquet_wanted:
        targets.append(Target(folder / f"{files.TABLE_NAME}.parquet", "area table (Parquet)"))
    workbook_paths: dict[str, Path] = {}
    if args.workbooks:
        for area in areas:
            path = folder / files.WORKBOOKS_FOLDER / f"{_safe_name(area.area_id)}.xlsx"
            if path in workbook_paths.values():
                raise UsageError(
                    f"--workbooks: area ids that differ only in characters a file name cannot "
                    f"hold would share {path.name}; give the areas distinct ids"
                )
            workbook_paths[area.area_id] = path
            targets.append(Target(path, f"workbook of area {area.area_id}"))
    check_outputs(targets, inputs=[template_path, table_path], force=args.force)
    stale = _stale_area_workbooks(folder / files.WORKBOOKS_FOLDER, set(workbook_paths.values()))
    if stale and not args.force:
        shown = ", ".join(p.name for p in stale[:5]) + (" ..." if len(stale) > 5 else "")
        raise UsageError(
            f"{folder / files.WORKBOOKS_FOLDER}: holds {len(stale):,} area workbook"
            f"{'' if len(stale) == 1 else 's'} from an earlier run that this run would not "
            f"rewrite ({shown}); they would no longer match its results. Give --workbooks to "
            "write this table's, move them away, or give --force to remove them"
        )

    results = evaluate_areas(plan, areas)
    seed = None
    failures: list[str] = []
    if args.draws:
        seed = args.seed if args.seed is not None else (scenario.monte_carlo or MonteCarlo()).seed
        found, failures = _batch_draws(args, plan, areas, seed, folder, out)
        results = with_draws(results, found)
        areas = [a for a in areas if a.area_id in found]
        results = [r for r in results if r.area_id in found]
    outcome = batch_results(plan, table, areas, results, problems, args.draws, seed)

    command = ["cba", "batch", str(template_path), str(table_path)]
    if args.draws:
        command += ["--draws", str(args.draws), "--seed", str(seed)]
    provenance = _batch_provenance(template_path, table_path, shlex.join(command), args.draws, seed)
    written: list[tuple[Path, bytes]] = []
    data = {f"{files.TABLE_NAME}.csv": files.csv_bytes(outcome)}
    parquet = files.parquet_bytes(outcome)
    if parquet is not None:
        data[f"{files.TABLE_NAME}.parquet"] = parquet
    for name, content in data.items():
        written.append((folder / name, content))
    results_json = files.json_bytes(outcome, provenance, data)
    written.append((folder / files.RESULTS_NAME, results_json))
    from cba.io.workbook.areas_workbook import build_areas_workbook

    summary, _ = build_areas_workbook(outcome, provenance, scenario.title)
    written.append((folder / files.SUMMARY_NAME, summary))
    if args.workbooks:
        written += _area_workbooks(scenario, outcome, workbook_paths, provenance)
    from cba.io.atomic import write_files_atomically

    write_files_atomically(written)
    for path in stale:  # --force: the earlier run's area workbooks this run does not rewrite
        path.unlink(missing_ok=True)
    if args.json:
        out.line(results_json.decode("utf-8").rstrip("\n"))
    else:
        from cba.io.batch_terminal import print_batch

        print_batch(outcome, out.console)
    message = (
        f"written to {folder}: "
        + ", ".join(p.name for p, _ in written[:4])
        + (f" and {len(written) - 4:,} area workbooks" if len(written) > 4 else "")
    )
    (err if args.json else out).line(message)
    for problem in problems[:BATCH_PROBLEMS_SHOWN]:
        err.line(f"{table_path}: {problem}")
    if len(problems) > BATCH_PROBLEMS_SHOWN:
        err.line(f"... and {len(problems) - BATCH_PROBLEMS_SHOWN:,} more (all in batch.json)")
    for failure in failures:
        err.line(f"cba: {failure}")
    if problems or failures:
        # each row left out once, by the row the file numbers (a duplicate id names its row)
        rerun = sorted({(p.row, p.area_id or "") for p in problems})
        named = [f"{area} (row {row:,})" if area else f"row {row:,}" for row, area in rerun]
        what = [
            f"{len(rerun):,} row{'' if len(rerun) == 1 else 's'}" if rerun else "",
            f"{len(failures):,} Monte Carlo chunk{'' if len(failures) == 1 else 's'}"
            if failures
            else "",
        ]
        err.line(
            f"cba: {' and '.join(w for w in what if w)} could not be evaluated; the other "
            "areas' results were written"
            + (f". Fix and rerun: {', '.join(named[:20])}" if named else "")
            + (" ..." if len(named) > 20 else "")
            + ("; --resume runs the failed chunks again" if failures else "")
        )
        return EXIT_PARTIAL
    return EXIT_OK


def _stale_area_workbooks(folder: Path, kept: set[Path]) -> list[Path]:
    """The workbooks in ``<output>/workbooks/`` that this run does not write."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.xlsx") if p.is_file() and p not in kept)


def _batch_provenance(
    template: Path, table: Path, command: str, draws: int, seed: int | None
) -> dict[str, Any]:
    """The template's provenance, the area table's name and sha256, and the command."""
    from cba.io.provenance import file_sha256, scenario_provenance

    provenance = scenario_provenance(template)
    provenance["batch_format"] = BATCH_FORMAT
    provenance["area_table_file"] = table.name
    provenance["area_table_sha256"] = file_sha256(table)
    provenance["command"] = command
    provenance["draws_per_area"] = draws
    provenance["random_seed"] = seed
    return provenance


def _batch_draws(
    args: argparse.Namespace,
    plan: Any,
    areas: list[Any],
    seed: int,
    folder: Path,
    out: Output,
) -> tuple[dict[str, Any], list[str]]:
    """Each area's Monte Carlo in chunks written to ``<folder>/chunks`` as they finish
    (in-process, or on Dask with ``--workers``/``--scheduler``); the figures found, and a
    sentence for each chunk that failed. The store is removed once every chunk is done (the
    results are in the files), kept for ``--resume`` otherwise."""
    from cba.batch_chunks import ChunkStoreError, remove_store, run_chunks
    from cba.io.batch_outputs import STORE_FOLDER

    store = folder / STORE_FOLDER
    try:
        from cba.batch_dask import DaskSetupError
    except ImportError:  # pragma: no cover - the module imports Dask lazily
        DaskSetupError = RuntimeError  # type: ignore[assignment,misc]  # noqa: N806
    try:
        with _simulation_progress(out, "cba batch") as progress:
            run = run_chunks(
                plan,
                areas,
                args.draws,
                seed,
                store=store,
                resume=args.resume,
                workers=args.workers,
                scheduler=args.scheduler,
                progress=progress,
            )
    except (ChunkStoreError, DaskSetupError) as exc:
        raise UsageError(str(exc)) from None
    except KeyboardInterrupt:
        if store.is_dir():
            sys.stderr.write(
                f"cba: the finished Monte Carlo chunks are kept in {store}; the same command "
                "with --resume continues from them\n"
            )
        raise
    failures = [
        f"{f}; its areas: " + ", ".join(f.area_ids[:20]) + (" ..." if len(f.area_ids) > 20 else "")
        for f in run.failures
    ]
    if not run.failures:
        remove_store(store)
    return run.found, failures


def _area_workbooks(
    scenario: Any, outcome: Any, paths: dict[str, Path], provenance: dict[str, Any]
) -> list[tuple[Path, bytes]]:
    """One workbook per area (``--workbooks``): the template with the area's inputs, run as
    ``cba run --set`` would (deterministic figures; the area's Monte Carlo is in the summary)."""
    from cba.batch import area_title
    from cba.io.scenario_file import with_values
    from cba.io.workbook.writer import build_workbook
    from cba.pipeline import run

    written = []
    for area in outcome.inputs:
        variant = dict(area.values)
        title = area_title(scenario.title, area.area_id, area.name)
        spec = with_values(scenario, {**variant, "title": title})
        results = run(spec, variant=variant, uncertainty=False)
        own = {
            **provenance,
            "area_id": area.area_id,
            "area_name": area.name,
            "command": provenance["command"] + " --workbooks",
            # what cba verify needs to recompute it: the area's inputs over the template, and
            # no Monte Carlo (the area's draws are in the summary)
            "variant": {
                "of": provenance["scenario_path"],
                "settings": "; ".join(f"{k}={v}" for k, v in results.variant),
                "note": f"area {area.area_id}'s inputs from the area table, set over the template",
            },
            "monte_carlo_draws": 0,
        }
        book, _ = build_workbook(results, spec, own)
        written.append((paths[area.area_id], book))
    return written


def command_verify(args: argparse.Namespace, out: Output, err: Output) -> int:
    """Recompute a workbook's scenario and compare every figure."""
    from cba.io.batch_verify import batch_results_path
    from cba.io.workbook.template import TemplateError
    from cba.io.workbook.verify import (
        VerifyError,
        is_portfolio,
        read_provenance,
        verify_portfolio_workbook,
        verify_workbook,
    )

    if batch_results_path(Path(args.workbook)) is not None:
        return _verify_batch(args, out, err)
    if args.areas:
        raise UsageError(
            f"{args.workbook}: --areas is for the outputs of cba batch (no batch.json here)"
        )
    try:
        portfolio = is_portfolio(read_provenance(Path(args.workbook)))
        if portfolio:
            if args.scenario or args.rev or args.template:
                raise UsageError(
                    f"{args.workbook}: a Portfolio workbook is verified against its budget "
                    "(--budget PATH); --scenario, --rev and --template are for workbooks from "
                    "cba run"
                )
            outcome = verify_portfolio_workbook(
                Path(args.workbook), budget=Path(args.budget) if args.budget else None
            )
        else:
            if args.budget:
                raise UsageError(
                    f"{args.workbook}: --budget is for Portfolio workbooks (cba allocate); "
                    "this one is from cba run (--scenario PATH)"
                )
            outcome = verify_workbook(
                Path(args.workbook),
                scenario=Path(args.scenario) if args.scenario else None,
                rev=args.rev,
                template=Path(args.template) if args.template else None,
            )
    except (VerifyError, TemplateError) as exc:
        raise UsageError(str(exc)) from None

    if outcome.uncommitted:
        message = (
            f"{outcome.scenario}: has changes not committed to git; the figures are compared "
            "with a version no commit holds"
        )
        if args.strict:
            raise UsageError(message + " (--strict)")
        err.line(f"warning: {message}")
    kind = outcome.kind
    out.line(f"{kind}: {outcome.scenario}")
    if outcome.sha256_matches:
        out.line(f"{kind} sha256 matches the workbook's record ({outcome.current_sha256})")
    else:
        out.line(
            f"{kind} sha256 differs: the workbook recorded {outcome.recorded_sha256}, "
            f"the file now has {outcome.current_sha256}"
        )
    for changed in outcome.changed_files:
        out.line(f"a scheme's scenario has changed since the workbook was written: {changed}")
    if outcome.figures_match:
        out.line(f"all {outcome.compared} figures match")
        return EXIT_OK
    out.line(f"{outcome.differing} of {outcome.compared} figures differ.")
    if outcome.inputs_differing:
        out.line(f"Inputs that differ from the scenario ({outcome.inputs_differing}):")
        for difference in outcome.inputs:
            out.line(f"  {difference}")
        if outcome.inputs_differing > len(outcome.inputs):
            out.line(f"  ... and {outcome.inputs_differing - len(outcome.inputs)} more")
    others = [d for d in outcome.typed if d not in outcome.inputs]
    other_count = outcome.typed_differing - outcome.inputs_differing
    if other_count:
        shown_others = others if args.all else others[:VERIFY_SHOWN]
        out.line(
            f"Other typed values that differ ({other_count}): the engine's figures (and inputs "
            "it writes as values)" + (":" if shown_others else "")
        )
        for difference in shown_others:
            out.line(f"  {difference}")
        if other_count > len(shown_others):
            more = other_count - len(shown_others)
            out.line(f"  ... and {more} more" + ("" if args.all else " (--all lists them)"))
    calculated = [d for d in outcome.differences if d not in outcome.typed]
    if outcome.missing_results and outcome.missing_results == outcome.calculated_differing:
        out.line(
            f"{outcome.missing_results} formulas have no stored result: the workbook was saved "
            "by a program that drops them (openpyxl, for one), so only its typed values are "
            "compared. Open and save it in a spreadsheet program to store the results."
        )
    elif outcome.calculated_differing:
        shown = calculated if args.all else calculated[:VERIFY_SHOWN]
        out.line(
            f"Figures calculated from them that differ ({outcome.calculated_differing})"
            + (":" if shown else "")
        )
        for difference in shown:
            out.line(f"  {difference}")
        if outcome.calculated_differing > len(shown):
            more = outcome.calculated_differing - len(shown)
            out.line(f"  ... and {more} more" + ("" if args.all else " (--all lists them)"))
    return EXIT_DIFFERS


def _verify_batch(args: argparse.Namespace, out: Output, err: Output) -> int:
    """``cba verify`` on the outputs of ``cba batch``: rerun and compare."""
    from cba.io.batch_verify import BatchVerifyError, verify_batch

    if args.rev or args.template or args.budget:
        raise UsageError(
            f"{args.workbook}: the outputs of cba batch are verified against their template "
            "(--scenario PATH) and area table (--areas PATH); --rev, --template and --budget "
            "are for workbooks"
        )
    try:
        outcome = verify_batch(
            Path(args.workbook),
            scenario=Path(args.scenario) if args.scenario else None,
            areas=Path(args.areas) if args.areas else None,
        )
    except BatchVerifyError as exc:
        raise UsageError(str(exc)) from None
    for file in outcome.inputs:
        out.line(f"{file.role}: {file.shown}")
        if file.matches:
            out.line(f"  sha256 matches the run's record ({file.current_sha256})")
        else:
            out.line(
                f"  sha256 differs: the run recorded {file.recorded_sha256}, the file now has "
                f"{file.current_sha256}"
            )
    changed = [f for f in outcome.inputs if not f.matches]
    if changed and args.strict:
        raise UsageError(", ".join(f.shown for f in changed) + ": changed since the run (--strict)")
    out.line(
        f"reran {outcome.areas:,} areas x {outcome.options:,} "
        + ("option" if outcome.options == 1 else "options")
        + (
            f" with {outcome.draws:,} draws per area (seed {outcome.seed})"
            if outcome.draws
            else " (no Monte Carlo)"
        )
    )
    if outcome.figures_match:
        out.line(f"all {outcome.compared:,} figures match")
    else:
        out.line(f"{outcome.differing:,} of {outcome.compared:,} figures differ:")
        shown = outcome.differences if args.all else outcome.differences[:VERIFY_SHOWN]
        for difference in shown:
            out.line(f"  {difference}")
        if outcome.differing > len(shown):
            more = outcome.differing - len(shown)
            out.line(f"  ... and {more:,} more" + ("" if args.all else " (--all lists them)"))
    for output in outcome.outputs:
        if output.rebuilt_sha256 is None:
            out.line(f"{output.name}: not rebuilt here (pip install cba[parquet] to check it)")
        elif output.on_disk_sha256 is None:
            out.line(f"{output.name}: missing from {outcome.folder}")
        elif output.identical:
            out.line(f"{output.name}: identical byte for byte to the rerun")
        elif output.recorded_sha256 not in (None, output.on_disk_sha256):
            out.line(f"{output.name}: differs from the run's record (the file was changed since)")
        else:
            out.line(f"{output.name}: differs from the rerun")
    if outcome.verified:
        return EXIT_OK
    return EXIT_DIFFERS


def command_schema(args: argparse.Namespace, out: Output, err: Output) -> int:
    """Print or write the JSON Schema of the scenario language."""
    from cba.io.atomic import write_bytes_atomically
    from cba.io.reference_doc import scenario_language_markdown
    from cba.io.schema import budget_json_schema, scenario_json_schema

    if args.budget:
        if args.format == "markdown":
            raise UsageError("--budget: the budget language has a JSON Schema only (--format json)")
        text = budget_json_schema()
    else:
        text = scenario_language_markdown() if args.format == "markdown" else scenario_json_schema()
    if args.output:
        write_bytes_atomically(Path(args.output), text.encode("utf-8"))
        err.line(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


EXIT_CODES_HELP = (
    "exit codes: 0 success; 2 invalid input; 3 (verify) some figure differs; 4 (--pdf, pack) "
    "some PDF was not rendered (the other files were written); 5 (map) the targets cannot be met "
    "within the limits; 1 internal error "
    "(rerun with --debug); 130 interrupted; 141 the output pipe was closed (e.g. `| head`); "
    "143 terminated while writing (nothing partial is left)."
)

OUTPUTS_HELP = (
    "Where the files go: by default out/<id>.xlsx and out/<id>.json. -o FOLDER puts both the "
    "workbooks and the JSON results in FOLDER; with one scenario, -o FILE.xlsx names the "
    "workbook and the JSON still goes to out/<id>.json. --json always decides where the JSON "
    "goes. Every output path is checked before anything is written, and all the files of a "
    "run are written together or not at all; each JSON file records its workbook's digests. "
    "--pdf renders each workbook, once written, to <name>.pdf beside it with LibreOffice "
    "(a PDF differs between renders: LibreOffice stamps the time)."
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``cba`` command."""
    import argparse

    from cba import __version__

    parser = argparse.ArgumentParser(
        prog="cba",
        description="Cost-benefit analysis for neighbourhood community budgets "
        "(HM Treasury Green Book; local-partnership CBA).",
        epilog=EXIT_CODES_HELP,
    )
    parser.add_argument("--version", action="version", version=f"cba {__version__}")
    parser.add_argument("--debug", action="store_true", help="show a traceback on internal errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="appraise scenarios: print a summary, write the workbook and JSON results",
        description="Appraise scenarios: print a summary, write the workbook and JSON results.",
        epilog=OUTPUTS_HELP,
    )
    run.add_argument(
        "scenarios", nargs="+", metavar="SCENARIO", help="scenario files, or folders of .yaml files"
    )
    run.add_argument(
        "--json",
        metavar="PATH",
        help="results file (one scenario) or folder (several); default: the -o folder, "
        "else out/<id>.json",
    )
    run.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="output folder (workbooks, and JSON unless --json is given), or the workbook file "
        "(one scenario); default out/",
    )
    run.add_argument(
        "--template",
        metavar="PATH",
        help="a branded copy of templates/xlsx/default.xlsx to style the workbook",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="replace an existing output file that cba did not write (never an input of the "
        "run, a folder or a device)",
    )
    run.add_argument(
        "--keep-going",
        action="store_true",
        help="still compute the valid scenarios when some are invalid (exit 2)",
    )
    run.add_argument(
        "--set",
        action="append",
        metavar="PATH=VALUE",
        help="run a variant with this input changed, validated as if written in the file "
        "(repeatable; cba params lists the paths); outputs are named <id>.variant-<hash>",
    )
    run.add_argument(
        "--draws",
        type=int,
        metavar="N",
        help="Monte Carlo draws (100 to 10,000,000), over the scenario's monte_carlo block",
    )
    run.add_argument(
        "--seed",
        type=int,
        metavar="S",
        help="Monte Carlo seed (0 or more), over the scenario's monte_carlo block",
    )
    run.add_argument(
        "--full-draws",
        action="store_true",
        help="add a Draws sheet with every Monte Carlo draw, one row each (inputs as drawn "
        "and each option's figures; at most 1,048,572 draws)",
    )
    run.add_argument(
        "--pdf",
        action="store_true",
        help="also render each workbook to <name>.pdf beside it with LibreOffice (checked for "
        "before anything is computed; rendered after the workbooks and JSON are written; an "
        "existing PDF is replaced only with --force)",
    )
    run.add_argument(
        "--strict",
        action="store_true",
        help="refuse (exit 2, nothing written) when a scenario file has changes not committed "
        "to git (for audit pipelines; without it, a warning)",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="do not print the summary")
    run.set_defaults(handler=command_run)

    diff = sub.add_parser(
        "diff",
        help="what moved the figures between two versions of a scenario, change by change",
        description="Compare two versions of a scenario: the inputs that changed, the change "
        "in each option's figures, and each change's share of it (exact Shapley values, so "
        "the shares add up to the change and interactions are shared). A side is a scenario "
        "file or FILE@REV, the file as committed at a git revision.",
    )
    diff.add_argument("old", metavar="OLD", help="scenario file, FILE@REV, or a workbook cba wrote")
    diff.add_argument(
        "new",
        metavar="NEW",
        nargs="?",
        help="scenario file, FILE@REV, or a workbook cba wrote (with --rev: leave out)",
    )
    diff.add_argument(
        "--rev",
        metavar="A..B",
        help="compare OLD (one scenario file) at git revision A with it at B (B empty: the "
        "working tree)",
    )
    diff.add_argument("--json", action="store_true", help="print JSON instead of tables")
    diff.add_argument(
        "-o",
        "--output",
        metavar="FILE.xlsx",
        help="also write a Changes workbook (tables and a waterfall from the old NPSV to the new)",
    )
    diff.add_argument(
        "--force", action="store_true", help="replace an existing workbook that cba wrote"
    )
    diff.set_defaults(handler=command_diff)

    params = sub.add_parser(
        "params",
        help="list every input of a scenario by parameter path, with value, unit and source",
        description="List every numeric input of a scenario by parameter path (for --set, "
        "cba sensitivity and cba.evaluate), with its value, unit, valid range and source.",
    )
    params.add_argument("scenario", metavar="SCENARIO")
    params.add_argument("--json", action="store_true", help="print JSON instead of a table")
    params.set_defaults(handler=command_params)

    sensitivity = sub.add_parser(
        "sensitivity",
        help="switching values, tornado and discount-rate tests of a scenario",
        description="Switching values (the value of each input at which NPSV = 0 and the BCR "
        "over public costs = 1), a tornado of NPSV swings and the discount-rate tests, each "
        "option against the counterfactual.",
        epilog="Without --param: the scenario's sensitivity block, plus every cost amount, unit "
        "value, outcome count, additionality share and hours figure of the option.",
    )
    sensitivity.add_argument("scenario", metavar="SCENARIO")
    sensitivity.add_argument("--option", metavar="ID", help="one option (default: all)")
    sensitivity.add_argument(
        "--param",
        action="append",
        metavar="PATH",
        help="test this input (repeatable; * for any one segment) instead of the scenario's "
        "sensitivity block",
    )
    sensitivity.add_argument(
        "--range",
        action="append",
        metavar="LOW:HIGH",
        help="plausible range of the --param before it (one --range for all, or one each); "
        "default: a fraction +/- 0.1 (or half its value), a year +/- 2, else +/- 20%%",
    )
    sensitivity.add_argument(
        "--set",
        action="append",
        metavar="PATH=VALUE",
        help="analyse a variant with this input changed (repeatable)",
    )
    sensitivity.add_argument(
        "--only-listed",
        action="store_true",
        help="test only the --param inputs (or the scenario's list), not the default set",
    )
    sensitivity.add_argument("--json", action="store_true", help="print JSON instead of tables")
    sensitivity.set_defaults(handler=command_sensitivity)

    validate = sub.add_parser(
        "validate", help="check scenario (and budget) files without computing"
    )
    validate.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    validate.set_defaults(handler=command_validate)

    scale = sub.add_parser(
        "scale",
        help="sweep an option over its scale driver",
        epilog="The option needs a `scale:` block (driver, n0, sweep); see docs/scale.md.",
    )
    scale.add_argument("scenario", metavar="SCENARIO")
    scale.add_argument("--option", metavar="ID", help="the option to sweep")
    scale.add_argument(
        "--points",
        type=int,
        metavar="N",
        help="number of sweep points, 2 to 100,000 (default: the scenario's sweep, else 50)",
    )
    scale.set_defaults(handler=command_scale)

    strategy = sub.add_parser(
        "map",
        help="compare a strategy map's pathways: backwards mapping, least-cost mix, shadow prices",
        description="For each pathway of the scenario's strategy map, the inputs it needs to "
        "reach its outcome's target, their value by contributor, the cost per unit of outcome and "
        "the share co-produced by users and communities; then the cheapest mix of pathways that "
        "meets every target within the limits, with shadow prices.",
        epilog="Exit status 5 when the targets cannot be met within the limits. See "
        "docs/strategy-maps.md.",
    )
    strategy.add_argument("scenario", metavar="SCENARIO")
    strategy.add_argument(
        "--set",
        action="append",
        metavar="PATH=VALUE",
        help="map a variant with this input changed, e.g. "
        "strategy_map.limits.volunteer_hours_available.max=5000 (repeatable)",
    )
    strategy.add_argument("--json", action="store_true", help="print JSON instead of tables")
    strategy.set_defaults(handler=command_map)

    allocate = sub.add_parser(
        "allocate",
        help="choose which schemes a pooled neighbourhood budget funds, and at what scale",
        description="Maximise the total incremental NPSV of the schemes a budget file names, "
        "within the envelope by year, each agency's contribution limits, exclusivity groups, "
        "dependencies and scale bounds (a mixed-integer programme; divisible schemes' scale "
        "curves as piecewise-linear approximations). Reports the binding limits, the marginal "
        "value of each, and what funding in order of BCR would leave on the table.",
        epilog="Exit status 5 when no choice of schemes meets every constraint. See "
        "docs/allocation.md.",
    )
    allocate.add_argument("budget", metavar="BUDGET")
    allocate.add_argument("--json", action="store_true", help="print JSON instead of tables")
    allocate.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="the Portfolio workbook (.xlsx); default out/<budget id>.xlsx",
    )
    allocate.add_argument(
        "--force",
        action="store_true",
        help="replace an existing output file that cba did not write (never an input, a "
        "folder or a device)",
    )
    allocate.add_argument(
        "--pdf",
        action="store_true",
        help="also render the workbook to <name>.pdf beside it with LibreOffice (an existing "
        "PDF is replaced only with --force)",
    )
    allocate.add_argument(
        "--draws",
        type=int,
        default=200,
        metavar="N",
        help="uncertainty draws at which to re-solve, for schemes whose scenarios declare "
        "uncertainty (default 200; 0: central values only)",
    )
    allocate.add_argument(
        "--objective",
        choices=("npsv", "public_value", "weighted_npsv", "outcomes"),
        help="maximise this instead of the budget file's objective (default npsv); outcomes "
        "counts the benefit lines the file's objective names, or those given by --outcome",
    )
    allocate.add_argument(
        "--outcome",
        action="append",
        metavar="LINE",
        help="with --objective outcomes: a benefit line whose net outcomes count (repeat for more)",
    )
    allocate.set_defaults(handler=command_allocate)

    batch_cmd = sub.add_parser(
        "batch",
        help="appraise a template scenario in every area of an area table (CSV or Parquet)",
        description="Each row of the area table is an area: its columns set the template's "
        "area attributes (its area: block) and any parameter paths (as --set). Every area is "
        "evaluated in one vectorised pass; with --draws, each area's Monte Carlo from streams "
        "seeded by the seed and the area's id. Writes a CSV (and Parquet) table of every area "
        "and option, the results as JSON and a summary workbook to the output folder.",
        epilog="Exit status 6 when some rows (or Monte Carlo chunks) could not be evaluated "
        "(the others are written). See docs/batch.md.",
    )
    batch_cmd.add_argument("template", metavar="TEMPLATE")
    batch_cmd.add_argument("areas", metavar="AREAS")
    batch_cmd.add_argument(
        "-o",
        "--output",
        metavar="FOLDER",
        help="the output folder (default out/<template id>-<table name>)",
    )
    batch_cmd.add_argument(
        "--draws",
        type=int,
        default=0,
        metavar="N",
        help="Monte Carlo draws per area (default 0: the deterministic figures only)",
    )
    batch_cmd.add_argument(
        "--seed", type=int, metavar="S", help="the run's seed (default: the template's)"
    )
    batch_cmd.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="run the Monte Carlo on a local Dask cluster of N worker processes "
        "(pip install 'cba[distributed]')",
    )
    batch_cmd.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the Monte Carlo on an existing Dask cluster (tcp://host:8786)",
    )
    batch_cmd.add_argument(
        "--resume",
        action="store_true",
        help="reuse the Monte Carlo chunks an interrupted or failed run wrote to the output "
        "folder, and run only the rest",
    )
    batch_cmd.add_argument(
        "--strict",
        action="store_true",
        help="refuse the whole table (exit 2, nothing written) if any row is invalid or the "
        "table has no column for one of the template's area attributes",
    )
    batch_cmd.add_argument(
        "--workbooks",
        action="store_true",
        help="also write one workbook per area to <folder>/workbooks/",
    )
    batch_cmd.add_argument(
        "--json", action="store_true", help="print the JSON results instead of the summary"
    )
    batch_cmd.add_argument(
        "--force",
        action="store_true",
        help="replace existing output files that cba did not write",
    )
    batch_cmd.set_defaults(handler=command_batch)

    verify = sub.add_parser(
        "verify",
        help="recompute a workbook's scenario, or rerun a batch, and compare every figure "
        "(exit 3 if any differs)",
    )
    verify.add_argument(
        "workbook",
        metavar="WORKBOOK",
        help="a workbook from cba run or cba allocate, or the outputs of cba batch (their "
        "folder, batch.json or a file beside it)",
    )
    verify.add_argument(
        "--scenario",
        metavar="PATH",
        help="the scenario file (default: the path the workbook records, inside the current "
        "git repository)",
    )
    verify.add_argument(
        "--rev", metavar="REV", help="use the scenario as it was at this git revision"
    )
    verify.add_argument("--template", metavar="PATH", help="the template the workbook used")
    verify.add_argument(
        "--areas",
        metavar="PATH",
        help="for cba batch outputs: the area table (default: the path the run recorded); "
        "--scenario names the template scenario",
    )
    verify.add_argument(
        "--budget",
        metavar="PATH",
        help="for a Portfolio workbook (cba allocate): the budget file (default: the path the "
        "workbook records, inside the current git repository)",
    )
    verify.add_argument(
        "--strict",
        action="store_true",
        help="refuse (exit 2) when the scenario file has changes not committed to git",
    )
    verify.add_argument(
        "--all",
        action="store_true",
        help="list every differing figure (default: every input, then the first 20 others)",
    )
    verify.set_defaults(handler=command_verify)

    pack = sub.add_parser(
        "pack",
        help="render workbooks written by cba run to PDF (board packs) with LibreOffice",
        description="Render workbooks written by cba run to PDF with LibreOffice (headless, a "
        "private profile, the figures the workbook stores). Each PDF goes beside its workbook "
        "as <name>.pdf unless -o says otherwise. A PDF is not byte-identical between renders "
        "(LibreOffice stamps the time); the workbook remains the record.",
        epilog="Set CBA_SOFFICE to the soffice program to use; otherwise it is looked for on "
        "PATH and in the usual install folders.",
    )
    pack.add_argument(
        "workbooks",
        nargs="+",
        metavar="WORKBOOK",
        help="workbooks written by cba run, or folders of them",
    )
    pack.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="folder for the PDFs, or the PDF file (one workbook); default: beside each workbook",
    )
    pack.add_argument(
        "--force", action="store_true", help="replace existing PDFs (never a folder or a device)"
    )
    pack.set_defaults(handler=command_pack)

    reference = sub.add_parser(
        "reference",
        help="the shipped reference tables (unit costs, deflators, carbon and wellbeing values)",
        description="List, show and search the reference tables shipped with cba: each is one "
        "edition of one publication (table@vintage), with its source, price year and how "
        "confidently each figure was read. A scenario names a value as "
        "{ref: table@vintage:entry.field}.",
        epilog="See docs/reference-values.md.",
    )
    reference.add_argument(
        "action", choices=("list", "show", "search"), help="list every table, show one, or search"
    )
    reference.add_argument(
        "words",
        nargs="*",
        metavar="NAME|WORDS",
        help="show: TABLE, TABLE@VINTAGE or TABLE@VINTAGE:ENTRY; search: words to find",
    )
    reference.add_argument("--json", action="store_true", help="print JSON instead of text")
    reference.set_defaults(handler=command_reference)

    schema = sub.add_parser("schema", help="print the JSON Schema of the scenario language")
    schema.add_argument("-o", "--output", metavar="PATH", help="write to a file instead")
    schema.add_argument(
        "--format",
        choices=("json", "markdown"),
        default="json",
        help="json (the JSON Schema, default) or markdown (the reference doc)",
    )
    schema.add_argument(
        "--budget",
        action="store_true",
        help="the JSON Schema of budget files (cba allocate) instead of scenario files",
    )
    schema.set_defaults(handler=command_schema)
    return parser


def _is_user_error(exc: BaseException) -> bool:
    """Whether ``exc`` is the user's to fix. An error class whose module was never imported
    cannot have been raised, so checking needs no import."""
    if isinstance(exc, UsageError):
        return True
    return any(_raised(exc, module, name) for module, name in USER_ERRORS)


def _raised(exc: BaseException, module_name: str, class_name: str) -> bool:
    module = sys.modules.get(module_name)
    return module is not None and isinstance(exc, getattr(module, class_name))


PYDANTIC_PLUGIN_LOADER = "pydantic.plugin._loader"


def skip_pydantic_plugin_discovery() -> bool:
    """Tell pydantic that there are no pydantic plugins, before it looks; True if it was told.

    pydantic looks for plugins (entry points of the ``pydantic`` group) when it builds its first
    validator, importing ``importlib.metadata`` (with ``email``, ``zipfile`` and ``csv``) and
    reading every installed package's metadata: ~25 ms of every ``cba validate``. cba uses no
    pydantic plugin, so the command (not the library) answers "none", as pydantic's own
    ``PYDANTIC_DISABLE_PLUGINS=__all__`` would, without that import. Where the environment sets
    ``PYDANTIC_DISABLE_PLUGINS`` (to anything, even empty), pydantic's own rules apply instead;
    where pydantic has already looked, nothing changes. Any other name asked of the stand-in
    loads pydantic's real module.
    """
    if "PYDANTIC_DISABLE_PLUGINS" in os.environ or PYDANTIC_PLUGIN_LOADER in sys.modules:
        return False
    import types

    stand_in = types.ModuleType(PYDANTIC_PLUGIN_LOADER, "cba: pydantic plugins are not loaded")

    def get_plugins() -> tuple[()]:
        return ()

    def real_name(name: str) -> Any:
        if name.startswith("__"):  # the import system asks for __path__ and the like
            raise AttributeError(name)
        if sys.modules.get(PYDANTIC_PLUGIN_LOADER) is stand_in:
            del sys.modules[PYDANTIC_PLUGIN_LOADER]
        import importlib

        return getattr(importlib.import_module(PYDANTIC_PLUGIN_LOADER), name)

    stand_in.get_plugins = get_plugins  # type: ignore[attr-defined]
    stand_in.__getattr__ = real_name  # type: ignore[method-assign]
    sys.modules[PYDANTIC_PLUGIN_LOADER] = stand_in
    return True


def _dispatch(argv: Sequence[str] | None, interrupted: Callable[[], bool] = bool) -> int:
    parser = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(arguments)
    args.argv = arguments
    out, err = Output(), Output(stderr=True)
    try:
        code: int = args.handler(args, out, err)
    except (BrokenPipeError, KeyboardInterrupt):
        raise
    except Exception as exc:
        if interrupted():
            # Ctrl-C arrived inside a library that turned it into an error of its own
            # (pydantic-core reports one while building a validator as a SchemaError)
            raise KeyboardInterrupt from exc
        if _is_user_error(exc):
            err.line(f"cba: {exc}")
            return EXIT_INVALID
        if isinstance(exc, OSError) and exc.filename is not None:
            # The system refused a file operation (a name too long, no permission, a device):
            # the user's to fix, with the path and the reason.
            err.line(f"cba: {exc.filename}: {exc.strerror or exc}")
            return EXIT_INVALID
        # a bug in cba, not a user mistake
        if args.debug:
            import traceback

            traceback.print_exc()
        err.line(
            f"cba: internal error: {type(exc).__name__}: {exc}. This is a bug in cba; rerun "
            "with --debug for a traceback and report it."
        )
        return EXIT_INTERNAL
    except BaseException as exc:
        if _raised(exc, "cba.io.atomic", "Terminated"):
            err.line(TERMINATED_MESSAGE)
            return EXIT_TERMINATED
        raise
    return code


def _discard_stdout() -> None:
    """Point stdout at the null device, so that the interpreter's last flush at exit does not
    fail again on the closed pipe (and print an error)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # stdout is not a file descriptor (captured in-process): nothing to flush at exit


class _UnraisableInterrupts:
    """An ``unraisablehook`` that notes a Ctrl-C Python could not raise (it arrived inside a
    finaliser or a weakref callback, as during imports) instead of printing a traceback; other
    unraisable errors go to the previous hook."""

    def __init__(self, previous: Any) -> None:
        self.previous = previous
        self.seen = False

    def __call__(self, unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            self.seen = True
        else:
            self.previous(unraisable)

    def on_sigint(self, signum: int, frame: Any) -> None:
        """Python's own Ctrl-C handling (raise KeyboardInterrupt), noting that it came."""
        self.seen = True
        raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cba`` console script and ``python -m cba``."""
    import signal

    previous_hook = sys.unraisablehook
    interrupts = _UnraisableInterrupts(previous_hook)
    sys.unraisablehook = interrupts
    previous_sigint = None
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        try:
            previous_sigint = signal.signal(signal.SIGINT, interrupts.on_sigint)
        except ValueError:  # not the main thread: Python's handling stays
            previous_sigint = None
    try:
        try:
            try:
                code = _dispatch(argv, lambda: interrupts.seen)
            finally:
                sys.stdout.flush()  # a closed pipe shows here, inside the handler below
        except BrokenPipeError:
            _discard_stdout()
            return EXIT_BROKEN_PIPE
        except KeyboardInterrupt:
            sys.stderr.write(INTERRUPTED_MESSAGE + "\n")
            return EXIT_INTERRUPTED
        if interrupts.seen:
            sys.stderr.write(INTERRUPTED_MESSAGE + "\n")
            return EXIT_INTERRUPTED
        return code
    finally:
        sys.unraisablehook = previous_hook
        if previous_sigint is not None:
            signal.signal(signal.SIGINT, previous_sigint)


def console_main() -> NoReturn:
    """The ``cba`` console script and ``python -m cba``: :func:`main` on ``sys.argv``, then exit.

    Two start-up costs a one-shot command need not pay are skipped: pydantic's search for
    plugins (:func:`skip_pydantic_plugin_discovery`) and, once the output is flushed, the
    interpreter's teardown of every module it loaded (~10-20 ms: numpy, pydantic, openpyxl;
    cba holds no open files, temporary files or exit handlers by then: every output is
    committed or removed before :func:`main` returns). A program that calls :func:`main` itself
    gets neither.
    """
    skip_pydantic_plugin_discovery()
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        _discard_stdout()
        code = EXIT_BROKEN_PIPE
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    console_main()
