"""The public part of a hidden suite: the ``@pytest.mark.public`` tests, for the student bundle.

A suite file is cut down with :mod:`ast` and rebuilt from the file's own lines (comments and
formatting kept):

- kept: the module docstring, ``pytestmark``, every public test (a ``test_*`` function marked
  ``@pytest.mark.public``, or every test of a module or class marked so), and — transitively —
  the module-level helpers, constants and fixtures those tests use (a test's arguments count
  as uses, so module fixtures come along);
- imports: only the names the kept code uses (so a hidden test's ``from sklearn ... import``
  does not make the bundle need it);
- dropped: every other test, every helper only hidden tests use, and any other top-level
  statement (a bare call, an ``if`` block).

A ``conftest.py`` keeps the fixtures the public tests request, its hooks (``pytest_*``) and its
autouse fixtures, with their helpers. What is left is then scanned for leaks
(:mod:`torchgrade.leaks`), so a helper that quotes a solution still stops the release.
"""

import ast
import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass
class Extract:
    """What was kept of one file: its new text and the fixtures its tests request."""

    text: str
    tests: list[str] = field(default_factory=list)
    requested: set[str] = field(default_factory=set)


def is_public(node: ast.AST) -> bool:
    """Whether a decorated function or class carries ``pytest.mark.public``."""
    return any(_is_public_mark(d) for d in getattr(node, "decorator_list", ()))


def test_names(tree: ast.Module) -> list[tuple[str, bool]]:
    """``(name, public)`` of every test function and test method of a suite file."""
    module_public = _module_is_public(tree)
    found = []
    for stmt in tree.body:
        if _is_test_function(stmt):
            found.append((stmt.name, module_public or is_public(stmt)))
        elif isinstance(stmt, ast.ClassDef) and stmt.name.startswith("Test"):
            class_public = module_public or is_public(stmt)
            found += [
                (method.name, class_public or is_public(method))
                for method in stmt.body
                if _is_test_function(method)
            ]
    return found


def public_tests(source: str, filename: str = "<suite>") -> Extract | None:
    """The public tests of one suite file and what they need, or ``None`` if it has none."""
    tree = ast.parse(source, filename)
    module_public = _module_is_public(tree)
    chosen: dict[int, list[tuple[int, int]]] = {}  # kept statement -> line ranges to drop
    tests: list[str] = []
    requested: set[str] = set()
    for index, stmt in enumerate(tree.body):
        if _is_test_function(stmt) and (module_public or is_public(stmt)):
            chosen[index] = []
            tests.append(stmt.name)
            requested |= _arguments(stmt)
        elif isinstance(stmt, ast.ClassDef) and stmt.name.startswith("Test"):
            kept, dropped = _public_methods(stmt, module_public or is_public(stmt))
            if kept:
                chosen[index] = dropped
                tests += [f"{stmt.name}::{m.name}" for m in kept]
                for method in kept:
                    requested |= _arguments(method) - {"self"}
    if not tests:
        return None
    text = _rebuild(source, tree, chosen, lambda stmt: False)
    return Extract(text, tests, requested)


def public_conftest(source: str, requested: Iterable[str], filename: str = "conftest.py") -> str:
    """A suite's ``conftest.py`` cut down to the fixtures and hooks the public tests need."""
    tree = ast.parse(source, filename)
    wanted = set(requested)

    def root(stmt: ast.stmt) -> bool:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            return stmt.name in wanted or stmt.name.startswith("pytest_") or _autouse(stmt)
        return bool(_targets(stmt) & {"pytest_plugins"})

    return _rebuild(source, tree, {}, root)


def _rebuild(
    source: str,
    tree: ast.Module,
    chosen: dict[int, list[tuple[int, int]]],
    root: Callable[[ast.stmt], bool],
) -> str:
    """The text of the chosen statements plus everything they use, in the file's order."""
    body = tree.body
    kept: dict[int, list[tuple[int, int]]] = dict(chosen)
    if body and _is_docstring(body[0]):
        kept[0] = []
    for index, stmt in enumerate(body):
        if _targets(stmt) & {"pytestmark"} or root(stmt):
            kept.setdefault(index, [])
    definers: dict[str, list[int]] = {}
    for index, stmt in enumerate(body):
        if not isinstance(stmt, ast.Import | ast.ImportFrom):
            for name in _targets(stmt):
                definers.setdefault(name, []).append(index)
    used: set[str] = set()
    todo = list(kept)
    while todo:
        index = todo.pop()
        names = _uses(_without(body[index], kept[index])) - used
        used |= names
        for name in names:
            for other in definers.get(name, []):
                if other not in kept:
                    kept[other] = []
                    todo.append(other)
    lines = source.splitlines()
    pieces: list[str] = []
    for index, stmt in enumerate(body):
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            text = _import_text(stmt, used, lines)
            if text:
                pieces.append(text)
        elif index in kept:
            pieces.append(_segment(stmt, lines, kept[index]))
    return _join(pieces)


def _join(pieces: list[str]) -> str:
    """Pieces spaced as a formatter would: two blank lines around definitions, one otherwise."""
    out, previous = "", ""
    for piece in pieces:
        if out:
            if _is_definition(previous) or _is_definition(piece):
                out += "\n\n"
            elif not (_is_import(previous) and _is_import(piece)):
                out += "\n"
        out += piece.rstrip() + "\n"
        previous = piece
    return out


def _is_import(piece: str) -> bool:
    return piece.startswith(("import ", "from "))


def _is_definition(piece: str) -> bool:
    code = [line for line in piece.splitlines() if not line.lstrip().startswith("#")]
    return bool(code) and code[0].startswith(("def ", "async def ", "class ", "@"))


def _segment(stmt: ast.stmt, lines: list[str], dropped: list[tuple[int, int]]) -> str:
    """A statement's own lines, its decorators and the comments right above it."""
    first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))])
    while first > 1 and lines[first - 2].lstrip().startswith("#"):
        first -= 1
    numbers = range(first, stmt.end_lineno + 1)
    keep = [n for n in numbers if not any(a <= n <= b for a, b in dropped)]
    return "\n".join(lines[n - 1] for n in keep)


def _import_text(stmt: ast.Import | ast.ImportFrom, used: set[str], lines: list[str]) -> str:
    """The import with only the names kept code uses; its own text when all are used."""
    aliases = [a for a in stmt.names if _bound_name(a) in used]
    if not aliases:
        return ""
    if len(aliases) == len(stmt.names):
        return "\n".join(lines[stmt.lineno - 1 : stmt.end_lineno])
    if isinstance(stmt, ast.Import):
        return ast.unparse(ast.Import(names=aliases))
    return ast.unparse(ast.ImportFrom(module=stmt.module, names=aliases, level=stmt.level))


def _bound_name(alias: ast.alias) -> str:
    return alias.asname or alias.name.split(".")[0]


def _public_methods(cls: ast.ClassDef, public: bool) -> tuple[list, list[tuple[int, int]]]:
    """The public test methods of a test class, and the line ranges of the hidden ones."""
    kept, dropped = [], []
    for stmt in cls.body:
        if _is_test_function(stmt):
            if public or is_public(stmt):
                kept.append(stmt)
            else:
                first = min([stmt.lineno, *(d.lineno for d in stmt.decorator_list)])
                dropped.append((first, stmt.end_lineno))
    return kept, dropped


def _is_test_function(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name.startswith("test")


def _module_is_public(tree: ast.Module) -> bool:
    for stmt in tree.body:
        if "pytestmark" in _targets(stmt):
            value = stmt.value
            marks = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
            if any(_is_public_mark(m) for m in marks):
                return True
    return False


def _is_public_mark(node: ast.AST) -> bool:
    """``pytest.mark.public`` or ``mark.public`` (also called: ``pytest.mark.public()``)."""
    if isinstance(node, ast.Call):
        node = node.func
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "public"
        and isinstance(node.value, ast.Attribute | ast.Name)
        and (getattr(node.value, "attr", None) == "mark" or getattr(node.value, "id", "") == "mark")
    )


def _autouse(stmt: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in stmt.decorator_list:
        if isinstance(decorator, ast.Call):
            for keyword in decorator.keywords:
                if keyword.arg == "autouse" and getattr(keyword.value, "value", False) is True:
                    return True
    return False


def _arguments(func: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    args = func.args
    return {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}


def _targets(stmt: ast.stmt) -> set[str]:
    """The module-level names a statement defines."""
    if isinstance(stmt, Definition):
        return {stmt.name}
    if isinstance(stmt, ast.Assign):
        return {n.id for t in stmt.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    if isinstance(stmt, ast.AnnAssign | ast.AugAssign) and isinstance(stmt.target, ast.Name):
        return {stmt.target.id}
    return set()


def _without(stmt: ast.stmt, dropped: list[tuple[int, int]]) -> ast.stmt:
    """A test class without its dropped (hidden) methods, whose names must not count."""
    if not dropped or not isinstance(stmt, ast.ClassDef):
        return stmt
    trimmed = copy.copy(stmt)
    trimmed.body = [s for s in stmt.body if not any(a <= s.lineno <= b for a, b in dropped)]
    return trimmed


def _uses(stmt: ast.stmt) -> set[str]:
    """Every name a statement reads, and the fixtures its functions request."""
    names = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
    for node in ast.walk(stmt):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names |= _arguments(node)
    return names


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )
