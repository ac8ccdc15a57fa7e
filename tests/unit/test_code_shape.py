"""Issue 14's shape limits: no module of cantine_portal/ over 400 lines, no function over 60 lines.

The exception lists below were emptied on 2026-11-27 (every module and function of the package is
within the limits) and may only stay empty or shrink: a module or function over a limit fails; so
would a listed one that grew, and an entry that no longer needs to be there.

Run as a script to print every module and function over the limits:
``.venv/bin/python -m tests.unit.test_code_shape``.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "cantine_portal"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60

# path relative to cantine_portal/ → lines, on 2026-11-27 (speed14).
MODULES_ALLOWED: dict[str, int] = {}
# "path:function" (the outermost function of that name in the file) → lines, on 2026-11-27 (speed14).
FUNCTIONS_ALLOWED: dict[str, int] = {}


def module_sizes(package: Path = PACKAGE) -> dict[str, int]:
    """Lines of every module of the package over the limit."""
    sizes = {}
    for path in sorted(package.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines > MAX_MODULE_LINES:
            sizes[path.relative_to(package).as_posix()] = lines
    return sizes


def function_sizes(package: Path = PACKAGE) -> dict[str, int]:
    """Lines (``def`` to last line, decorators excluded) of every function over the limit, nested ones included."""
    sizes: dict[str, int] = {}
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                key = f"{path.relative_to(package).as_posix()}:{node.name}"
                if lines > MAX_FUNCTION_LINES:
                    sizes[key] = max(lines, sizes.get(key, 0))
    return sizes


def _over(found: dict[str, int], allowed: dict[str, int]) -> list[str]:
    return [f"{name}: {lines} lines" for name, lines in found.items() if lines > allowed.get(name, 0)]


def test_no_new_module_over_400_lines_and_the_listed_ones_do_not_grow() -> None:
    assert _over(module_sizes(), MODULES_ALLOWED) == []


def test_no_new_function_over_60_lines_and_the_listed_ones_do_not_grow() -> None:
    assert _over(function_sizes(), FUNCTIONS_ALLOWED) == []


def test_the_exception_lists_only_hold_what_is_still_over_the_limits() -> None:
    """A module or function brought under the limit leaves the list (so the list only shrinks)."""
    assert sorted(set(MODULES_ALLOWED) - set(module_sizes())) == []
    assert sorted(set(FUNCTIONS_ALLOWED) - set(function_sizes())) == []


def test_the_check_sees_a_long_function_and_a_long_module(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(61))
    (tmp_path / "long.py").write_text(f"def long() -> None:\n{body}\n" + "\n" * 340)
    assert function_sizes(tmp_path) == {"long.py:long": 62}
    assert module_sizes(tmp_path) == {"long.py": 402}


if __name__ == "__main__":
    for name, lines in sorted(module_sizes().items(), key=lambda item: -item[1]):
        print(f"module   {lines:4d}  cantine_portal/{name}")
    for name, lines in sorted(function_sizes().items(), key=lambda item: -item[1]):
        print(f"function {lines:4d}  cantine_portal/{name}")
