"""Our own import/alias resolver: what torch API an expression names, whatever the spelling.

`import torch as T`, `from torch import no_grad as ng`, `torch.autograd.grad_mode.no_grad`
and `from torch.autograd import grad_mode` all resolve to the canonical `torch.no_grad`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from ..vocabulary import GRAD_MODE_APIS

# Re-exports that are the same object as the canonical name (TORCH-FACTS 24g).
CANONICAL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("torch.autograd.grad_mode.", "torch."),
    ("torch.autograd.", "torch."),
    ("torch.nn.modules.module.Module", "torch.nn.Module"),
)
CANONICAL_EXEMPT = frozenset(
    {"torch.autograd.grad", "torch.autograd.backward", "torch.autograd.functional", "torch.autograd.Function"}
)
EXEMPT_PREFIXES = tuple(name + "." for name in CANONICAL_EXEMPT)
REEXPORT_PREFIXES = tuple(prefix for prefix, _ in CANONICAL_PREFIXES)


def canonical(qualified: str) -> str:
    if (
        not qualified.startswith(REEXPORT_PREFIXES)
        or qualified in CANONICAL_EXEMPT
        or qualified.startswith(EXEMPT_PREFIXES)
    ):
        return qualified
    for prefix, replacement in CANONICAL_PREFIXES:
        if qualified.startswith(prefix):
            candidate = replacement + qualified[len(prefix) :]
            if candidate in GRAD_MODE_APIS or prefix.endswith("Module"):
                return candidate
    return qualified


class Names:
    """Maps the names a module binds by import to the qualified names they stand for."""

    def __init__(self, imports: Iterable[ast.stmt] | ast.Module) -> None:
        """From the module's import statements (or a whole tree, walked to find them)."""
        self.imported: dict[str, str] = {}
        for node in ast.walk(imports) if isinstance(imports, ast.Module) else imports:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.imported[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".", 1)[0]
                        self.imported[top] = top
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name != "*":
                        self.imported[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.ImportFrom) and node.level:
                for alias in node.names:
                    module = f"{node.module}." if node.module else ""
                    self.imported[alias.asname or alias.name] = "." * node.level + module + alias.name

    def note_aliases(self, module_body: Iterable[ast.stmt]) -> None:
        """Module-level assignments that rename an import: `F = nn.functional`, `nn = torch.nn`,
        `torch = pytest.importorskip("torch")`."""
        for stmt in module_body:
            if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
                continue
            value = stmt.value
            if (
                isinstance(value, ast.Call)
                and (dotted(value.func) or "").endswith("importorskip")
                and value.args
                and isinstance(value.args[0], ast.Constant)
                and isinstance(value.args[0].value, str)
            ):
                self.imported[stmt.targets[0].id] = value.args[0].value
            elif isinstance(value, (ast.Name, ast.Attribute)):
                qualified = self.qualified(value)
                if qualified is not None:
                    self.imported[stmt.targets[0].id] = qualified

    def qualified(self, expr: ast.expr) -> str | None:
        """`T.autograd.no_grad` -> `torch.no_grad`; None when the root is not an import."""
        root = expr
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name) or root.id not in self.imported:
            return None  # most expressions: found without building their name
        return canonical(self.imported[root.id] + dotted(expr)[len(root.id) :])  # type: ignore[index]  # names: dotted

    def torch_spelling(self) -> str | None:
        """How this module spells `torch` (`torch`, `T`), for fixes; None when not imported."""
        for local, qualified in self.imported.items():
            if qualified == "torch":
                return local
        return None


def dotted(expr: ast.expr) -> str | None:
    """`self.model.net` -> "self.model.net"; None for anything but a chain of names."""
    if isinstance(expr, ast.Name):
        return expr.id
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    parts.append(expr.id)
    parts.reverse()
    return ".".join(parts)
