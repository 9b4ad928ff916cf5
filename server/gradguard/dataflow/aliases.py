"""Local names for a model held in an attribute: after `model = self.model`, `model.eval()` switches
`self.model` too (one object, two names), and a method that switches `self.model` switches `model`.

Only names bound once in the function (a wrapper that shares its modules, `model = DDP(model)`, keeps the
object), to an attribute chain the function never assigns: then the two names stay one object wherever both
are bound.
"""

from __future__ import annotations

import ast
from collections import Counter
from typing import Callable

from .names import dotted
from .state import Possible, State


def attribute_aliases(
    nodes: list[ast.AST],
    params: list[str],
    same_object: Callable[[ast.expr, str], bool],
    wanted: Callable[[str, str], bool],
) -> tuple[tuple[str, str], ...]:
    """(local name, attribute chain) pairs among those `wanted` (a model under either name): `model =
    self.model`, `model, args = self.model, self.args`. `same_object(value, name)`: the value is the object
    `name` holds, or wraps its modules. One cheap pass finds the assignments; only a function that has
    one we want is looked at again for what else binds the names."""
    candidates = [
        pair
        for node in nodes
        if isinstance(node, ast.Assign) and len(node.targets) == 1
        for pair in _pairs(node.targets[0], node.value)
        if wanted(*pair)
    ]
    if not candidates:
        return ()
    bound: Counter[str] = Counter(params)
    assigned_attributes: set[str] = set()
    kept: set[int] = set()  # the targets of `model = DDP(model)`
    for node in nodes:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and same_object(node.value, node.targets[0].id)
        ):
            kept.add(id(node.targets[0]))
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load) and id(node) not in kept:
            bound[node.id] += 1
        elif isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load):
            key = dotted(node)
            if key is not None:
                assigned_attributes.add(key)
    return tuple(
        (name, attribute)
        for name, attribute in candidates
        if bound[name] == 1 and not any(attribute == a or attribute.startswith(a + ".") for a in assigned_attributes)
    )


def _pairs(target: ast.expr, value: ast.expr) -> list[tuple[str, str]]:
    if isinstance(target, ast.Name) and isinstance(value, ast.Attribute):
        attribute = dotted(value)
        return [(target.id, attribute)] if attribute is not None else []
    if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts):
        return [pair for t, v in zip(target.elts, value.elts) for pair in _pairs(t, v)]
    return []


def mirrored(aliases: tuple[tuple[str, str], ...], before: State, after: State) -> State:
    """`after`, with a mode change made to one name of an aliased pair made to the other as well
    (and to the submodules written under it: `eval()` reaches them)."""
    changes: dict[str, Possible] = {}
    for name, attribute in aliases:
        for changed, other in ((name, attribute), (attribute, name)):
            mode = after.mode(changed)
            if mode is not before.mode(changed) and mode is not after.mode(other):
                changes[other] = mode
                prefix, other_prefix = changed + ".", other + "."
                changes.update(
                    {
                        other_prefix + key[len(prefix) :]: sub
                        for key, sub in after.modes.items()
                        if key.startswith(prefix) and sub is not before.mode(key)
                    }
                )
                break
    return after.with_modes(changes)
