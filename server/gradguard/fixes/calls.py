"""Fixes that change one call expression: add the missing `()` (GG101, GG103), remove `volatile=` (GG110),
pass `training=` (GG206)."""

from __future__ import annotations

import libcst as cst

from ..findings import Fix
from .context import FixContext
from .tree import code_of

# `F.dropout(input, p, training, inplace)`: the same signature for every functional dropout.
TRAINING_POSITION = 2


def add_call_parentheses(ctx: FixContext) -> list[Fix]:
    target = ctx.tree.smallest(ctx.finding.span, lambda n: isinstance(n, (cst.Attribute, cst.Name)))
    if not isinstance(target, (cst.Attribute, cst.Name)):
        return []
    called = cst.Call(func=target.with_changes(lpar=[], rpar=[]), lpar=target.lpar, rpar=target.rpar)
    module = ctx.tree.replace(target, called)
    callee = code_of(target.with_changes(lpar=[], rpar=[]))
    fix = ctx.tree.fix(f"Call it: `{callee}()`", "safe", module, preferred=True)
    return [fix] if fix else []


def remove_keyword_argument(ctx: FixContext) -> list[Fix]:
    """The reported `name=value` goes; when it was the last argument, the one before takes its comma (or none)."""
    argument = ctx.tree.smallest(ctx.finding.span, lambda n: isinstance(n, cst.Arg) and n.keyword is not None)
    if not isinstance(argument, cst.Arg):
        return []
    call = ctx.tree.parents.get(argument)
    if not isinstance(call, cst.Call):
        return []
    args = list(call.args)
    index = next(i for i, arg in enumerate(args) if arg is argument)
    if index == len(args) - 1 and index > 0:
        args[index - 1] = args[index - 1].with_changes(comma=argument.comma)
    del args[index]
    module = ctx.tree.replace(call, call.with_changes(args=args))
    fix = ctx.tree.fix(
        f"Remove `{code_of(argument.with_changes(comma=cst.MaybeSentinel.DEFAULT))}`", "safe", module, preferred=True
    )
    return [fix] if fix else []


def pass_training_flag(ctx: FixContext) -> list[Fix]:
    call = ctx.tree.smallest(ctx.finding.span, lambda n: isinstance(n, cst.Call))
    if not isinstance(call, cst.Call):
        return []
    flag = cst.parse_expression(f"{_module_parameter(ctx, call)}.training")
    args = list(call.args)
    position = _training_argument(args)
    if position is not None:
        args[position] = args[position].with_changes(value=flag)
    else:
        args = _append_keyword(
            args,
            cst.Arg(
                value=flag,
                keyword=cst.Name("training"),
                equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
                ),
            ),
        )
    module = ctx.tree.replace(call, call.with_changes(args=args))
    fix = ctx.tree.fix(f"Pass `training={code_of(flag)}`", "unsafe", module, preferred=True)
    return [fix] if fix else []


def _module_parameter(ctx: FixContext, call: cst.Call) -> str:
    """`self`, or whatever the enclosing method calls its first parameter."""
    function = next((n for n in ctx.tree.ancestors(call) if isinstance(n, cst.FunctionDef)), None)
    if function is not None and function.params.params:
        return function.params.params[0].name.value
    return "self"


def _training_argument(args: list[cst.Arg]) -> int | None:
    for index, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == "training":
            return index
    positional = [i for i, arg in enumerate(args) if arg.keyword is None and not arg.star]
    return positional[TRAINING_POSITION] if len(positional) > TRAINING_POSITION else None


def _append_keyword(args: list[cst.Arg], new: cst.Arg) -> list[cst.Arg]:
    if not args:
        return [new]
    last = args[-1]
    if isinstance(last.comma, cst.Comma):  # a trailing comma (multi-line call): the new argument keeps it
        separator = (
            args[-2].comma
            if len(args) > 1 and isinstance(args[-2].comma, cst.Comma)
            else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        )
        return [*args[:-1], last.with_changes(comma=separator), new.with_changes(comma=last.comma)]
    return [*args[:-1], last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))), new]
