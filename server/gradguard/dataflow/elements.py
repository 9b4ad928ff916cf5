"""Every element of a container of models: `for m in models: m.eval()` switches each model of `models`,
so a helper `set_mode("eval", [generator, discriminator])` leaves both in eval mode.

The loop's summary speaks of the container (`models`); a call that passes a list or tuple literal for it
applies that to each element. An element that is `None` (`if m is None: continue`) holds no model.
"""

from __future__ import annotations

import ast

from .names import dotted

CONTAINER_VIEWS = ("values",)  # `for m in models.values():` iterates the models of a dict


def element_loop(node: ast.For | ast.AsyncFor) -> tuple[str, str] | None:
    """(element name, container key) for `for m in models:` and `for m in self.models.values():`."""
    if not isinstance(node.target, ast.Name):
        return None
    iterated = node.iter
    if (
        isinstance(iterated, ast.Call)
        and isinstance(iterated.func, ast.Attribute)
        and iterated.func.attr in CONTAINER_VIEWS
        and not iterated.args
        and not iterated.keywords
    ):
        iterated = iterated.func.value
    container = dotted(iterated)
    return (node.target.id, container) if container is not None else None


def none_branch(test: ast.expr) -> tuple[str, bool] | None:
    """(name, True) for `if m is None:` (its body holds no model), (name, False) for `if m is not None:`
    (its `else:` holds none)."""
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.left, ast.Name)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
        and isinstance(test.ops[0], (ast.Is, ast.IsNot))
    ):
        return test.left.id, isinstance(test.ops[0], ast.Is)
    return None


def literal_elements(value: ast.expr) -> list[str] | None:
    """`[generator, discriminator]`, `(self.g, self.d)`: the model names a literal holds."""
    if isinstance(value, (ast.List, ast.Tuple)):
        return [key for key in map(dotted, value.elts) if key is not None]
    return None
