"""Which names a statement binds and which it reads: enough to find the statements that use a result."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
from libcst.helpers import get_full_name_for_node


def assigned_names(statement: cst.CSTNode) -> set[str]:
    """Names and attribute chains (`self.out`) bound by a statement; augmented assignment excluded,
    since an accumulator (`correct += ...`) is not the result a run of statements is built around."""
    collector = _Assigned()
    statement.visit(collector)
    return collector.names


def used_names(statement: cst.CSTNode) -> set[str]:
    names = {name.value for name in m.findall(statement, m.Name()) if isinstance(name, cst.Name)}
    chains = {get_full_name_for_node(attr) for attr in m.findall(statement, m.Attribute())}
    return names | {chain for chain in chains if chain}


def suspends(statement: cst.CSTNode) -> bool:
    """Holds `yield` or `await`: a grad-mode block around it would leak the mode (GG108)."""
    return bool(m.findall(statement, m.Yield() | m.Await()))


class _Assigned(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._bind(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind(node.asname.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.names.add(node.name.value)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.names.add(node.name.value)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def _bind(self, target: cst.BaseExpression) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind(element.value)
        elif isinstance(target, (cst.StarredElement, cst.Subscript)):
            self._bind(target.value)
        else:
            name = get_full_name_for_node(target)
            if name:
                self.names.add(name)
