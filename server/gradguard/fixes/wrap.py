"""Fixes that put statements under a grad-mode `with` (GG102, GG105, GG201) or decorate a function (GG201)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst
import libcst.matchers as m

from ..findings import Fix
from ..fixdata import ForwardPasses
from ..vocabulary import EVALUATION_DATA
from .context import FixContext, line_number
from .names import assigned_names, suspends, used_names
from .tree import Block


def wrap_forward(ctx: FixContext) -> Iterator[Fix]:
    """GG201: the forward pass and the statements that use its result; a whole evaluation loop.
    A generator: fix-all takes the first fix and never computes the alternatives."""
    call = ctx.tree.smallest(ctx.finding.span, lambda n: isinstance(n, cst.Call))
    held = ctx.tree.statement_of(call) if call is not None else None
    if call is None or held is None:
        return
    # the finding stands for the forward passes of a loop (`loop_line`) or of a function (up to `last_line`)
    passes = ctx.data(ForwardPasses)
    loop_line, last_line = (line_number(passes.loop_line), line_number(passes.last_line)) if passes else (None, None)
    at_loop = ctx.tree.statement_at_line(loop_line) if loop_line is not None else None
    loop = at_loop[0] if at_loop else _evaluation_loop(ctx, call)
    _, block, start = ctx.tree.statement_of(loop) if loop is not None else held  # type: ignore[misc]  # a loop is a statement
    through = (
        max(
            (i for i in range(start, len(block.body)) if ctx.tree.start_line(block.body[i]) <= last_line), default=start
        )
        if last_line is not None
        else start
    )
    end = start + 1 if loop is not None else _end_of_uses(ctx, block.body, start, through)
    wrappable = not suspends(block.body[start]) and not _defines_caller(ctx, call, block.body[start])
    candidates = (
        lambda: _wrap(ctx, block, start, end, "no_grad", preferred=True) if wrappable else None,
        lambda: _decorate(ctx, call),
        lambda: (
            _wrap(ctx, block, start, end, "inference_mode", preferred=False)
            if wrappable and ctx.allows_inference_mode()
            else None
        ),
    )
    for build in candidates:
        fix = build()
        if fix:
            yield fix


def wrap_following(ctx: FixContext) -> list[Fix]:
    """GG102 / GG105: the bare grad-mode call becomes a `with` around the statements after it."""
    found = _bare_call_statement(ctx)
    if found is None:
        return []
    statement, block, index = found
    end = _end_of_following(ctx, block.body, index)
    if end == index + 1:
        return []
    call = statement.body[0].value  # type: ignore[attr-defined]  # a bare call: an Expr
    inner = _indented([_without_leading_blank_lines(block.body[index + 1]), *block.body[index + 2 : end]])
    with_block = cst.With(
        items=[cst.WithItem(call)],
        body=cst.IndentedBlock(body=inner, header=statement.trailing_whitespace, indent=ctx.tree.block_indent),
        leading_lines=statement.leading_lines,
    )
    module = ctx.tree.replace_block_body(block, [*block.body[:index], with_block, *block.body[end:]])
    title = f"Turn it into `with {cst.Module(body=[]).code_for_node(call)}:` around the statements that follow"
    fix = ctx.tree.fix(title, "unsafe", module, preferred=True)
    return [fix] if fix else []


def delete_statement(ctx: FixContext) -> list[Fix]:
    """GG102: the discarded call has no effect, so removing it changes nothing. Its comments stay,
    on lines of their own where the statement was."""
    found = _bare_call_statement(ctx, alone=False)
    if found is None:
        return []
    statement, block, index = found
    expression = ctx.tree.smallest(ctx.finding.span, lambda n: isinstance(n, cst.Expr))
    if not isinstance(expression, cst.Expr):
        return []
    rest = [s for s in statement.body if s is not expression]
    body, footer = list(block.body), block.footer  # the same footer: a module's code need not be regenerated
    if rest:
        body[index] = statement.with_changes(
            body=[*rest[:-1], rest[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)],
            leading_lines=[*statement.leading_lines, *_comment_lines(expression)],
        )
    else:
        kept = [*statement.leading_lines, *_comment_lines(statement.with_changes(leading_lines=[]))]
        if index + 1 < len(body):  # above the next statement
            follower = body[index + 1]
            body[index : index + 2] = [follower.with_changes(leading_lines=[*kept, *follower.leading_lines])]  # type: ignore[attr-defined]  # a statement line or a compound statement
        elif len(body) == 1:  # a block cannot be empty
            body[index] = cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=kept)
        else:  # after the block's last statement; blank lines alone go with the statement, as before
            del body[index]
            if any(line.comment for line in kept):
                footer = [*kept, *footer]
    module = ctx.tree.replace(block, block.with_changes(body=body, footer=footer))
    # one deletion per block and round: each alone leaves a statement in it, two may leave none
    fix = ctx.tree.fix(
        f"Remove `{cst.Module(body=[]).code_for_node(expression.value)}` (it has no effect)",
        "safe",
        module,
        isolation=("block", ctx.tree.start_line(block.body[0])),
    )
    return [fix] if fix else []


def _comment_lines(node: cst.CSTNode) -> list[cst.EmptyLine]:
    """Every comment in `node`, each on a line of its own."""
    return [
        cst.EmptyLine(comment=comment) for comment in m.findall(node, m.Comment()) if isinstance(comment, cst.Comment)
    ]


def _wrap(ctx: FixContext, block: Block, start: int, end: int, api: str, preferred: bool) -> Fix | None:
    call, needs_import = ctx.grad_mode_call(api, block)
    statements = _indented(block.body[start:end])
    with_block = cst.With(
        items=[cst.WithItem(cst.parse_expression(call))],
        body=cst.IndentedBlock(
            body=[statements[0].with_changes(leading_lines=[]), *statements[1:]], indent=ctx.tree.block_indent
        ),
        leading_lines=statements[0].leading_lines,  # type: ignore[attr-defined]  # a statement line or a compound statement
    )
    module = ctx.tree.replace_block_body(block, [*block.body[:start], with_block, *block.body[end:]])
    return ctx.tree.fix(f"Wrap in `with {call}:`", "unsafe", ctx.finish(module, needs_import), preferred=preferred)


def _decorate(ctx: FixContext, call: cst.CSTNode) -> Fix | None:
    function = next((n for n in ctx.tree.ancestors(call) if isinstance(n, cst.FunctionDef)), None)
    if function is None or function.asynchronous is not None:  # on a coroutine the decorator does nothing (GG107)
        return None
    decorator, needs_import = ctx.grad_mode_call("no_grad", function)
    # Closest to `def`, so `@staticmethod` / `@property` above it still wrap the no-grad function.
    decorated = function.with_changes(decorators=[*function.decorators, cst.Decorator(cst.parse_expression(decorator))])
    module = ctx.tree.replace(function, decorated)
    return ctx.tree.fix(
        f"Decorate `{function.name.value}` with `@{decorator}`", "unsafe", ctx.finish(module, needs_import)
    )


def _defines_caller(ctx: FixContext, call: cst.CSTNode, statement: cst.BaseStatement) -> bool:
    """`statement` defines the function or lambda the call runs in (a one-line `def f(x): return model(x)`):
    a `with` around a definition does not reach the calls made when the function runs."""
    for node in ctx.tree.ancestors(call):
        if isinstance(node, (cst.FunctionDef, cst.Lambda)):
            return True
        if node is statement:
            return False
    return False


def _evaluation_loop(ctx: FixContext, call: cst.CSTNode) -> cst.For | None:
    for node in ctx.tree.ancestors(call):
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return None
        if (
            isinstance(node, cst.For)
            and node.asynchronous is None
            and any(
                EVALUATION_DATA.search(name.value)
                for name in m.findall(node.iter, m.Name())
                if isinstance(name, cst.Name)
            )
        ):
            return node
    return None


def _end_of_uses(ctx: FixContext, body: Sequence[cst.BaseStatement], start: int, through: int) -> int:
    """End of the smallest run from `start` through `through` that holds every later statement using what the run
    assigns."""
    names = assigned_names(body[start])
    end = start + 1
    for index in range(start + 1, len(body)):
        statement = body[index]
        if _ends_run(ctx, body[start], statement):
            break
        if used_names(statement) & names or index <= through:
            names |= assigned_names(statement)
            end = index + 1
    return end


def _end_of_following(ctx: FixContext, body: Sequence[cst.BaseStatement], index: int) -> int:
    end = index + 1
    while end < len(body) and not _ends_run(ctx, body[index], body[end]):
        end += 1
    return end


def _ends_run(ctx: FixContext, first: cst.BaseStatement, statement: cst.BaseStatement) -> bool:
    """Definitions stay out of a `with` block; so do `yield`/`await` (GG108) and other notebook cells."""
    return (
        isinstance(statement, (cst.FunctionDef, cst.ClassDef))
        or suspends(statement)
        or not ctx.same_cell(ctx.tree.start_line(first), ctx.tree.start_line(statement))
    )


def _bare_call_statement(ctx: FixContext, alone: bool = True) -> tuple[cst.SimpleStatementLine, Block, int] | None:
    expression = ctx.tree.smallest(ctx.finding.span, lambda n: isinstance(n, cst.Expr))
    held = ctx.tree.statement_of(expression) if expression is not None else None
    if held is None or not isinstance(held[0], cst.SimpleStatementLine):
        return None
    if alone and len(held[0].body) != 1:
        return None
    return held  # type: ignore[return-value]  # held[0] checked above


def _without_leading_blank_lines(statement: cst.BaseStatement) -> cst.BaseStatement:
    lines = list(statement.leading_lines)  # type: ignore[attr-defined]  # a statement line or a compound statement
    while lines and lines[0].comment is None:
        lines.pop(0)
    return statement.with_changes(leading_lines=lines)


class _BlankLinesUnindented(cst.CSTTransformer):
    def leave_EmptyLine(self, original: cst.EmptyLine, updated: cst.EmptyLine) -> cst.EmptyLine:
        return updated.with_changes(indent=False) if updated.comment is None else updated


def _indented(statements: Sequence[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """Statements moving one block deeper: blank lines among them stay empty, not indented."""
    return [statement.visit(_BlankLinesUnindented()) for statement in statements]  # type: ignore[misc]  # a statement stays one
