"""Located problems in a scenario file, in the form ``file:line:col: path: message``.

Every text a problem holds is made safe to print here, once for all: a character that does not
print (a control character such as ESC or NUL, a lone surrogate, a line or paragraph separator,
a bidirectional-text control) is written as its escape (``\\x1b``, ``\\ud800``), so a message that
quotes a user's value never moves the cursor, clears the terminal or fails to encode.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_PROBLEMS_SHOWN = 50
"""Most problems written in a ScenarioError's message; all of them stay in ``.problems``."""


def visible(text: str) -> str:
    """``text`` with every character that does not print written as its escape (``\\x1b``),
    as Python's ``repr`` writes it, without the quotes. A space prints; a tab does not."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file."""

    file: str
    line: int
    """1-based line; 0 when the problem concerns the whole file (empty, too large, unreadable)."""
    column: int
    """1-based column; 0 when unknown."""
    path: str
    """Dotted path of the field as the user wrote it (``options[1].costs[0].amount``), or ''."""
    message: str
    """What is wrong; got what. How to fix."""

    def __post_init__(self) -> None:
        for name in ("file", "path", "message"):
            text = getattr(self, name)
            if not text.isprintable():
                object.__setattr__(self, name, visible(text))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario file cannot be used; carries every problem found.

    The message lists the first ``MAX_PROBLEMS_SHOWN`` problems (in file order) and how many
    more there are; ``problems`` holds all of them.
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column, p.path))
        count = len(self.problems)
        shown = [str(p) for p in self.problems[:MAX_PROBLEMS_SHOWN]]
        if count > MAX_PROBLEMS_SHOWN:
            shown.append(
                f"... and {count - MAX_PROBLEMS_SHOWN:,} more (the first {MAX_PROBLEMS_SHOWN} "
                "are listed; fix these and run again)"
            )
        super().__init__("\n".join(shown) + f"\n{count:,} problem{'s' if count != 1 else ''} found")
