"""How the file spells torch's grad-mode APIs, so a fix writes `T.no_grad()` or `no_grad()` like its author.

Only imports visible at the fix's location count: module-level ones (also under `if`/`try`)
and those in the bodies of the enclosing functions.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst
from libcst.helpers import get_full_name_for_node

# Modules that re-export the grad-mode classes as the same objects (TORCH-FACTS 24g).
GRAD_MODE_MODULES = frozenset({"torch", "torch.autograd", "torch.autograd.grad_mode"})


def grad_mode_callee(scopes: Sequence[cst.CSTNode], api: str) -> str | None:
    """`no_grad` -> "T.no_grad", "no_grad", or None when nothing visible names torch."""
    module_alias = None
    for statement in _import_statements(scopes):
        if (
            isinstance(statement, cst.ImportFrom)
            and not statement.relative
            and not isinstance(statement.names, cst.ImportStar)
        ):
            if statement.module is not None and get_full_name_for_node(statement.module) in GRAD_MODE_MODULES:
                for alias in statement.names:
                    if get_full_name_for_node(alias.name) == api:
                        return _bound_name(alias)
        elif isinstance(statement, cst.Import) and module_alias is None:
            module_alias = _torch_binding(statement)
    return f"{module_alias}.{api}" if module_alias else None


def _torch_binding(statement: cst.Import) -> str | None:
    for alias in statement.names:
        name = get_full_name_for_node(alias.name) or ""
        if alias.asname is None and name.split(".")[0] == "torch":
            return "torch"  # `import torch.nn` binds `torch` too
        if alias.asname is not None and name == "torch":
            return _bound_name(alias)
    return None


def _bound_name(alias: cst.ImportAlias) -> str:
    if alias.asname is not None:
        return get_full_name_for_node(alias.asname.name) or ""
    return get_full_name_for_node(alias.name) or ""


def _import_statements(scopes: Sequence[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    for scope in scopes:
        body = scope.body if isinstance(scope, cst.Module) else getattr(getattr(scope, "body", None), "body", ())
        yield from _imports_in(body)


def _imports_in(body: Sequence[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            yield from (s for s in statement.body if isinstance(s, (cst.Import, cst.ImportFrom)))
        elif isinstance(statement, (cst.If, cst.Try)):
            yield from _imports_in(statement.body.body)
            for branch in (
                *getattr(statement, "handlers", ()),
                statement.orelse,
                getattr(statement, "finalbody", None),
            ):
                while isinstance(branch, cst.If):  # `elif` chains
                    yield from _imports_in(branch.body.body)
                    branch = branch.orelse
                if branch is not None:
                    yield from _imports_in(branch.body.body)


def with_torch_import(module: cst.Module) -> cst.Module:
    """Add `import torch` after the docstring, `__future__` imports and the leading imports."""
    body = list(module.body)
    header_end = 0
    while header_end < len(body) and _is_header(body[header_end], header_end):
        header_end += 1
    # Next to the other torch imports, where isort would put it.
    index = next((i for i in range(header_end) if _imports_torch(body[i])), header_end)
    new = cst.parse_statement("import torch\n")
    if index < len(body) and (index == 0 or index < header_end):
        new = new.with_changes(leading_lines=body[index].leading_lines)
        body[index] = body[index].with_changes(leading_lines=[])
    body.insert(index, new)
    return module.with_changes(body=body)


def _is_header(statement: cst.BaseStatement, index: int) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    first = statement.body[0]
    is_docstring = (
        index == 0
        and isinstance(first, cst.Expr)
        and isinstance(first.value, (cst.SimpleString, cst.ConcatenatedString))
    )
    return is_docstring or all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in statement.body)


def _imports_torch(statement: cst.BaseStatement) -> bool:
    for small in getattr(statement, "body", ()):
        if isinstance(small, cst.Import):
            names = [get_full_name_for_node(alias.name) or "" for alias in small.names]
        elif isinstance(small, cst.ImportFrom) and small.module is not None:
            names = [get_full_name_for_node(small.module) or ""]
        else:
            continue
        if any(name.split(".")[0] == "torch" for name in names):
            return True
    return False
