"""Forbidden APIs, checked on the submission's syntax tree in the trusted process.

``course.toml`` lists, per exercise, patterns such as ``torch.nn.Linear`` or
``*binary_cross_entropy*``. Every dotted name used inside the exercise's definition (and the
private helpers it calls) is resolved through the module's imports and simple aliases
(``import torch.nn.functional as F``; ``L = nn.Linear``; ``getattr(F, "linear")``) and matched
against the patterns. Nothing is executed: the rule sees only what the source says.
"""

import ast
from dataclasses import dataclass
from fnmatch import fnmatchcase

from grader.course import Homework
from grader.specs import CellSpec


@dataclass(frozen=True)
class Violation:
    """One use of a forbidden name inside an exercise."""

    exercise: str
    name: str
    pattern: str
    filename: str
    line: int

    def message(self) -> str:
        return (
            f"{self.exercise} uses `{self.name}` ({self.filename}, line {self.line}), which "
            f"this exercise forbids (rule `{self.pattern}`): write it yourself"
        )


def check_rules(cells: list[CellSpec], homework: Homework) -> dict[str, Violation]:
    """The first violation of each exercise that breaks one of its rules."""
    aliases: dict[str, str] = {}
    defs: dict[str, tuple[ast.AST, CellSpec]] = {}
    for cell in cells:
        tree = _parse(cell)
        for stmt in tree.body if tree else ():
            _bind(stmt, aliases)
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defs[stmt.name] = (stmt, cell)
    found = {}
    for section in homework.sections:
        for exercise, patterns in section.forbid.items():
            if exercise in defs:
                violation = _first_violation(exercise, patterns, defs, aliases)
                if violation:
                    found[exercise] = violation
    return found


def _parse(cell: CellSpec) -> ast.Module | None:
    try:
        return ast.parse("\n" * (cell.line - 1) + cell.source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # reported by the loader


def _bind(stmt: ast.AST, aliases: dict[str, str]) -> None:
    """Record what a top-level (or in-function) statement binds a name to."""
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                aliases[alias.asname] = alias.name
            else:  # `import torch.nn.functional` binds `torch`
                root = alias.name.split(".")[0]
                aliases[root] = root
    elif isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
        for alias in stmt.names:
            aliases[alias.asname or alias.name] = f"{stmt.module}.{alias.name}"
    elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target, value = stmt.targets[0], _dotted(stmt.value, aliases)
        if isinstance(target, ast.Name) and value:
            aliases[target.id] = value
    elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        aliases[stmt.name] = stmt.name  # a local definition shadows an import


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """``F.binary_cross_entropy`` -> ``torch.nn.functional.binary_cross_entropy``, or None."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, aliases)
        return f"{base}.{node.attr}" if base else None
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    ):
        base = _dotted(node.args[0], aliases)
        return f"{base}.{node.args[1].value}" if base else None
    return None


def _first_violation(
    exercise: str, patterns: tuple[str, ...], defs: dict, aliases: dict[str, str]
) -> Violation | None:
    for node, cell in _scope(exercise, defs):
        local = dict(aliases)
        for sub in ast.walk(node):
            if isinstance(sub, (ast.Import, ast.ImportFrom)):  # imports inside the function
                _bind(sub, local)
        for sub in ast.walk(node):
            name = _dotted(sub, local)
            if name is None:
                continue
            for pattern in patterns:
                if fnmatchcase(name, pattern):
                    return Violation(exercise, name, pattern, cell.filename, sub.lineno)
    return None


def _scope(exercise: str, defs: dict) -> list[tuple[ast.AST, CellSpec]]:
    """The exercise's definition and the private top-level helpers it uses, transitively."""
    seen, todo, scope = {exercise}, [exercise], []
    while todo:
        node, cell = defs[todo.pop()]
        scope.append((node, cell))
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id.startswith("_") and sub.id in defs:
                if sub.id not in seen:
                    seen.add(sub.id)
                    todo.append(sub.id)
    return scope
