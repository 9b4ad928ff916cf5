"""Does a value computed from a forward pass reach a gradient consumer (SPEC "Gradients needed")?

`needs_gradients` (intent.py) finds a backpropagation after the forward pass or in a loop around it; that
alone makes a test batch scored inside a training loop training code. This module asks the narrower question
for that backpropagation: may anything computed from this forward pass's output reach `backward()`,
`torch.autograd.grad(...)`, a `.grad` read or `retain_grad()` of it? The output is followed flow-sensitively
through the function (a name rebound to something else no longer holds it; branches join, loops run to a fixed
point): assignments, augmented assignments, unpacking, arithmetic, calls (their result carries what they are
given, and a method may keep its argument in its receiver: `losses.append(loss)`), containers and attributes of
local objects. Values, not graphs: `.detach()`, `.item()`, `.argmax()` hand on what they read (a pseudo-label
or a target network's output feeds the loss as a constant, and that forward pass is part of training); only a
tensor's metadata (`out.shape`), a length and printing do not. Wherever the value escapes beyond what we can
follow, it may reach: a return or a yield, a store on `self`, a parameter or a global, a method of an object
that is not local, a callable parameter, a nested function or lambda that reads it, a consumer we cannot judge
(an optimizer step with no backward of this function to explain it). Only "provably never" makes the forward
pass evaluation code there.

The same walk answers the converse for evidence of evaluation: may a forward pass run on a batch computed from
evaluation data (`x = next(iter(test_loader))`, `sample_random_batch(test_dset)`)?
"""

from __future__ import annotations

import ast
from collections.abc import Collection
from typing import Optional

from ..dataflow.events import is_parameter_update, is_training_step
from ..dataflow.facts import ModuleFacts
from ..dataflow.functions import FunctionFacts
from ..vocabulary import (
    BACKWARD_METHODS,
    EVALUATION_DATA,
    GRADIENT_ATTRS,
    INFERENCE_SINK_ATTRS,
    INFERENCE_SINK_FUNCTIONS,
    PLAIN_VALUE_BUILTINS,
    TYPE_TEST_BUILTINS,
)

# Builtins that neither keep their arguments nor call back into the analysed code.
PURE_BUILTINS = (
    PLAIN_VALUE_BUILTINS
    | TYPE_TEST_BUILTINS
    | {
        "list",
        "tuple",
        "dict",
        "set",
        "zip",
        "enumerate",
        "reversed",
        "sorted",
        "sum",
        "min",
        "max",
        "abs",
        "range",
        "iter",
        "next",
        "any",
        "all",
        "map",
    }
)
# Libraries whose functions keep nothing they are given (their results still derive from it).
PLAIN_VALUE_MODULES = ("numpy.", "logging.", "matplotlib.", "math.", "os.", "json.", "time.")
# What carries no value of a tensor on: its metadata (`out.shape`, `out.size(0)`), a length, a type test, print.
METADATA_ATTRS = INFERENCE_SINK_ATTRS - {"data"}
METADATA_METHODS = frozenset({"size", "dim", "numel"})
NO_VALUE_BUILTINS = TYPE_TEST_BUILTINS | {"print", "len"}
BACKPROPAGATING_FUNCTIONS = ("torch.autograd.grad", "torch.autograd.backward")

State = Optional[frozenset[str]]  # names that may hold the value; None: no path gets here


class _MayReach(Exception):
    """The value may reach a consumer, or goes where we cannot follow it."""


def may_reach_gradients(facts: ModuleFacts, fn: FunctionFacts, call: ast.Call, consumers: Collection[ast.AST]) -> bool:
    """Whether a value computed from `call` may reach one of `consumers` (gradient-consuming nodes of `fn`:
    `loss.backward()` calls, `.grad` reads, optimizer steps ...). True whenever we cannot tell."""
    if isinstance(fn.node, ast.Lambda) or not any(is_parameter_update(e) for e in fn.call_events()):
        return True  # only a training loop is narrowed: code that differentiates for its own sake (attacks) is not
    judged = _backpropagations(facts, fn)
    if any(id(c) not in judged for c in consumers) and not judged:
        return True  # an optimizer step or a `.grad` read whose backward runs elsewhere
    flow = _Flow(facts, fn, call, {id(c) for c in consumers})
    try:
        flow.block(list(fn.node.body), frozenset())
        if not flow.seen or flow.ever & _read_by_nested(facts, fn):
            return True
    except _MayReach:
        return True
    return False


def _backpropagations(facts: ModuleFacts, fn: FunctionFacts) -> dict[int, ast.Call]:
    """The calls of `fn` whose gradients start from values we can name: `loss.backward()`,
    `accelerator.backward(loss)`, `torch.autograd.grad(outputs, inputs)`."""
    found: dict[int, ast.Call] = {}
    for node in facts.own_nodes(fn):
        if not isinstance(node, ast.Call):
            continue
        if (isinstance(node.func, ast.Attribute) and node.func.attr in BACKWARD_METHODS) or (
            facts.names.qualified(node.func) in BACKPROPAGATING_FUNCTIONS
        ):
            found[id(node)] = node
    return found


class _Flow:
    """One walk of a function's statements carrying the names that may hold the forward pass's value."""

    def __init__(self, facts: ModuleFacts, fn: FunctionFacts, call: ast.Call, consumers: set[int]) -> None:
        self.facts = facts
        self.call = call
        self.consumers = consumers
        self.backprops = _backpropagations(facts, fn)
        self.forwards = {id(e.node) for e in fn.call_events() if e.model is not None}
        self.steps = {id(e.node) for e in fn.call_events() if is_training_step(e)}
        own = facts.own_nodes(fn)
        self.shared = {name for n in own if isinstance(n, (ast.Global, ast.Nonlocal)) for name in n.names}
        self.params = set(fn.params) if not isinstance(fn.node, ast.Module) else set()
        self.locals = {
            n.id for n in own if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))
        } - self.shared
        self.objects = {  # local names bound to a value of an assignment: a callable object may keep what it is given
            t.id for n in own if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)
        }
        self.loops: list[tuple[list[State], list[State]]] = []  # (breaks, continues) of enclosing loops
        self.seen = False
        self.ever: frozenset[str] = frozenset()

    # ---- what the walk looks for: overridden by `_Drawn` ------------------------------------------
    def source(self, node: ast.expr) -> bool:
        if node is self.call:
            self.seen = True
            return True
        return False

    def forward_pass(self, call: ast.Call, receiver: bool, arguments: bool) -> None:
        """A forward pass of `fn` runs; its model (`receiver`) or its `arguments` may hold what is followed."""

    def spreads(self) -> bool:
        """Whether a call may put what it is given into its receiver or its other arguments
        (`losses.append(loss)`, `collect(out, into=batch)`): true for "may reach", where keeping too much is safe."""
        return True

    def element_held(self, iterable_held: bool) -> bool:
        """Whether a loop's target may hold the value when what it iterates may."""
        return iterable_held

    def escape(self) -> None:
        raise _MayReach

    def reached(self) -> None:
        raise _MayReach

    # ---- statements -------------------------------------------------------------------------------
    def block(self, statements: list[ast.stmt], state: State) -> State:
        for stmt in statements:
            if state is None:
                return None
            state = self.stmt(stmt, state)
            if state is not None:
                self.ever |= state
        return state

    def stmt(self, stmt: ast.stmt, state: frozenset[str]) -> State:
        names = set(state)
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            if stmt.value is None:
                return state
            held = self.expr(stmt.value, names)
            for target in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
                self.bind(target, held, names)
            return frozenset(names)
        if isinstance(stmt, ast.AugAssign):
            held = self.expr(stmt.value, names)
            if isinstance(stmt.target, ast.Name):
                held = held or stmt.target.id in names
            self.bind(stmt.target, held, names, weak=True)
            return frozenset(names)
        if isinstance(stmt, (ast.Expr, ast.Assert)):
            self.expr(stmt.value if isinstance(stmt, ast.Expr) else stmt.test, names)
            return frozenset(names)
        if isinstance(stmt, ast.Return):
            if stmt.value is not None and self.expr(stmt.value, names):
                self.escape()  # the caller may backpropagate it (`result_trains` asks only our callers)
            return None
        if isinstance(stmt, ast.Raise):
            if stmt.exc is not None:
                self.expr(stmt.exc, names)
            return None
        if isinstance(stmt, (ast.Break, ast.Continue)):
            if self.loops:
                self.loops[-1][0 if isinstance(stmt, ast.Break) else 1].append(state)
            return None
        if isinstance(stmt, ast.If):
            self.expr(stmt.test, names)
            entry = frozenset(names)
            return _join(self.block(stmt.body, entry), self.block(stmt.orelse, entry))
        if isinstance(stmt, (ast.For, ast.AsyncFor)):
            held = self.element_held(self.expr(stmt.iter, names))
            return self.loop(stmt, frozenset(names), target=(stmt.target, held))
        if isinstance(stmt, ast.While):
            return self.loop(stmt, state, target=None)
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                held = self.expr(item.context_expr, names)
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, held, names)
            return self.block(stmt.body, frozenset(names))
        if type(stmt).__name__ in ("Try", "TryStar"):
            return self.try_block(stmt, state)  # type: ignore[arg-type]  # ast.TryStar (3.11): Try's fields
        if type(stmt).__name__ == "Match":  # Python 3.10; checked as 3.9
            self.expr(stmt.subject, names)  # type: ignore[attr-defined]  # ast.Match
            entry = frozenset(names)
            return _join(entry, *(self.block(case.body, entry) for case in stmt.cases))  # type: ignore[attr-defined]  # ast.Match
        if isinstance(stmt, ast.Delete):
            return frozenset(names - {t.id for t in stmt.targets if isinstance(t, ast.Name)})
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            bound = {(alias.asname or alias.name).split(".")[0] for alias in stmt.names}
            return frozenset(names - bound)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return frozenset(names - {stmt.name})  # what nested code reads is checked once, at the end
        return state  # pass, global, nonlocal, type aliases

    def try_block(self, stmt: ast.Try, state: frozenset[str]) -> State:
        """Handlers may start anywhere in the body: with anything the walk has held so far."""
        body = self.block(stmt.body, state)
        caught = (_join(state, body) or frozenset()) | self.ever
        done = _join(self.block(stmt.orelse, body), *(self.block(h.body, caught) for h in stmt.handlers))
        if not stmt.finalbody:
            return done
        return self.block(stmt.finalbody, _join(done, state, body) or frozenset())

    def loop(
        self, stmt: ast.For | ast.AsyncFor | ast.While, state: frozenset[str], target: tuple[ast.expr, bool] | None
    ) -> State:
        """Run the body until what reaches the loop's head stops growing (a value of one pass reaches the next)."""
        head = state
        while True:
            names = set(head)
            if isinstance(stmt, ast.While):
                self.expr(stmt.test, names)
            elif target is not None:
                self.bind(target[0], target[1], names)
            self.loops.append(([], []))
            end = self.block(stmt.body, frozenset(names))
            breaks, continues = self.loops.pop()
            grown = _join(head, end, *continues) or head
            if grown == head:
                return _join(self.block(stmt.orelse, head), *breaks)
            head = grown

    def bind(self, target: ast.expr, held: bool, names: set[str], weak: bool = False) -> None:
        if isinstance(target, ast.Name):
            if held and target.id in self.shared:
                self.escape()  # a global: other functions may read it
            if held:
                names.add(target.id)
            elif not weak:
                names.discard(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self.bind(element, held, names, weak)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, held, names, weak)
        elif isinstance(target, (ast.Attribute, ast.Subscript)):
            if isinstance(target, ast.Subscript):
                self.expr(target.slice, names)
            if held:
                self.keep_in(target.value, names)

    def keep_in(self, holder: ast.expr, names: set[str]) -> None:
        """`holder` now may hold the value: a local object or container, else it escapes."""
        root = holder
        while isinstance(root, (ast.Attribute, ast.Subscript)):
            root = root.value
        name = self.local(root)
        if name is None:
            self.escape()  # `self.out = ...`, a parameter's or a global's attribute or element
        else:
            names.add(name)

    def local(self, node: ast.expr) -> str | None:
        """The name of a local variable (not a parameter, `self` or a global), else None."""
        if isinstance(node, ast.Name) and node.id in self.locals and node.id not in self.params | {"self", "cls"}:
            return node.id
        return None

    # ---- expressions ------------------------------------------------------------------------------
    def expr(self, node: ast.expr, names: set[str]) -> bool:
        """Whether `node`'s value may carry the forward pass's value; calls it makes may widen `names`."""
        if self.source(node):
            if isinstance(node, ast.Call):
                self.call_effects(node, names)
            return True
        if isinstance(node, ast.Name):
            return node.id in names
        if isinstance(node, ast.Constant):
            return False
        if isinstance(node, ast.Attribute):
            held = self.expr(node.value, names)
            if held and node.attr == "grad":
                self.reached()  # `out.grad`: its gradient is wanted
            return held and node.attr not in METADATA_ATTRS
        if isinstance(node, ast.Call):
            return self.call_effects(node, names)
        if isinstance(node, (ast.Lambda, ast.FunctionDef)):
            return False  # what it reads is checked once, at the end
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            if node.value is not None and self.expr(node.value, names):
                self.escape()
            return False
        if isinstance(node, ast.NamedExpr):
            held = self.expr(node.value, names)
            self.bind(node.target, held, names)
            return held
        if isinstance(node, ast.Subscript):
            self.expr(node.slice, names)  # an index holds no graph
            return self.expr(node.value, names)
        if isinstance(node, ast.JoinedStr):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.expr(child, names)
            return False  # a message
        held = False
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                held = self.expr(child, names) or held
            elif isinstance(child, ast.comprehension):
                held = self.expr(child.iter, names) or held
                for condition in child.ifs:
                    self.expr(condition, names)
            elif isinstance(child, ast.keyword):
                held = self.expr(child.value, names) or held
        return held

    def call_effects(self, call: ast.Call, names: set[str]) -> bool:
        """The value of a call, and what it may keep: a method's receiver may keep its arguments."""
        func = call.func
        receiver = self.expr(func.value, names) if isinstance(func, ast.Attribute) else False
        if not isinstance(func, ast.Attribute):
            receiver = self.expr(func, names)
        given = [self.expr(a, names) for a in call.args] + [self.expr(k.value, names) for k in call.keywords]
        if id(call) in self.backprops and id(call) in self.consumers and (receiver or any(given)):
            self.reached()  # `loss.backward()` on a value computed from the forward pass
        if isinstance(func, ast.Attribute) and receiver and func.attr in GRADIENT_ATTRS:
            self.reached()  # `out.retain_grad()`, `out.register_hook(...)`: its gradient is wanted
        if id(call) in self.forwards:
            self.forward_pass(call, receiver, any(given))
            return receiver or any(given) or call is self.call
        if isinstance(func, ast.Attribute) and func.attr in METADATA_METHODS:
            return False
        if not any(given):
            return receiver
        if not self.spreads():
            return True
        qualified = self.facts.names.qualified(func) or ""
        if qualified in INFERENCE_SINK_FUNCTIONS:
            return False  # saved or drawn
        if qualified.startswith(PLAIN_VALUE_MODULES):
            return True  # `np.mean(scores)`: a reward computed from it may still scale a loss
        if isinstance(func, ast.Name) and func.id in PURE_BUILTINS and func.id not in self.locals:
            return func.id not in NO_VALUE_BUILTINS  # `sum(losses)`, `float(loss)` hand it on
        if qualified.startswith("torch."):
            for keyword in call.keywords:
                if keyword.arg == "out":
                    self.keep_in(keyword.value, names)
            return True
        if isinstance(func, ast.Attribute) and not qualified:
            self.keep_in(func.value, names)  # `losses.append(loss)`, `meter.update(loss)`
            return True
        if isinstance(func, ast.Name) and func.id in self.objects:
            names.add(func.id)  # a callable object (`metric(out, y)`) may keep what it is given
        elif isinstance(func, ast.Name) and func.id in self.params | self.shared:
            self.escape()  # a callable we know nothing about (one made on the spot, `transform()(x)`, is dropped)
        for argument in [*call.args, *(k.value for k in call.keywords)]:
            name = self.local(argument)
            if name is not None:  # a function may put the value into a container it is given
                names.add(name)
        return True


class _Drawn(_Flow):
    """The same walk, asking the other way: may the forward pass `call` run on evaluation data (a batch drawn
    from `test_loader`, `val_set`)? Nothing escapes here: only what reaches the call's arguments matters."""

    def __init__(self, facts: ModuleFacts, fn: FunctionFacts, call: ast.Call) -> None:
        super().__init__(facts, fn, call, set())
        self.last: ast.expr | None = None  # the evaluation data the walk read last
        self.found: ast.expr | None = None  # what was read last when the call first ran on evaluation data

    def source(self, node: ast.expr) -> bool:
        named = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
        if named is None or EVALUATION_DATA.search(named) is None:
            return False
        self.last = node
        return True

    def forward_pass(self, call: ast.Call, receiver: bool, arguments: bool) -> None:
        if call is self.call and arguments and self.found is None:
            self.found = self.last

    def spreads(self) -> bool:
        return False  # evidence must be certain: only what a call returns carries the batch on

    def element_held(self, iterable_held: bool) -> bool:
        return False  # a loop over evaluation data is the loop rule's to judge (`loop_val`), not a batch drawn

    def escape(self) -> None:
        pass

    def reached(self) -> None:
        pass


def evaluation_input(facts: ModuleFacts, fn: FunctionFacts, call: ast.Call) -> ast.expr | None:
    """The evaluation data (`testdataloader` of `next(enumerate(testdataloader))`) that the arguments of the
    forward pass `call` may be computed from, on some path through `fn`; None when none."""
    if isinstance(fn.node, ast.Lambda) or not any(
        EVALUATION_DATA.search(n.id if isinstance(n, ast.Name) else n.attr) is not None
        for n in facts.own_nodes(fn)
        if isinstance(n, (ast.Name, ast.Attribute))
    ):
        return None
    drawn = _Drawn(facts, fn, call)
    drawn.block(list(fn.node.body), frozenset())
    return drawn.found


def _join(*states: State) -> State:
    reached = [s for s in states if s is not None]
    return frozenset().union(*reached) if reached else None


def _read_by_nested(facts: ModuleFacts, fn: FunctionFacts) -> frozenset[str]:
    """Names that functions, lambdas and classes nested in `fn` (for a module: all of its functions) read
    without binding them: a closure or a global read sees the value whenever it runs."""
    key = ("names nested code reads from outside", id(fn))
    found = facts.answers.get(key)
    if found is None:
        own = {id(n) for n in facts.own_nodes(fn)}
        nested = [
            n
            for n in ast.walk(fn.node)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)) and id(n) in own
        ]
        free: set[str] = set()
        for definition in nested:
            inside = list(ast.walk(definition))
            bound = {n.id for n in inside if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
            bound |= {a.arg for n in inside if isinstance(n, ast.arg) for a in [n]}
            free |= {n.id for n in inside if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - bound
        found = facts.answers[key] = frozenset(free)
    return found
