"""Forbidden APIs, checked on the submission's syntax tree in the trusted process.

``course.toml`` lists, per exercise, patterns such as ``torch.nn.Linear`` or
``*binary_cross_entropy*``. Every dotted name used inside the exercise's definition, its base
classes and every top-level function or class it uses, transitively, is resolved through the
module's imports and simple aliases (``import torch.nn.functional as F``; ``L = nn.Linear``;
``getattr(F, "linear")``, also with a name built from string constants) and matched against
the patterns. An exercise that has rules must be bound by its own top-level ``def`` or
``class`` and by nothing else, in any graded cell: an assignment (``sigmoid = torch.sigmoid``),
an import, a definition under ``if``/``try``, a second definition or a later rebinding is
flagged, and so is code the rule cannot read (``eval``, ``exec``, ``__import__``, ``getattr``
with a computed name). Nothing is executed: the rule sees only what the source says.
"""

import ast
from dataclasses import dataclass
from fnmatch import fnmatchcase

from torchgrade.course import Homework
from torchgrade.specs import CellSpec

# Syntax-tree nesting the rules read (and the loader accepts in an exercise): deeper code (a
# 1,500-deep attribute chain) would exhaust the recursion of any reader, so it is flagged.
MAX_AST_DEPTH = 200


@dataclass(frozen=True)
class Violation:
    """One use of a forbidden name inside an exercise, or a binding the rules cannot follow.

    ``kind``: ``forbidden`` (``name`` matched ``pattern``), ``binding`` (the exercise is bound by
    ``name``, e.g. "an assignment", instead of its own def/class) or ``unreadable`` (code whose
    effect the rules cannot read, e.g. ``eval``).
    """

    exercise: str
    name: str
    pattern: str
    filename: str
    line: int
    kind: str = "forbidden"

    def message(self) -> str:
        where = f"({self.filename}, line {self.line})"
        if self.kind == "binding":
            return (
                f"{self.exercise} is bound by {self.name} {where}: this exercise has forbidden "
                "APIs, so it must be one def/class of its own, defined once at the top of its "
                "cell and never reassigned"
            )
        if self.kind == "unreadable":
            return (
                f"{self.exercise} uses `{self.name}` {where}: this exercise has forbidden APIs, "
                "and code built at run time (eval, exec, getattr with a computed name) hides "
                "what it calls: write it out"
            )
        return (
            f"{self.exercise} uses `{self.name}` {where}, which this exercise forbids "
            f"(rule `{self.pattern}`): write it yourself"
        )


def check_rules(cells: list[CellSpec], homework: Homework) -> dict[str, Violation]:
    """The first violation of each exercise that breaks one of its rules."""
    aliases: dict[str, str] = {}
    defs: dict[str, tuple[ast.AST, CellSpec]] = {}
    trees = [(cell, _parse(cell)) for cell in cells]
    for cell, tree in trees:
        line = too_deep(tree) if tree else None
        if line is not None:  # unreadable: every exercise with rules is flagged, none is read
            name = f"code nested more than {MAX_AST_DEPTH} levels deep"
            return {
                exercise: Violation(exercise, name, "", cell.filename, line, "unreadable")
                for section in homework.sections
                for exercise in section.forbid
            }
    for cell, tree in trees:
        for stmt in tree.body if tree else ():
            _bind(stmt, aliases)
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defs[stmt.name] = (stmt, cell)
    found = {}
    for section in homework.sections:
        for exercise, patterns in section.forbid.items():
            violation = _binding_violation(exercise, trees)
            if violation is None and exercise in defs:
                violation = _first_violation(exercise, patterns, defs, aliases)
            if violation:
                found[exercise] = violation
    return found


def _binding_violation(exercise: str, trees: list) -> Violation | None:
    """Flag an exercise bound by anything but exactly one top-level ``def``/``class``."""
    definitions = []
    for cell, tree in trees:
        if tree is None:
            continue
        for node, top in _module_scope(tree):
            how = _binds(node, exercise)
            if how == "definition" and top:
                definitions.append((node, cell))
            elif how is not None:
                if how == "definition":
                    how = "a definition inside a block (if, try, with or a loop)"
                return Violation(exercise, how, "", cell.filename, node.lineno, "binding")
    if len(definitions) > 1:
        node, cell = definitions[1]
        how = "a second definition"
        return Violation(exercise, how, "", cell.filename, node.lineno, "binding")
    return None


def _module_scope(tree: ast.Module):
    """``(node, is_top_level_statement)`` for every node that binds in the module's scope.

    Function and class bodies have their own scope and are skipped, except where a function
    declares a name ``global``: its assignments to that name bind the module's.
    """
    stack = [(stmt, True) for stmt in reversed(tree.body)]
    while stack:
        node, top = stack.pop()
        yield node, top
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield from _global_assignments(node)
            continue
        if isinstance(node, ast.ClassDef):
            continue
        stack += [(child, False) for child in reversed(list(ast.iter_child_nodes(node)))]


def _global_assignments(function: ast.AST):
    declared = {n for sub in ast.walk(function) if isinstance(sub, ast.Global) for n in sub.names}
    for sub in ast.walk(function):
        if isinstance(sub, ast.Name) and sub.id in declared and isinstance(sub.ctx, ast.Store):
            yield sub, False


def _binds(node: ast.AST, name: str) -> str | None:
    """How ``node`` binds ``name``, or None: ``"definition"`` or a description."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return "definition" if node.name == name else None
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            if (alias.asname or alias.name.split(".")[0]) == name:
                return "an import"
        return None
    if isinstance(node, ast.Name) and node.id == name:
        return "an assignment" if isinstance(node.ctx, (ast.Store, ast.Del)) else None
    if isinstance(node, ast.Subscript) and _constant_text(node.slice) == name:
        return "an assignment through globals()" if isinstance(node.ctx, ast.Store) else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == "setattr" and len(node.args) >= 2:
            return "setattr" if _constant_text(node.args[1]) == name else None
    return None


def too_deep(tree: ast.AST, limit: int = MAX_AST_DEPTH) -> int | None:
    """The line of the first node nested deeper than ``limit``, or ``None`` (no recursion)."""
    stack = [(tree, 0, 1)]
    while stack:
        node, depth, line = stack.pop()
        line = getattr(node, "lineno", line)
        if depth > limit:
            return line
        stack.extend((child, depth + 1, line) for child in ast.iter_child_nodes(node))
    return None


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
        and aliases.get(node.func.id, node.func.id) == "getattr"  # `g = getattr` too
        and len(node.args) >= 2
    ):
        attribute = _constant_text(node.args[1])
        base = _dotted(node.args[0], aliases)
        if base and attribute is not None:
            return f"{base}.{attribute}"
        if base:  # a name the rule cannot read: only the run-time check could
            return f"{base}.<computed name>"
    return None


def _constant_text(node: ast.AST) -> str | None:
    """A string the source spells out: a constant, or constants joined with ``+``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _constant_text(node.left), _constant_text(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values):
        return "".join(str(v.value) for v in node.values)
    return None


# Calls whose effect no reading of the source can know: forbidden inside an exercise with rules.
UNREADABLE = {
    "eval",
    "exec",
    "compile",
    "__import__",
    "importlib.import_module",
    "globals",
    "vars",
    "operator.attrgetter",
    "operator.methodcaller",
}
# Attribute lookups by a name held in data, on a module: `F.__dict__["bce"]` and the like.
DYNAMIC_LOOKUPS = {"<computed name>", "__dict__", "__getattribute__", "__getattr__"}


def _first_violation(
    exercise: str, patterns: tuple[str, ...], defs: dict, aliases: dict[str, str]
) -> Violation | None:
    for node, cell in _scope(exercise, defs):
        local = dict(aliases)
        for sub in ast.walk(node):
            if isinstance(sub, (ast.Import, ast.ImportFrom, ast.Assign)):  # local imports, aliases
                _bind(sub, local)
        for sub in ast.walk(node):
            name = _dotted(sub, local)
            if name is None:
                continue
            dynamic = DYNAMIC_LOOKUPS.intersection(name.split(".")[1:])
            computed = bool(dynamic) and _rooted(name, local)
            if name in UNREADABLE or computed:
                return Violation(exercise, name, "", cell.filename, sub.lineno, "unreadable")
            for pattern in patterns:
                if fnmatchcase(name, pattern):
                    return Violation(exercise, name, pattern, cell.filename, sub.lineno)
    return None


def _rooted(name: str, aliases: dict[str, str]) -> bool:
    """Whether a dotted name starts at an imported module (``torch…``, not ``self…``)."""
    root = name.split(".")[0]
    return root in {value.split(".")[0] for value in aliases.values()} and root not in {"self"}


def _scope(exercise: str, defs: dict) -> list[tuple[ast.AST, CellSpec]]:
    """The exercise's definition and every top-level definition it uses, transitively.

    Helpers with or without a leading ``_``, base classes and other exercises alike: a
    forbidden call hidden one function away is still the exercise's.
    """
    seen, todo, scope = {exercise}, [exercise], []
    while todo:
        node, cell = defs[todo.pop()]
        scope.append((node, cell))
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id in defs and sub.id not in seen:
                seen.add(sub.id)
                todo.append(sub.id)
    return scope
