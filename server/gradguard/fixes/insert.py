"""Fixes that insert a mode switch: `model.eval()` (GG202, GG205) and `model.train()` (GG203)."""
from __future__ import annotations

from typing import Optional

import libcst as cst

from ..findings import Fix
from .context import FixContext
from .tree import Block, move_leading_lines


def eval_before_evaluation(ctx: FixContext) -> list[Fix]:
    return _insert_at_anchor(ctx, "eval", before=True, title="Insert `{call}` before the evaluation")


def eval_after_load(ctx: FixContext) -> list[Fix]:
    return _insert_at_anchor(ctx, "eval", before=False, title="Insert `{call}` after loading the weights")


def train_after_evaluation(ctx: FixContext) -> list[Fix]:
    fixes = []
    receiver = ctx.data_str("receiver")
    node = ctx.tree.smallest(ctx.finding.span, lambda n: True)
    held = ctx.tree.statement_of(node) if node is not None else None
    # Right after a direct `model.eval()` would undo it before the evaluation it starts.
    if receiver and held and not _is_mode_switch(held[0]):
        fixes.append(_insert(ctx, f"{receiver}.train()", *held, before=False,
                             title="Insert `{call}` after the evaluation", preferred=True))
    loop_body_line = ctx.data_int("loop_body_line")
    first = ctx.tree.statement_at_line(loop_body_line) if receiver and loop_body_line is not None else None
    if first:
        fixes.append(_insert(ctx, f"{receiver}.train()", *first, before=True,
                             title="Insert `{call}` at the top of the loop body", preferred=not fixes))
    return [fix for fix in fixes if fix]


def _insert_at_anchor(ctx: FixContext, method: str, before: bool, title: str) -> list[Fix]:
    receiver, anchor = ctx.data_str("receiver"), ctx.data_int("anchor_line")
    held = ctx.tree.statement_at_line(anchor) if receiver and anchor is not None else None
    if not held:
        return []
    fix = _insert(ctx, f"{receiver}.{method}()", *held, before=before, title=title, preferred=True)
    return [fix] if fix else []


def _insert(ctx: FixContext, call: str, statement: cst.BaseStatement, block: Block, index: int,
            before: bool, title: str, preferred: bool) -> Optional[Fix]:
    try:
        new = cst.parse_statement(f"{call}\n")
    except cst.ParserSyntaxError:  # a receiver that is no expression: nothing sensible to write
        return None
    body = list(block.body)
    if before:
        body[index:index + 1] = move_leading_lines(new, statement)
    else:
        body.insert(index + 1, new)
    module = ctx.tree.replace_block_body(block, body)
    return ctx.tree.fix(title.format(call=call), "unsafe", module, preferred=preferred)


def _is_mode_switch(statement: cst.BaseStatement) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine) or not isinstance(statement.body[0], cst.Expr):
        return False
    call = statement.body[0].value
    return isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value in ("eval", "train")
