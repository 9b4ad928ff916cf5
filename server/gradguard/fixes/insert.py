"""Fixes that insert a mode switch: `model.eval()` (GG202, GG205) and `model.train()` (GG203)."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
from libcst.helpers import get_full_name_for_node
from libcst.metadata import CodePosition

from ..findings import Fix
from ..fixdata import ModelAt, ModelInLoop
from .context import FixContext, line_number
from .names import assigned_names
from .tree import Block, move_leading_lines


def eval_before_evaluation(ctx: FixContext) -> list[Fix]:
    model = ctx.data(ModelAt)
    receiver, anchor = (model.receiver, line_number(model.anchor_line)) if model else (None, None)
    held = ctx.tree.statement_at_line(anchor) if receiver and anchor is not None else None
    # A `train()` inside the anchored loop would undo an `eval()` put before it; one put after it
    # would cancel a call that only the author can judge (a mistake, or Monte Carlo dropout).
    if not held or _sets_training_mode_before_forward(ctx, held[0], receiver):  # type: ignore[arg-type]  # held: receiver set
        return []
    fix = _insert(
        ctx, f"{receiver}.eval()", *held, before=True, title="Insert `{call}` before the evaluation", preferred=True
    )
    return [fix] if fix else []


def eval_after_load(ctx: FixContext) -> list[Fix]:
    """Right after the small statement that loads, so `load; out = model(x)` on one line gets it in between."""
    model = ctx.data(ModelAt)
    receiver, anchor = (model.receiver, line_number(model.anchor_line)) if model else (None, None)
    load = _load_before_forward(ctx, receiver, anchor) if receiver and anchor is not None else None
    loading = _small_statement_of(ctx, load) if load is not None else None
    if loading is None or _past_forward_start(ctx, ctx.tree.positions[loading].end):
        return []
    call, title = f"{receiver}.eval()", "Insert `{call}` after loading the weights"
    line = ctx.tree.parents[loading]
    if isinstance(line, cst.SimpleStatementLine) and loading is line.body[-1]:  # a line of its own: the next line
        fix = _insert(ctx, call, *ctx.tree.statement_of(line), before=False, title=title, preferred=True)  # type: ignore[misc]  # a line of its own
    else:
        fix = _insert_on_the_line(ctx, call, line, loading, title)  # type: ignore[arg-type]  # the line that holds it
    return [fix] if fix else []


def train_after_evaluation(ctx: FixContext) -> list[Fix]:
    fixes = []
    model = ctx.data(ModelInLoop)
    receiver, loop_body_line = (model.receiver, line_number(model.loop_body_line)) if model else (None, None)
    node = ctx.tree.smallest(ctx.finding.span, lambda n: True)
    held = ctx.tree.statement_of(node) if node is not None else None
    # Right after a direct `model.eval()` would undo it before the evaluation it starts.
    if receiver and held and not _is_mode_switch(held[0]):
        fixes.append(
            _insert(
                ctx,
                f"{receiver}.train()",
                *held,
                before=False,
                title="Insert `{call}` after the evaluation",
                preferred=True,
            )
        )
    first = ctx.tree.statement_at_line(loop_body_line) if receiver and loop_body_line is not None else None
    if first:
        fixes.append(
            _insert(
                ctx,
                f"{receiver}.train()",
                *first,
                before=True,
                title="Insert `{call}` at the top of the loop body",
                preferred=not fixes,
            )
        )
    return [fix for fix in fixes if fix]


def _insert(
    ctx: FixContext,
    call: str,
    statement: cst.BaseStatement,
    block: Block,
    index: int,
    before: bool,
    title: str,
    preferred: bool,
) -> Fix | None:
    new = _call_statement(call)
    if new is None:
        return None
    body = list(block.body)
    if before:
        body[index : index + 1] = move_leading_lines(new, statement)
    else:
        body.insert(index + 1, new)
    module = ctx.tree.replace_block_body(block, body)
    return ctx.tree.fix(title.format(call=call), "unsafe", module, preferred=preferred)


def _call_statement(call: str) -> cst.SimpleStatementLine | None:
    try:
        return cst.parse_statement(f"{call}\n")  # type: ignore[return-value]  # a call: a statement line
    except cst.ParserSyntaxError:  # a receiver that is no expression: nothing sensible to write
        return None


def _is_mode_switch(statement: cst.BaseStatement) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine) or not isinstance(statement.body[0], cst.Expr):
        return False
    call = statement.body[0].value
    return (
        isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and call.func.attr.value in ("eval", "train")
    )


def _insert_on_the_line(
    ctx: FixContext,
    call: str,
    line: cst.SimpleStatementLine | cst.SimpleStatementSuite,
    after: cst.BaseSmallStatement,
    title: str,
) -> Fix | None:
    """`call` as a small statement after `after`, joined with `; ` like the statements around it."""
    new = _call_statement(call)
    if new is None:
        return None
    joined = cst.Semicolon(whitespace_after=cst.SimpleWhitespace(" "))
    body: list[cst.BaseSmallStatement] = []
    for small in line.body:
        if small is after:
            body += [small.with_changes(semicolon=joined), new.body[0].with_changes(semicolon=small.semicolon)]
        else:
            body.append(small)
    module = ctx.tree.replace(line, line.with_changes(body=body))
    return ctx.tree.fix(title.format(call=call), "unsafe", module, preferred=True)


def _load_before_forward(ctx: FixContext, receiver: str, line: int) -> cst.Call | None:
    """The last `receiver.load_state_dict(...)` ending on 0-based `line` before the forward pass."""
    ctx.tree.load(line)
    loads = [
        node
        for node, where in ctx.tree.positions.items()
        if where.end.line == line + 1
        and isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "load_state_dict"
        and get_full_name_for_node(node.func.value) == receiver
        and not _past_forward_start(ctx, where.end)
    ]
    return max(loads, key=lambda node: ctx.tree.positions[node].start.column, default=None)


def _small_statement_of(ctx: FixContext, node: cst.CSTNode) -> cst.BaseSmallStatement | None:
    """The small statement that holds `node`, if no compound statement comes in between."""
    for ancestor in ctx.tree.ancestors(node):
        if isinstance(ancestor, cst.BaseSmallStatement):
            return ancestor
        if isinstance(ancestor, cst.BaseStatement):
            return None
    return None


def _sets_training_mode_before_forward(ctx: FixContext, statement: cst.BaseStatement, receiver: str) -> bool:
    """A small statement of `statement` that ends before the forward pass calls `receiver.train(...)` or
    binds `receiver` anew (a model constructed in the loop starts in training mode)."""
    for line in m.findall(statement, m.SimpleStatementLine() | m.SimpleStatementSuite()):
        for small in line.body:  # type: ignore[attr-defined]  # a line or a suite, as matched
            if _past_forward_start(ctx, ctx.tree.positions[small].end):
                continue
            trains = m.findall(small, m.Call(func=m.Attribute(attr=m.Name("train"))))
            if receiver in assigned_names(small) or any(
                isinstance(call, cst.Call)
                and isinstance(call.func, cst.Attribute)
                and get_full_name_for_node(call.func.value) == receiver
                for call in trains
            ):
                return True
    return False


def _past_forward_start(ctx: FixContext, position: CodePosition) -> bool:
    """`position` (libcst, 1-based line) is past the start of the finding's forward pass."""
    span = ctx.finding.span
    return (position.line, position.column) > (span.start_line + 1, span.start_col)
