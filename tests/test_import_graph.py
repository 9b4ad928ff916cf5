"""The package's modules import each other without cycles at run time (issue 17); the few cycles that
exist only for type annotations (under `if TYPE_CHECKING:`) are the ones docs/ARCHITECTURE.md explains."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "server" / "gradguard"
ARCHITECTURE = Path(__file__).resolve().parents[1] / "docs" / "ARCHITECTURE.md"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imported(module: str, is_package: bool, body: list[ast.stmt], known: set[str], typing_only: bool) -> set[str]:
    """The package's modules `body` imports when it runs (or only for type checking), not inside functions."""
    found: set[str] = set()
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if isinstance(node, ast.If) and _is_type_checking(node):
            if typing_only:
                found |= _imported(module, is_package, node.body, known, False)
            continue
        if isinstance(node, ast.ImportFrom) and not typing_only:
            if node.level:
                base = module.split(".")[: None if is_package else -1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in known else target)
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(node, field, None)
            if isinstance(inner, list) and not isinstance(node, ast.ClassDef):
                found |= _imported(module, is_package, inner, known, typing_only)
        for handler in getattr(node, "handlers", ()):
            found |= _imported(module, is_package, handler.body, known, typing_only)
    return found & known - {module}


def _graph(typing_only: bool) -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    known = set(paths)
    return {
        name: _imported(name, path.name == "__init__.py", ast.parse(path.read_text("utf-8")).body, known, typing_only)
        for name, path in paths.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_at_run_time() -> None:
    assert _cycles(_graph(typing_only=False)) == []


def test_cycles_for_type_annotations_only_are_the_ones_the_architecture_explains() -> None:
    runtime = _graph(typing_only=False)
    combined = {name: runtime[name] | typing for name, typing in _graph(typing_only=True).items()}
    explained = ARCHITECTURE.read_text("utf-8")
    for cycle in _cycles(combined):
        for module in cycle:
            assert f"`{module.removeprefix('gradguard.')}`" in explained.split("## Import cycles", 1)[-1], cycle
