"""Summaries for the constants a call passes: `self.set_mode("eval")` of

    def set_mode(self, mode="train"):
        if mode == "train": self.net.train()
        if mode == "eval": self.net.eval()

leaves `self.net` in eval mode, though the summary for any `mode` says "train or eval". A function
whose `if` tests compare a parameter (never rebound) with a constant is walked again for the constants a
call passes or leaves at their defaults, taking only the branches they select.
"""
from __future__ import annotations

import ast
from typing import Iterable, Optional

CONSTANT_TYPES = (str, int, bool, type(None))  # what a test may compare a parameter with


def constant_tested_params(nodes: Iterable[ast.AST], params: list[str]) -> frozenset[str]:
    """The parameters an `if` compares with a constant (`mode == "eval"`, `if train:`), when the
    function never assigns them."""
    tested: set[str] = set()
    rebound: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.If):
            name = _tested_name(node.test)
            if name in params:
                tested.add(name)  # type: ignore[arg-type]
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            rebound.add(node.id)
    return frozenset(tested - rebound)


def passed_constants(node: ast.FunctionDef | ast.AsyncFunctionDef, params: list[str], tested: frozenset[str],
                     call: ast.Call, through_receiver: bool) -> tuple[tuple[str, object], ...]:
    """(parameter, value) for the tested parameters that `call` passes as constants or leaves at a constant
    default; () when one of them gets a value we cannot know."""
    args = node.args
    positional = [a.arg for a in [*args.posonlyargs, *args.args]]
    defaults = dict(zip(positional[len(positional) - len(args.defaults):], args.defaults))
    defaults.update((a.arg, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None)
    given: dict[str, ast.expr] = dict(defaults)
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return ()
    given.update(zip(positional[1:] if through_receiver else positional, call.args))
    given.update((k.arg, k.value) for k in call.keywords if k.arg is not None)
    found = []
    for name in sorted(tested):
        value = given.get(name)
        if not isinstance(value, ast.Constant) or not isinstance(value.value, CONSTANT_TYPES):
            return ()
        found.append((name, value.value))
    return tuple(found)


def branch_taken(test: ast.expr, constants: dict[str, object]) -> Optional[bool]:
    """Whether the test holds for the known constants; None when it does not depend on them alone."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = branch_taken(test.operand, constants)
        return None if inner is None else not inner
    if isinstance(test, ast.Name):
        return bool(constants[test.id]) if test.id in constants else None
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Name) \
            and test.left.id in constants and isinstance(test.comparators[0], ast.Constant):
        value, other = constants[test.left.id], test.comparators[0].value
        if isinstance(test.ops[0], (ast.Eq, ast.Is)):
            return value == other
        if isinstance(test.ops[0], (ast.NotEq, ast.IsNot)):
            return value != other
    return None


def _tested_name(test: ast.expr) -> Optional[str]:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _tested_name(test.operand)
    if isinstance(test, ast.Name):
        return test.id
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Name) \
            and isinstance(test.ops[0], (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)) and isinstance(test.comparators[0], ast.Constant):
        return test.left.id
    return None
