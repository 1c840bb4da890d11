"""The error an SDL file is refused with: every problem found, each with its place in the file."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SdlIssue:
    """One problem in an SDL file.

    `path` is the YAML path of the offending value (`services.web.expose[0].port`), `line`
    and `column` are 1-based (0 when the problem has no place, e.g. an oversized file).
    """

    path: str
    line: int
    column: int
    message: str

    @property
    def sort_key(self) -> tuple[int, int, str, str]:
        """File order: by position, then path."""
        return (self.line, self.column, self.path, self.message)

    def __str__(self) -> str:
        where = f" (line {self.line}:{self.column})" if self.line else ""
        prefix = f"{self.path}: " if self.path else ""
        return f"{prefix}{self.message}{where}"


class SdlError(ValueError):
    """An SDL file was refused; `issues` lists every problem found, in file order."""

    def __init__(self, issues: list[SdlIssue], source: str = "<sdl>") -> None:
        self.issues = sorted(set(issues), key=lambda issue: issue.sort_key)
        self.source = source
        lines = "\n".join(f"  {issue}" for issue in self.issues)
        count = len(self.issues)
        noun = "error" if count == 1 else "errors"
        super().__init__(f"{source}: invalid SDL ({count} {noun}):\n{lines}")
