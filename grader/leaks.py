"""The leak scan: proof that a student bundle holds no solution and no hidden test.

What counts as secret, read from the instructor's repository:

- every non-trivial body of a ``def`` or ``class`` in ``solutions/*.py`` (nested ones too),
  normalised by :mod:`ast` (docstrings and comments dropped, one canonical spelling), except
  bodies the stubs in ``exercises/`` share (those are given to students anyway). Trivial
  bodies — fewer than :data:`MIN_NODES` syntax nodes, or only ``pass``/``...``/``raise
  NotImplementedError`` — would match innocent code and are not searched;
- the name of every test in ``grader/suites/`` that is not ``@pytest.mark.public``;
- the exact bytes of every solution module and hidden suite file, and any ``solutions``
  folder.

Every file of the bundle is searched: Python files, each cell of a notebook and each fenced
code block of Markdown are parsed and their bodies and statement runs compared with the
secret bodies (so reformatting or renaming the enclosing function does not hide a copy); all
text is also searched for each solution body's own lines (whitespace-insensitive, so a body
pasted into prose or a string is found) and for each hidden test name.
"""

import ast
import copy
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from torchgrade.course import Course
from torchgrade.public_tests import test_names

MIN_NODES = 8
_BOOKKEEPING = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
_FENCE = re.compile(r"^(```+|~~~+)[^\n]*\n(.*?)^\1\s*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Leak:
    """One secret found in the bundle: where, and which secret."""

    path: str
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.path} ({self.where}): {self.what}"


@dataclass
class Secrets:
    """What must not reach students, indexed for searching."""

    bodies: dict[str, str] = field(default_factory=dict)  # normalised body -> label
    texts: dict[str, str] = field(default_factory=dict)  # whitespace-collapsed lines -> label
    test_names: dict[str, str] = field(default_factory=dict)  # hidden test name -> file
    digests: dict[str, str] = field(default_factory=dict)  # sha256 of a secret file -> label


def collect_secrets(course: Course) -> Secrets:
    """The solution bodies and hidden test names of ``course``'s repository."""
    secrets = Secrets()
    given: set[str] = set()
    for stub in sorted((course.root / "exercises").glob("*.py")):
        given |= {body for body, *_ in _bodies(_parse(stub.read_text(encoding="utf-8")))}
    for module in sorted((course.root / "solutions").glob("*.py")):
        text = module.read_text(encoding="utf-8")
        label = f"solutions/{module.name}"
        lines = text.splitlines()
        for body, name, statements in _bodies(_parse(text)):
            if body in given or _trivial(statements):
                continue
            secrets.bodies[body] = f"the body of {name} in {label}"
            first, last = statements[0].lineno, statements[-1].end_lineno
            raw = _collapse("\n".join(lines[first - 1 : last]))
            secrets.texts[raw] = f"the body of {name} in {label}"
            # A module holding a secret body is secret as a whole (an empty __init__ is not).
            secrets.digests[_digest(text.encode())] = label
    public: set[str] = set()
    hidden: dict[str, str] = {}
    for suite in sorted(course.suites_dir.rglob("*.py")):
        text = suite.read_text(encoding="utf-8")
        label = str(suite.relative_to(course.root))
        tree = _parse(text)
        if tree is None:
            continue
        names = test_names(tree)
        public |= {name for name, is_pub in names if is_pub}
        hidden.update({name: label for name, is_pub in names if not is_pub})
        if any(not is_pub for _, is_pub in names):
            secrets.digests[_digest(text.encode())] = label
    secrets.test_names = {name: label for name, label in hidden.items() if name not in public}
    return secrets


def scan(bundle: Path, secrets: Secrets) -> list[Leak]:
    """Every secret found anywhere under ``bundle``."""
    bundle = Path(bundle)
    leaks: list[Leak] = []
    names = (
        re.compile(r"\b(" + "|".join(map(re.escape, sorted(secrets.test_names))) + r")\b")
        if secrets.test_names
        else None
    )
    for path in sorted(p for p in bundle.rglob("*")):
        relative = str(path.relative_to(bundle))
        if path.is_dir():
            if path.name == "solutions":
                leaks.append(Leak(relative, "folder", "a solutions folder"))
            continue
        data = path.read_bytes()
        if _digest(data) in secrets.digests:
            leaks.append(
                Leak(relative, "whole file", f"a copy of {secrets.digests[_digest(data)]}")
            )
        if b"\0" in data:
            continue  # binary: no source text to find
        text = data.decode("utf-8", errors="replace")
        if names:
            for match in names.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                name = match.group(1)
                what = f"the hidden test name {name} (from {secrets.test_names[name]})"
                leaks.append(Leak(relative, f"line {line}", what))
        for where, unit in _units(path, text):
            leaks += [Leak(relative, where, what) for what in _find_bodies(unit, secrets)]
    return leaks


def _units(path: Path, text: str) -> Iterator[tuple[str, str]]:
    """The pieces of a file that may hold code: the file, notebook cells, fenced blocks."""
    if path.suffix == ".ipynb":
        try:
            cells = json.loads(text).get("cells", [])
        except (ValueError, AttributeError):
            cells = []
        for number, cell in enumerate(cells, start=1):
            source = cell.get("source", "") if isinstance(cell, dict) else ""
            source = "".join(source) if isinstance(source, list) else str(source)
            yield f"cell {number}", source
            for block in _FENCE.finditer(source):
                yield f"cell {number}, code block", block.group(2)
        return
    yield "file", text
    if path.suffix != ".py":
        for block in _FENCE.finditer(text):
            line = text.count("\n", 0, block.start()) + 1
            yield f"code block at line {line}", block.group(2)


def _find_bodies(unit: str, secrets: Secrets) -> list[str]:
    found = []
    tree = _parse(unit)
    if tree is not None:
        runs = [_normal(tree.body)] + [body for body, *_ in _bodies(tree)]
        for body, label in secrets.bodies.items():
            if any(_contains_lines(run, body) for run in runs):
                found.append(label)
    collapsed = _collapse(unit)
    for raw, label in secrets.texts.items():
        if label not in found and raw in collapsed:
            found.append(label)
    return found


def _contains_lines(haystack: str, needle: str) -> bool:
    """``needle`` appears in ``haystack`` as whole lines."""
    return f"\n{needle}\n" in f"\n{haystack}\n"


def _bodies(tree: ast.Module | None) -> Iterator[tuple[str, str, list[ast.stmt]]]:
    """``(normalised body, name, statements)`` of every def and class, docstring dropped."""
    if tree is None:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            statements = node.body[1:] if _has_docstring(node.body) else node.body
            if statements:
                yield _normal(statements), node.name, statements


def _normal(statements: list[ast.stmt]) -> str:
    """Statements in one canonical spelling, without any docstring (comments never survive)."""
    cleaned = [_strip_docstrings(copy.deepcopy(s)) for s in statements]
    return "\n".join(ast.unparse(s) for s in cleaned if not _is_docstring_stmt(s))


def _strip_docstrings(node: ast.AST) -> ast.AST:
    for child in ast.walk(node):
        body = getattr(child, "body", None)
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if _has_docstring(body) and len(body) > 1:
                child.body = body[1:]
    return node


def _trivial(statements: list[ast.stmt]) -> bool:
    # Count what one writes (names, calls, constants), not contexts and operator tokens:
    # ``return X @ self.w`` is 5 nodes, the contract itself rather than a solution.
    nodes = sum(1 for s in statements for n in ast.walk(s) if not isinstance(n, _BOOKKEEPING))
    if nodes < MIN_NODES:
        return True
    return all(_is_placeholder(s) for s in statements)


def _is_placeholder(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Pass) or _is_docstring_stmt(stmt):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return stmt.value.value is Ellipsis
    if isinstance(stmt, ast.Raise) and stmt.exc is not None:
        target = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
        return isinstance(target, ast.Name) and target.id == "NotImplementedError"
    return False


def _has_docstring(body: list[ast.stmt] | None) -> bool:
    return bool(body) and _is_docstring_stmt(body[0])


def _is_docstring_stmt(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _collapse(text: str) -> str:
    """Text without comment-only lines and with every run of whitespace made one space."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    return " ".join(" ".join(lines).split())


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
