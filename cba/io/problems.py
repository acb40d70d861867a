"""Located problems in a scenario file, in the form ``file:line:col: path: message``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file."""

    file: str
    line: int
    """1-based line; 0 when the problem concerns the whole file."""
    column: int
    """1-based column; 0 when unknown."""
    path: str
    """Dotted path of the field as the user wrote it (``options[1].costs[0].amount``), or ''."""
    message: str
    """What is wrong; got what. How to fix."""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario file cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column, p.path))
        count = len(self.problems)
        super().__init__(
            "\n".join(str(p) for p in self.problems)
            + f"\n{count} problem{'s' if count != 1 else ''} found"
        )
