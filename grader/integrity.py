"""Integrity flags read from the source: code that reaches for the grader's internals.

Trusted side: reads the submission's syntax tree, executes nothing. A flag is evidence for the
instructor (the batch's per-student JSON with details, the gradebook's ``flags`` column), never
shown to the student and never a lost point by itself: touching ``ctypes`` or ``/proc`` is
not cheating in itself, but no exercise of the course needs it, so a person looks.

What is flagged (names resolved through the module's imports and aliases, as the rules do):

- ``ctypes``: ``ctypes``, ``_ctypes``, ``cffi`` (raw memory: anything in the process);
- ``/proc``: a path under ``/proc`` (other processes, the worker's own memory and file
  descriptors);
- ``other submissions' paths``: ``/tmp``, ``/dev/shm``, ``submission-<pid>`` folders, the
  gradebook, Gradescope's ``/autograder``;
- ``grader internals``: the grader's modules (``torchgrade.*``, ``solutions``), ``__main__``,
  ``sys.modules``, ``gc.get_objects`` and friends, frames (``sys._getframe``, ``f_back``,
  ``inspect.stack``), ``__subclasses__``, ``builtins``, trace functions;
- ``seed machinery``: reading the seed or the generator state (``torch.initial_seed``,
  ``get_rng_state``, ``torchgrade.testdata``);
- ``dispatch recorder``: ``torch.overrides``, torch-function and dispatch modes, the function
  mode stack in ``torch._C``, a ``__torch_function__``/``__torch_dispatch__`` of one's own.
"""

import ast
import re
from fnmatch import fnmatchcase

from torchgrade.results import Flag
from torchgrade.rules import _bind, _dotted, _parse
from torchgrade.specs import CellSpec

# kind -> patterns of dotted names (imports, attribute chains), first match wins.
NAMES: dict[str, tuple[str, ...]] = {
    "seed machinery": (
        "torch.initial_seed",
        "torch.random.initial_seed",
        "torch.default_generator*",
        "torch.get_rng_state",
        "torch.random.get_rng_state",
        "torch.*.get_rng_state",
        "numpy.random.get_state",
        "random.getstate",
        "torchgrade.testdata*",
        "torchgrade.testdata*",
    ),
    "dispatch recorder": (
        "torch.overrides*",
        "torch.utils._python_dispatch*",
        "torch._C._*torch_function*",
        "torch._C._*function_stack*",
        "torch._C._*dispatch_mode*",
        "torch._C._*TorchDispatch*",
        "torch._C.DisableTorchFunction*",
        "*.TorchFunctionMode",
        "*.TorchDispatchMode",
    ),
    "ctypes": ("ctypes", "ctypes.*", "_ctypes*", "cffi", "cffi.*"),
    "grader internals": (
        "torchgrade",
        "torchgrade.*",
        "grader",
        "grader.*",
        "solutions",
        "solutions.*",
        "__main__*",
        "sys.modules*",
        "gc.get_objects",
        "gc.get_referrers",
        "gc.get_referents",
        "sys._getframe",
        "sys._current_frames",
        "sys.settrace",
        "sys.setprofile",
        "threading.settrace*",
        "threading.setprofile*",
        "inspect.currentframe",
        "inspect.stack",
        "inspect.getouterframes",
        "inspect.trace",
        "builtins*",
        "__builtins__*",
    ),
}
ATTRIBUTES = {  # attribute names, whatever they are read from
    "f_back": "grader internals",
    "f_globals": "grader internals",
    "f_locals": "grader internals",
    "tb_frame": "grader internals",
    "gi_frame": "grader internals",
    "__subclasses__": "grader internals",
    "__globals__": "grader internals",
}
DEFINITIONS = {"__torch_function__": "dispatch recorder", "__torch_dispatch__": "dispatch recorder"}
STRINGS = (  # (kind, what a string constant holds), docstrings aside
    ("/proc", re.compile(r"/proc\b")),
    ("other submissions' paths", re.compile(r"/tmp\b|/dev/shm|submission-|gradebook|/autograder")),
    ("grader internals", re.compile(r"^(__main__|(torchgrade|grader|solutions)(\.\w+)*)$")),
)
# Roots a dotted name may start with without an import.
BUILTIN_ROOTS = {"__builtins__", "__main__"}
MAX_EVIDENCE = 3  # places quoted per kind


def scan(cells: list[CellSpec]) -> list[Flag]:
    """One flag per kind of contact with the grader's internals, quoting where it happens."""
    aliases: dict[str, str] = {}
    trees = [(cell, _parse(cell)) for cell in cells]
    for _, tree in trees:
        for node in ast.walk(tree) if tree else ():
            if isinstance(node, (ast.Import, ast.ImportFrom, ast.Assign)):
                _bind(node, aliases)
    found: dict[str, list[str]] = {}
    for cell, tree in trees:
        if tree is None:
            continue
        skipped = {id(c) for n in ast.walk(tree) for c in _idioms(n)}
        for node in ast.walk(tree):
            for kind, what in _contacts(node, aliases, skipped):
                places = found.setdefault(kind, [])
                place = f"`{what[:80]}` ({cell.filename}, line {getattr(node, 'lineno', 0)})"
                if place not in places:
                    places.append(place)
    return [Flag("static", kind, _evidence(places)) for kind, places in sorted(found.items())]


def _contacts(node: ast.AST, aliases: dict[str, str], skipped: set[int]):
    """``(kind, what)`` for what one node touches (``skipped``: constants that are idioms)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield from _named(alias.name)
    elif isinstance(node, ast.ImportFrom) and node.module:
        for alias in node.names:
            yield from _named(f"{node.module}.{alias.name}")
    elif isinstance(node, (ast.Attribute, ast.Name)):
        name = _dotted(node, aliases)
        if name and _root(node) in {*aliases, *BUILTIN_ROOTS}:
            yield from _named(name)
        if isinstance(node, ast.Attribute) and node.attr in ATTRIBUTES:
            yield ATTRIBUTES[node.attr], f".{node.attr}"
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in DEFINITIONS:
        yield DEFINITIONS[node.name], f"def {node.name}"
    elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped:
        for kind, pattern in STRINGS:
            if pattern.search(node.value):
                yield kind, repr(node.value)
                break


def _named(name: str):
    for kind, patterns in NAMES.items():
        if any(fnmatchcase(name, p) for p in patterns):
            yield kind, name
            return


def _idioms(node: ast.AST) -> list[ast.AST]:
    """Constants that say nothing: docstrings, and the operands of a comparison
    (``if __name__ == "__main__":`` is every script's idiom)."""
    if isinstance(node, ast.Compare):
        return [node.left, *node.comparators]
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return [node.value]
    return []


def _root(node: ast.AST) -> str:
    """The name a chain of attributes starts from (``sys`` for ``sys.modules.get``)."""
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def _evidence(places: list[str]) -> str:
    more = len(places) - MAX_EVIDENCE
    return "; ".join(places[:MAX_EVIDENCE]) + (f"; and {more} more" if more > 0 else "")
