"""The grader package's import graph: no cycle, low modules stay low, the sides stay apart.

Every ``import`` counts, at module level or inside a function: a function-level import can
hide a cycle, it does not remove it.
"""

import ast
from pathlib import Path

import torchgrade

PACKAGE = Path(torchgrade.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The package's modules that ``name`` imports: ``from a import b`` is ``a.b`` if that is
    a module, else ``a``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    edges = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            edges |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, up level - 1 folders
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                edges.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {e for e in edges if e in MODULES and e != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _reachable(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in GRAPH[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _cycle() -> list[str] | None:
    """One import cycle of the package, as a list of modules, or ``None``."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == "open":
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(GRAPH):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_graph_is_read():
    assert "torchgrade.sandbox.lifecycle" in GRAPH["torchgrade.grading"]
    assert "torchgrade.specs" in GRAPH["torchgrade.sandbox.lifecycle"]
    # from torchgrade.report import github
    assert "torchgrade.report.github" in GRAPH["torchgrade.report"]
    assert "torchgrade.cli" in GRAPH["torchgrade.__main__"]


def test_no_import_cycle():
    assert _cycle() is None, " -> ".join(_cycle())


def test_a_cycle_would_be_found():
    GRAPH["torchgrade.specs"].add("torchgrade.grading")
    try:
        assert _cycle() is not None
    finally:
        GRAPH["torchgrade.specs"].discard("torchgrade.grading")


def test_data_types_import_nothing_of_the_grader_but_its_errors():
    assert GRAPH["torchgrade.specs"] == {"torchgrade.errors"}
    assert GRAPH["torchgrade.errors"] == set()


def test_only_coordinators_reach_the_process_manager():
    """Loading, rules, proxies, the plugin and the protocols never start a sandbox."""
    for low in (
        "torchgrade.specs",
        "torchgrade.control",
        "torchgrade.protocol",
        "torchgrade.framing",
        "torchgrade.course",
        "torchgrade.submission",
        "torchgrade.rules",
        "torchgrade.remote",
        "torchgrade.plugin",
        "torchgrade.sandbox.policy",
    ):
        assert "torchgrade.sandbox.lifecycle" not in _reachable(low), low


def test_the_worker_side_imports_nothing_of_the_trusted_sandbox():
    for name in GRAPH:
        if name.startswith("torchgrade.worker"):
            assert not any(m.startswith("torchgrade.sandbox") for m in _reachable(name)), name
