"""Size limits of the source code: no file over 400 lines, no function over 60 lines.

    python scripts/code_limits.py [PATH ...]   (default: lambda)

Reports the longest source file and the longest function under the given paths (tests,
node_modules, .venv and cdk.out are not source), then every file and function over its
limit. Exit code 1 if any is over, except the ones listed in KNOWN_OVER (debt waiting for
its own change; each entry must still be over, so the list cannot go stale).
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60
NOT_SOURCE = {"tests", "node_modules", ".venv", "cdk.out", "__pycache__", ".git"}

# "path" or "path:function" -> why it may stay over the limit for now.
KNOWN_OVER: dict[str, str] = {}


@dataclass(frozen=True)
class Measure:
    """A file (function None) or a function, and its length in lines."""

    path: str
    line: int
    function: str | None
    lines: int

    @property
    def known_as(self) -> str:
        """How KNOWN_OVER names it: "path" or "path:function"."""
        return self.path if self.function is None else f"{self.path}:{self.function}"

    @property
    def limit(self) -> int:
        return MAX_FILE_LINES if self.function is None else MAX_FUNCTION_LINES

    @property
    def over(self) -> bool:
        return self.lines > self.limit

    def describe(self) -> str:
        where = self.path if self.function is None else f"{self.path}:{self.line} {self.function}"
        return f"{where}: {self.lines} lines (limit {self.limit})"


def source_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in files:
            if file.suffix == ".py" and not NOT_SOURCE.intersection(file.parts):
                yield file


def measure(file: Path, shown: str) -> list[Measure]:
    """The file's length and the length of each function in it (nested ones too)."""
    text = file.read_text(encoding="utf-8")
    found = [Measure(shown, 1, None, len(text.splitlines()))]
    for node in ast.walk(ast.parse(text, filename=str(file))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            found.append(Measure(shown, node.lineno, node.name, length))
    return found


def _longest(measures: list[Measure]) -> str:
    return max(measures, key=lambda m: m.lines).describe() if measures else "none"


def report(measures: list[Measure], known: dict[str, str]) -> tuple[list[str], int]:
    """The lines to print and the exit code."""
    files = [m for m in measures if m.function is None]
    functions = [m for m in measures if m.function is not None]
    lines = [f"longest file: {_longest(files)}", f"longest function: {_longest(functions)}"]
    over = [m for m in measures if m.over]
    for m in over:
        lines.append(
            f"  {m.describe()}: "
            + (f"known, {known[m.known_as]}" if m.known_as in known else "OVER")
        )
    over_keys = {m.known_as for m in over}
    stale = [key for key in known if key in {m.known_as for m in measures} and key not in over_keys]
    lines += [f"  {key}: within the limits now; remove it from KNOWN_OVER" for key in stale]
    failed = over_keys - set(known)
    return lines, 1 if failed or stale else 0


def main(argv: list[str] | None = None, root: Path | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("lambda")])
    args = parser.parse_args(argv)
    root = (root or Path.cwd()).resolve()
    measures: list[Measure] = []
    for file in source_files(root / p for p in args.paths):
        shown = file.resolve().relative_to(root).as_posix()
        measures += measure(file, shown)
    lines, code = report(measures, KNOWN_OVER)
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main())
