"""The import graph of ``sim`` and ``dashboard`` has no cycles.

Imports flow one way (config -> agents and abs -> engine -> montecarlo -> store -> cli and
dashboard). Every import counts, also one inside a function or under ``TYPE_CHECKING``:
deferring an import hides a cycle from Python, not from the reader, who still cannot
change one module without the other. A package's ``__init__`` counts as the package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("sim", "dashboard")


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.Module, module: str, is_package: bool) -> list[str]:
    """Modules named by every import of ``module``: at module level, inside functions
    (they run later, but still tie the two modules together) and under ``TYPE_CHECKING``."""
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".") if is_package else module.split(".")[:-1]
                parent = parent[: len(parent) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            out.append(base)
            out.extend(f"{base}.{alias.name}" for alias in node.names)
    return out


def import_graph(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES
                 ) -> dict[str, set[str]]:
    """Module -> the project modules it imports at module level."""
    files = [f for p in packages for f in sorted((root / p).rglob("*.py"))]
    modules = {_module_name(f, root): f for f in files}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for target in _imports(tree, name, path.name == "__init__.py"):
            # ``from a.b import c``: the module a.b.c if it exists, else a.b
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm),
    each sorted: every import cycle lies inside one of them."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def test_the_graph_sees_known_imports() -> None:
    graph = import_graph()
    assert "sim.agents.platform" in graph["sim.engine"]
    assert "sim.recorder" in graph["sim.metrics"]
    assert "dashboard.app" in graph


def test_a_cycle_is_found(tmp_path: Path) -> None:
    pkg = tmp_path / "sim"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from sim.b import x\n")
    (pkg / "b.py").write_text("from . import a\nx = 1\n")
    (pkg / "c.py").write_text("def f():\n    from sim.d import y\n")
    (pkg / "d.py").write_text("from sim import c\ny = 2\n")
    (pkg / "e.py").write_text("from sim.a import x\n")  # into a cycle, not part of it
    graph = import_graph(tmp_path, ("sim",))
    assert cycles(graph) == [["sim.a", "sim.b"], ["sim.c", "sim.d"]]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycles(package: str) -> None:
    found = [c for c in cycles(import_graph()) if any(m.startswith(package) for m in c)]
    assert found == [], "modules importing each other: " + "; ".join(map(", ".join, found))


def test_no_agent_imports_the_engine():
    """Agents get narrow inputs and return outcomes; the engine wires them (not the reverse)."""
    graph = import_graph()
    agents = [m for m in graph if m.startswith("sim.agents")]
    assert len(agents) >= 5
    for module in agents:
        assert not {"sim.engine", "sim.montecarlo", "sim.api"} & graph[module], module
