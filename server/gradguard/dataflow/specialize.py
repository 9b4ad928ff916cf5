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

CONSTANT_TYPES = (str, int, bool, type(None))  # what a call may pass for a tested parameter


def constant_tested_params(
    node: ast.FunctionDef | ast.AsyncFunctionDef, nodes: list[ast.AST], params: list[str]
) -> frozenset[str]:
    """The parameters an `if` compares with a string or number (`mode == "eval"`) or tests as a flag with a
    `True`/`False` default (`if train:`), when the function never assigns them. The `if`s first (cheap);
    the rest only when one tests a parameter."""
    flags = {
        arg.arg
        for arg, default in _defaults(node)
        if isinstance(default, ast.Constant) and isinstance(default.value, bool)
    }
    tested = {
        name
        for child in nodes
        if isinstance(child, ast.If)
        for name in [_tested_name(child.test, flags)]
        if name in params
    }
    if not tested:
        return frozenset()
    rebound = {node.id for node in nodes if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)}
    return frozenset(tested - rebound)


def passed_constants(
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    params: list[str],
    tested: frozenset[str],
    call: ast.Call,
    through_receiver: bool,
) -> tuple[tuple[str, object], ...]:
    """(parameter, value) for the tested parameters that `call` passes as constants or leaves at a constant
    default; () when one of them gets a value we cannot know."""
    positional = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
    given: dict[str, ast.expr] = {arg.arg: default for arg, default in _defaults(node)}
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


def branch_taken(test: ast.expr, constants: dict[str, object]) -> bool | None:
    """Whether the test holds for the known constants; None when it does not depend on them alone."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = branch_taken(test.operand, constants)
        return None if inner is None else not inner
    if isinstance(test, ast.Name):
        return bool(constants[test.id]) if test.id in constants else None
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.left, ast.Name)
        and test.left.id in constants
        and isinstance(test.comparators[0], ast.Constant)
    ):
        value, other = constants[test.left.id], test.comparators[0].value
        if isinstance(test.ops[0], (ast.Eq, ast.Is)):
            return value == other
        if isinstance(test.ops[0], (ast.NotEq, ast.IsNot)):
            return value != other
    return None


def _tested_name(test: ast.expr, flags: set[str]) -> str | None:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _tested_name(test.operand, flags)
    if isinstance(test, ast.Name):
        return test.id if test.id in flags else None
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.left, ast.Name)
        and isinstance(test.ops[0], (ast.Eq, ast.NotEq))
        and isinstance(test.comparators[0], ast.Constant)
        and isinstance(test.comparators[0].value, (str, int))
    ):
        return test.left.id
    return None


def _defaults(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[ast.arg, ast.expr]]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    return [
        *zip(positional[len(positional) - len(args.defaults) :], args.defaults),
        *((a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None),
    ]
