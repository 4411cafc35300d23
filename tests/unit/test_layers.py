"""The layers hold: imports point inward only, the domain touches no infrastructure, and nothing imports in a cycle.

Read from the source (ast), so a violation fails here before it becomes a habit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("shared", "functions")
INFRASTRUCTURE = ("azure", "sqlalchemy", "confluent_kafka", "fastapi", "starlette", "pymysql", "httpx", "alembic")


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_nodes(node: ast.AST):
    """Every node, but not under `if TYPE_CHECKING:`: those imports exist for type checkers only."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and getattr(child.test, "id", None) == "TYPE_CHECKING":
            yield from (n for other in child.orelse for n in [other, *_runtime_nodes(other)])
            continue
        yield child
        yield from _runtime_nodes(child)


def _imports(path: Path) -> set[str]:
    """Every module a file imports at run time, at any depth (lazy imports inside functions count too)."""
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


GRAPH = {_module(p): _imports(p) for top in PRODUCT for p in (ROOT / top).rglob("*.py") if "migrations" not in p.parts}


def _ours(name: str) -> str | None:
    """The product module an import names (a `from x import y` may name a module or a name in one)."""
    while name and name not in GRAPH:
        name = name.rpartition(".")[0]
    return name or None


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if m.startswith("shared.domain")))
def test_the_domain_imports_no_infrastructure_and_nothing_outside_the_domain(module):
    for name in GRAPH[module]:
        assert not name.startswith(INFRASTRUCTURE), (module, name)
        target = _ours(name)
        assert target is None or target.startswith("shared.domain") or target == "shared.problems", (module, name)


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if m.startswith("shared.adapters")))
def test_adapters_import_neither_services_nor_entry_points(module):
    for name in GRAPH[module]:
        target = _ours(name) or ""
        assert not target.startswith(("shared.services", "shared.bootstrap", "functions")), (module, name)


def test_the_product_never_imports_the_cli_the_runner_or_the_tests():
    for module, names in GRAPH.items():
        assert not any(n.startswith(("cli", "tests", "bench", "proofs")) for n in names), module


def test_no_module_imports_itself_back_through_others():
    edges = {m: {t for n in names if (t := _ours(n)) and t != m} for m, names in GRAPH.items()}
    # A package's __init__ re-exporting its own modules is not a cycle of the code's structure.
    edges = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in edges.items()}
    seen: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        seen[module] = 1
        for target in sorted(edges.get(module, ())):
            if seen.get(target) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path, target]))
            if target not in seen:
                visit(target, [*path, target])
        seen[module] = 2

    for module in sorted(edges):
        if module not in seen:
            visit(module, [module])
