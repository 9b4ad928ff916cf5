"""Does a forward pass's output only feed inference sinks (SPEC "Evaluation code": argmax/topk/sampling,
`.item()`/`.tolist()`/`.numpy()`, `.detach()`/`.data` reads, printing, logging, saving images or files)?

The output is followed through assignments, tuple unpacking, containers it is put into, arithmetic, torch
functions, other forward passes (a recurrent state fed back into the model) and functions of the file that
hand back what they are given. Each use must end in a sink, an index (autograd tracks no integer tensor), a
condition or a discarded expression; a use we cannot judge (a call of another project function, a return,
a store on an attribute, a name a nested function reads) is no evidence. Flow-insensitive except for
rebindings that hold on every path (`x = f(x)` in the function's body; `if isinstance(x, torch.Tensor): x =
x.cpu().numpy()` for the rest of its block): a name once tainted stays tainted, which can only add uses to
judge, never hide one.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator, Sequence

from ..dataflow.facts import ModuleFacts
from ..dataflow.functions import FunctionFacts
from ..dataflow.names import dotted
from ..dataflow.traverse import STATEMENT_LISTS
from ..vocabulary import (
    CONTAINER_STORE_METHODS,
    GRADIENT_ATTRS,
    GRADIENT_CONSUMER_PREFIXES,
    GRADIENT_CONSUMERS,
    INFERENCE_SINK_ATTRS,
    INFERENCE_SINK_FUNCTIONS,
    INFERENCE_SINK_METHODS,
    INFERENCE_SINK_RECEIVER_METHODS,
    PLAIN_VALUE_BUILTINS,
    TYPE_TEST_BUILTINS,
)

ITERATION_BUILTINS = frozenset({"list", "tuple", "zip", "enumerate", "reversed", "sorted"})  # they hand on their input
# Expressions that compute a new value from the tainted one (it carries the graph on).
_CARRIERS = (
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.Subscript,
    ast.Starred,
    ast.Tuple,
    ast.List,
    ast.Set,
    ast.Dict,
    ast.Slice,
    ast.ListComp,
    ast.SetComp,
    ast.GeneratorExp,
    ast.DictComp,
)


class _Unknown(Exception):
    """A use that is neither a sink nor a carrier we know: no evidence."""


def first_sink(facts: ModuleFacts, fn: FunctionFacts, call: ast.Call) -> ast.AST | None:
    """The first sink (in source order) that the output of `call` reaches, when every use of it ends in
    one; None when some use may keep or hand on its graph, or when nothing reads it."""
    sinks = _sinks_of(facts, fn, [call], 0)
    return min(sinks, key=lambda n: (n.lineno, n.col_offset)) if sinks else None  # type: ignore[attr-defined]  # sinks are expressions


def _sinks_of(facts: ModuleFacts, fn: FunctionFacts, starts: Sequence[ast.AST], depth: int) -> list[ast.AST] | None:
    """The sinks that the values of `starts` reach in `fn`, or None when some use is not a sink. A name is
    followed from where it is bound: a later assignment of it in the function's own body (not under a
    branch or loop) holds a new value, whose loads are followed only if that value is tainted too."""
    own = facts.own_nodes(fn)
    parents = {id(child): node for node in own for child in ast.iter_child_nodes(node)}
    forward_calls = {id(e.node) for e in fn.call_events() if e.model is not None}
    loads: dict[str, list[ast.Name]] = {}
    for node in own:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            loads.setdefault(node.id, []).append(node)
    declared = {name for node in own if isinstance(node, (ast.Global, ast.Nonlocal)) for name in node.names}
    containers = _fresh_containers(fn, own)
    rebound = _rebindings(facts, fn)
    sinks: list[ast.AST] = []
    tainted: set[tuple[str, tuple[int, int]]] = set()
    pending: list[ast.AST] = list(starts)
    try:
        while pending:
            for name, into_container, where in _climb(facts, fn, pending.pop(), parents, forward_calls, sinks, depth):
                if (
                    name in declared
                    or name in _read_by_nested(facts, fn)
                    or (into_container and name not in containers)
                ):
                    raise _Unknown
                epoch = _epoch(rebound.get(name, ()), where)
                if (name, epoch) not in tainted:
                    tainted.add((name, epoch))
                    pending.extend(n for n in loads.get(name, ()) if _epoch(rebound.get(name, ()), _start(n)) == epoch)
    except _Unknown:
        return None
    return sinks


# A rebinding of a name: where its statement ends, and where its scope ends (the end of the statement list it
# is in: a rebinding in a loop body or branch holds only for what follows it there).
Rebinding = tuple[tuple[int, int], tuple[int, int]]
ENTRY = (0, 0)  # the epoch of the value a name has on entry
EVERYWHERE = (sys.maxsize, 0)


def _rebindings(facts: ModuleFacts, fn: FunctionFacts) -> dict[str, list[Rebinding]]:
    """Where a name takes a new value on every path to what follows: an assignment directly in the function's
    body (`x = f(x)`), or a tensor test that converts what it tests (`if isinstance(x, torch.Tensor): x =
    x.cpu().numpy()`: from there on `x` holds the conversion or a value that is not a tensor, neither of which
    carries a graph) in the rest of its statement list."""
    found: dict[str, list[Rebinding]] = {}
    for stmt in getattr(fn.node, "body", ()) if not isinstance(fn.node, ast.Module) else ():
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append((_end(stmt), EVERYWHERE))
    for node in facts.own_nodes(fn):
        for field in STATEMENT_LISTS:
            statements = getattr(node, field, None)
            if not isinstance(statements, list) or not statements or not isinstance(statements[0], ast.stmt):
                continue
            for stmt in statements:
                name = _narrowed(facts, stmt)
                if name is not None:
                    found.setdefault(name, []).append((_end(stmt), _end(statements[-1])))
    return found


def _narrowed(facts: ModuleFacts, stmt: ast.stmt) -> str | None:
    """The name `stmt` converts when it is a tensor (`isinstance(x, torch.Tensor)`, `type(x) is torch.Tensor`,
    `torch.is_tensor(x)`, no `else`) by a last assignment that reads it only through sinks (`x = x.data.numpy()`)."""
    if not isinstance(stmt, ast.If) or stmt.orelse:
        return None
    name = _tensor_tested(facts, stmt.test)
    last = stmt.body[-1]
    if name is None or not isinstance(last, ast.Assign) or [dotted(t) for t in last.targets] != [name]:
        return None
    parents = {id(child): node for node in ast.walk(last.value) for child in ast.iter_child_nodes(node)}
    reads = [n for n in ast.walk(last.value) if isinstance(n, ast.Name)]
    return name if reads and all(n.id == name and _read_through_sink(n, parents) for n in reads) else None


def _tensor_tested(facts: ModuleFacts, test: ast.expr) -> str | None:
    """`x` of `isinstance(x, torch.Tensor)`, `type(x) == torch.Tensor` (or `is`), `torch.is_tensor(x)`."""
    subject: ast.expr | None = None
    if isinstance(test, ast.Call) and len(test.args) in (1, 2) and not test.keywords:
        func = facts.names.qualified(test.func) or dotted(test.func)
        if (func == "isinstance" and len(test.args) == 2 and _is_tensor_class(facts, test.args[1])) or (
            func == "torch.is_tensor" and len(test.args) == 1
        ):
            subject = test.args[0]
    elif (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], (ast.Eq, ast.Is))
        and isinstance(test.left, ast.Call)
        and dotted(test.left.func) == "type"
        and len(test.left.args) == 1
        and _is_tensor_class(facts, test.comparators[0])
    ):
        subject = test.left.args[0]
    return subject.id if isinstance(subject, ast.Name) else None


def _is_tensor_class(facts: ModuleFacts, node: ast.expr) -> bool:
    return facts.names.qualified(node) == "torch.Tensor"


def _epoch(rebindings: Sequence[Rebinding], where: tuple[int, int]) -> tuple[int, int]:
    """Which value a name has at `where`: the end of the last rebinding before it whose scope holds it
    (ENTRY: the value it had on entry)."""
    return max((end for end, scope in rebindings if end <= where <= scope), default=ENTRY)


def _end(node: ast.stmt) -> tuple[int, int]:
    return (node.end_lineno or node.lineno, node.end_col_offset or 0)


def _start(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def _climb(
    facts: ModuleFacts,
    fn: FunctionFacts,
    node: ast.AST,
    parents: dict[int, ast.AST],
    forward_calls: set[int],
    sinks: list[ast.AST],
    depth: int,
) -> Iterator[tuple[str, bool, tuple[int, int]]]:
    """From one tainted expression up to where its value ends: a sink (recorded), a statement that
    binds names (yielded, with where they are bound: they are tainted), or a use we cannot judge
    (raises _Unknown)."""
    while True:
        parent = parents.get(id(node))
        if parent is None:
            raise _Unknown
        if isinstance(parent, ast.Attribute):
            if parent.attr in GRADIENT_ATTRS or parent.attr == "grad":
                raise _Unknown
            if parent.attr in INFERENCE_SINK_ATTRS:
                sinks.append(parent)
                return
            call = parents.get(id(parent))
            if isinstance(call, ast.Call) and call.func is parent:
                if parent.attr in INFERENCE_SINK_METHODS:
                    sinks.append(call)
                    return
                node = call  # `out.softmax(-1)`, `out.cpu()`: a tensor method
                continue
            node = parent  # `out.logits`
            continue
        if isinstance(parent, ast.Call):
            if parent.func is node:
                raise _Unknown  # the output is itself called
            if isinstance(parent.func, ast.Name) and parent.func.id in TYPE_TEST_BUILTINS:
                return  # `isinstance(out, torch.Tensor)`: neither a sink nor a way on for the graph
            func = parent.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in CONTAINER_STORE_METHODS
                and isinstance(func.value, ast.Name)
                and facts.names.qualified(func) is None
            ):
                yield func.value.id, True, _start(parent)  # `outputs.append(y)`
                return
            if (
                _is_sink_call(facts, parent)
                or _mapped_into_sinks(parent, node)
                or _callee_sinks(facts, fn, parent, node, depth)
            ):
                sinks.append(parent)
                return
            if (
                id(parent) in forward_calls
                or _carries(facts, parent)
                or _callee_hands_back(facts, fn, parent, node, depth)
            ):
                node = parent
                continue
            raise _Unknown
        if isinstance(parent, ast.keyword):
            node = parent
            continue
        if isinstance(parent, ast.FormattedValue):
            sinks.append(parent)  # formatted into a string
            return
        if isinstance(parent, ast.Subscript) and parent.slice is node:
            sinks.append(parent)  # an index holds no graph: autograd tracks no integer or bool tensor
            return
        if isinstance(parent, ast.Subscript) and not isinstance(parent.ctx, ast.Load):
            return  # a container stored into keeps its graph where it is; its other uses are followed
        if isinstance(parent, _CARRIERS):
            node = parent
            continue
        if isinstance(parent, ast.comprehension):
            if parent.iter is node:
                yield from ((name, into, _start(parent.target)) for name, into in _bound(parent.target))
            return  # a condition of the comprehension
        # a loop binds its target before each pass through its body; any other statement once it ends
        bound = (
            _start(parent.target)
            if isinstance(parent, (ast.For, ast.AsyncFor))
            else _end(parent)
            if isinstance(parent, ast.stmt)
            else _start(parent)
        )
        yield from ((name, into, bound) for name, into in _statement(parent, node))
        return


def _mapped_into_sinks(call: ast.Call, node: ast.AST) -> bool:
    """`map(lambda x: x.detach() / 2, outputs)`: each element goes into a lambda that reads it only through
    a sink, so the mapped values carry no graph."""
    if not (
        isinstance(call.func, ast.Name)
        and call.func.id == "map"
        and len(call.args) == 2
        and call.args[1] is node
        and isinstance(call.args[0], ast.Lambda)
    ):
        return False
    function = call.args[0]
    params = {a.arg for a in function.args.args}
    if len(params) != 1 or function.args.vararg or function.args.kwarg:
        return False
    parents = {id(child): n for n in ast.walk(function.body) for child in ast.iter_child_nodes(n)}
    uses = [n for n in ast.walk(function.body) if isinstance(n, ast.Name) and n.id in params]
    return bool(uses) and all(_read_through_sink(use, parents) for use in uses)


def _read_through_sink(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    """`x.detach()`, `x.data`, `x.cpu().numpy()`: `node` is read through tensor methods ending in a sink."""
    while isinstance(parent := parents.get(id(node)), ast.Attribute) and parent.value is node:
        if parent.attr in INFERENCE_SINK_ATTRS:
            return True
        call = parents.get(id(parent))
        if not (isinstance(call, ast.Call) and call.func is parent):
            return False
        if parent.attr in INFERENCE_SINK_METHODS:
            return True
        node = call
    return False


MAX_CALLEE_DEPTH = 2  # functions followed into, one from the other, for "its parameter only feeds sinks"


def _callee_sinks(facts: ModuleFacts, fn: FunctionFacts, call: ast.Call, node: ast.AST, depth: int) -> bool:
    """`self.create_grid(out, files)`: a function of this file whose parameter for `node` only feeds
    inference sinks (it detaches, saves or prints what it is given)."""
    found = _parameter_reads(facts, fn, call, node, depth)
    return found is not None and bool(found[1]) and bool(_sinks_of(facts, found[0], found[1], depth + 1))


def _callee_hands_back(facts: ModuleFacts, fn: FunctionFacts, call: ast.Call, node: ast.AST, depth: int) -> bool:
    """`self.decode(self(**batch))` with a `decode` of this file that returns what it is given, at most read
    through sinks on the way (`return output_dict`): the call's value carries the graph on, and is followed."""
    found = _parameter_reads(facts, fn, call, node, depth)
    if found is None:
        return False
    callee, reads = found
    own = facts.own_nodes(callee)
    returned = {id(n.value) for n in own if isinstance(n, ast.Return) and n.value is not None}
    others = [n for n in reads if id(n) not in returned]
    return len(others) < len(reads) and _sinks_of(facts, callee, others, depth + 1) is not None


def _parameter_reads(
    facts: ModuleFacts, fn: FunctionFacts, call: ast.Call, node: ast.AST, depth: int
) -> tuple[FunctionFacts, list[ast.AST]] | None:
    """The function of this file that `call` calls, and the reads of the value its parameter for `node` has on
    entry; None when it cannot be followed (too deep, not ours, read by nested code or declared global)."""
    if depth >= MAX_CALLEE_DEPTH:
        return None
    callee = facts.resolve_call(call, fn)
    if not isinstance(callee, FunctionFacts) or callee is fn or callee.escapes or isinstance(callee.node, ast.Module):
        return None
    param = _parameter_for(callee, call, node)
    if param is None:
        return None
    own = facts.own_nodes(callee)
    if param in _read_by_nested(facts, callee) or any(
        isinstance(n, (ast.Global, ast.Nonlocal)) and param in n.names for n in own
    ):
        return None
    ends = _rebindings(facts, callee).get(param, ())
    return callee, [
        n
        for n in own
        if isinstance(n, ast.Name)
        and n.id == param
        and isinstance(n.ctx, ast.Load)
        and _epoch(ends, _start(n)) == ENTRY
    ]


def _parameter_for(callee: FunctionFacts, call: ast.Call, node: ast.AST) -> str | None:
    """The callee's parameter that receives `node` (a positional or keyword argument of `call`)."""
    static = any(dotted(d) == "staticmethod" for d in getattr(callee.node, "decorator_list", ()))
    params = (
        callee.params[1:] if callee.is_method and not static and isinstance(call.func, ast.Attribute) else callee.params
    )
    for index, argument in enumerate(call.args):
        if argument is node:
            return (
                params[index]
                if index < len(params) and not any(isinstance(a, ast.Starred) for a in call.args[:index])
                else None
            )
    for keyword in call.keywords:
        if keyword.value is node:
            return keyword.arg if keyword.arg in params else None
    return None


def _statement(stmt: ast.AST, node: ast.AST) -> Iterator[tuple[str, bool]]:
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and stmt.value is node:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            yield from _stored(target)
    elif isinstance(stmt, (ast.For, ast.AsyncFor)) and stmt.iter is node:
        yield from _bound(stmt.target)
    elif isinstance(stmt, ast.withitem) and stmt.context_expr is node:
        if stmt.optional_vars is not None:
            yield from _bound(stmt.optional_vars)
    elif isinstance(stmt, (ast.Expr, ast.If, ast.While, ast.Assert)):
        return  # thrown away, or a condition
    else:
        raise _Unknown  # returned, yielded, deleted, raised ...


def _stored(target: ast.expr) -> Iterator[tuple[str, bool]]:
    """Names a stored value taints, each with whether the value went into a container: bound names,
    and local containers (`outs[k] = y`); never an attribute (`self.cache = y` keeps the graph beyond
    the function)."""
    if isinstance(target, ast.Subscript):
        root = target.value
        while isinstance(root, ast.Subscript):
            root = root.value
        if isinstance(root, ast.Name):
            yield root.id, True
            return
        raise _Unknown
    if isinstance(target, ast.Attribute):
        raise _Unknown
    yield from _bound(target)


def _bound(target: ast.expr) -> Iterator[tuple[str, bool]]:
    if isinstance(target, ast.Name):
        yield target.id, False
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _bound(element)
    elif isinstance(target, ast.Starred):
        yield from _bound(target.value)
    else:
        yield from _stored(target)


def _fresh_containers(fn: FunctionFacts, own: list[ast.AST]) -> frozenset[str]:
    """Local names bound only to new empty or literal containers (`outs = []`, `scores = {}`): a value
    stored in one stays in it, while one stored in anything else (a loop variable, a parameter, a
    value from a call) may be shared with what the function returns or keeps."""
    simple = {
        id(n.targets[0]): n
        for n in own
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
    }
    literal: set[str] = set()
    other: set[str] = set()
    for node in own:
        if not (isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del))):
            continue
        assign = simple.get(id(node))
        value = assign.value if assign is not None else None
        fresh = isinstance(value, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)) or (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id in ("list", "dict", "set")
            and not value.args
            and not value.keywords
        )
        (literal if fresh else other).add(node.id)
    parameters = (
        {a.arg for a in ast.walk(fn.node.args) if isinstance(a, ast.arg)} if hasattr(fn.node, "args") else set()
    )
    return frozenset(literal - other - parameters)


def _is_sink_call(facts: ModuleFacts, call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name) and func.id in PLAIN_VALUE_BUILTINS:
        return True
    qualified = facts.names.qualified(func) or ""
    if qualified in INFERENCE_SINK_FUNCTIONS or qualified.startswith(("numpy.", "logging.", "matplotlib.")):
        return True
    return (
        not qualified.startswith("torch.")
        and isinstance(func, ast.Attribute)
        and func.attr in INFERENCE_SINK_RECEIVER_METHODS
    )


def _carries(facts: ModuleFacts, call: ast.Call) -> bool:
    """A torch function of the tainted value (`torch.cat`, `F.softmax`), or a container's method that
    stores it (`outs.append(y)`: the container is tainted through the statement that names it)."""
    qualified = facts.names.qualified(call.func) or ""
    if qualified in GRADIENT_CONSUMERS or qualified.startswith(GRADIENT_CONSUMER_PREFIXES):
        return False
    return qualified.startswith("torch.") or (isinstance(call.func, ast.Name) and call.func.id in ITERATION_BUILTINS)


def _read_by_nested(facts: ModuleFacts, fn: FunctionFacts) -> frozenset[str]:
    """Names read inside functions, lambdas and classes nested in `fn` (a closure may use the graph)."""
    key = ("names read by nested code", id(fn))
    found = facts.answers.get(key)
    if found is None:
        own = {id(n) for n in facts.own_nodes(fn)}
        found = facts.answers[key] = frozenset(
            n.id
            for n in ast.walk(fn.node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in own
        )
    return found
