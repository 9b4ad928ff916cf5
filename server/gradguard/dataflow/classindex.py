"""A module's entry in the project's class index (`crossfile.ModuleClasses`): what another file
needs to know of the classes defined here to tell a model from other objects (`model = Attention()`
with `Attention` in model.py), which of their methods are forward passes, whether their `forward`
needs gradients itself, and what in them depends on the training mode.

Read from the syntax tree alone, in portable form: names of the project are absolute dotted names.
"""
from __future__ import annotations

import ast
from typing import Callable, Optional

from ..vocabulary import GRADIENT_ATTRS, GRADIENT_CONSUMER_PREFIXES, GRADIENT_CONSUMERS, THIRD_PARTY_ROOTS
from .crossfile import Definition, ModuleClasses, absolute_import
from .models import ModelKinds, is_module_base, layers_and_parts
from .names import Names, dotted
from .traverse import children, descendants

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
NESTED_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def module_classes_entry(tree: ast.Module, names: Names, local_modules: set[str], module: str,
                         is_package: bool, assignments: Optional[list[ast.stmt]] = None) -> ModuleClasses:
    """The definitions of `tree` (`local_modules`: its classes known to be `nn.Module`s) and the
    project names it imports, for the module named `module`; with its `assignments` (a module that
    was analysed), the project classes it uses (`ModuleClasses.uses`)."""

    def project_name(qualified: str) -> Optional[str]:
        """The absolute name of a name imported from the project; None for other packages."""
        if not qualified or qualified.split(".", 1)[0] in THIRD_PARTY_ROOTS:
            return None
        return absolute_import(qualified, module, is_package) or None

    top = {node.name: node for node in tree.body if isinstance(node, (ast.ClassDef, *FUNCTIONS))}
    kinds = ModelKinds(names, local_modules, ())
    definitions = []
    for name, node in top.items():
        parts: set[str] = set()
        layers = layers_and_parts(node, names, top, lambda q: parts.add(project_name(q) or ""))
        if layers is not None and "" in parts:
            layers = None
        parts.discard("")
        if isinstance(node, ast.ClassDef):
            bases = tuple(sorted(filter(None, (_base_name(base, names, top, module, project_name)
                                               for base in node.bases))))
            definitions.append((name, Definition(
                bases=bases, module=name in local_modules, forward_methods=_forward_methods(node, kinds),
                forward_needs_grad=_forward_needs_grad(node, names), layers=tuple(sorted(layers)) if layers is not None else None,
                parts=tuple(sorted(parts - set(bases))))))
        else:
            definitions.append((name, Definition(layers=tuple(sorted(layers)) if layers is not None else None,
                                                 parts=tuple(sorted(parts)))))
    imports = []
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and (stmt.level or (stmt.module or "").split(".", 1)[0] not in THIRD_PARTY_ROOTS):
            source = absolute_import("." * stmt.level + (stmt.module or ""), module, is_package)
            for alias in stmt.names:
                imports.append(("*", source) if alias.name == "*" else (alias.asname or alias.name, f"{source}.{alias.name}"))
    uses: set[str] = set()
    if assignments is not None:
        module_spans = [(node.lineno, node.end_lineno or node.lineno) for node in top.values()
                        if isinstance(node, ast.ClassDef) and node.name in local_modules]
        for stmt in assignments:
            value = getattr(stmt, "value", None)
            if isinstance(value, ast.Call) and not any(start <= stmt.lineno <= end for start, end in module_spans):
                uses.add(project_name(names.qualified(value.func) or "") or "")
        for node in top.values():
            if isinstance(node, ast.ClassDef) and node.name not in local_modules:
                uses.update(project_name(names.qualified(base) or "") or "" for base in node.bases)
        uses.discard("")
    return ModuleClasses(tuple(definitions), tuple(imports), tuple(sorted(uses)))


def _base_name(base: ast.expr, names: Names, top: dict[str, ast.AST], module: str,
               project_name: Callable[[str], Optional[str]]) -> Optional[str]:
    if isinstance(base, ast.Name) and isinstance(top.get(base.id), ast.ClassDef):
        return f"{module}.{base.id}" if module else base.id
    if is_module_base(base, names, set()):
        return None  # torch's own: the class is a module already
    return project_name(names.qualified(base) or "")


def _forward_methods(cls: ast.ClassDef, kinds: ModelKinds) -> tuple[str, ...]:
    """Methods that run the module: call `self(...)`, `self.forward(...)`, a submodule built in the
    class (`self.encoder = nn.LSTM(...)`), or another such method."""
    methods = {item.name: item for item in cls.body if isinstance(item, FUNCTIONS) and not item.name.startswith("__")}
    submodules = set()
    for node in ast.walk(cls):
        if isinstance(node, ast.Assign) and kinds.created_mode(node.value, set()) is not None:
            submodules.update(key for key in map(dotted, node.targets) if key and key.startswith("self."))
    calls = {name: {dotted(n.func) for n in _own_nodes(method) if isinstance(n, ast.Call)} for name, method in methods.items()}
    running = {name for name, called in calls.items() if called & ({"self", "self.forward"} | submodules)}
    changed = True
    while changed:
        more = {name for name, called in calls.items() if name not in running and any(f"self.{m}" in called for m in running)}
        running |= more
        changed = bool(more)
    return tuple(sorted(running))


def _forward_needs_grad(cls: ast.ClassDef, names: Names) -> bool:
    """`forward` backpropagates, asks autograd for gradients, or runs a differentiable optimiser:
    its caller's `no_grad` would break it (an energy model that optimises its output by gradient steps)."""
    forward = next((item for item in cls.body if isinstance(item, FUNCTIONS) and item.name == "forward"), None)
    return forward is not None and any(consumes_gradients(node, names) for node in _own_nodes(forward))


def consumes_gradients(node: ast.AST, names: Names) -> bool:
    """`loss.backward()`, `x.requires_grad_()`, a read of `.grad`, `torch.autograd.grad(...)`."""
    if isinstance(node, ast.Attribute):
        return node.attr in GRADIENT_ATTRS or (node.attr == "grad" and isinstance(node.ctx, ast.Load))
    if isinstance(node, ast.Call):
        qualified = names.qualified(node.func) or ""
        return qualified in GRADIENT_CONSUMERS or qualified.startswith(GRADIENT_CONSUMER_PREFIXES)
    return False


def _own_nodes(function: ast.AST) -> list[ast.AST]:
    return descendants(list(children(function)), NESTED_DEFINITIONS)
