"""The walk of one function's control flow, carrying grad mode and training modes.

Structured abstract interpretation over the `ast`: branches join, loops iterate their
back edge to a fixed point, `break`/`continue`/`return`/`raise` end their path, `with`
blocks that set grad mode restore it on exit (TORCH-FACTS 10c, 10f). Calls apply their
effects: `set_grad_enabled`, `eval()`/`train()`, `load_state_dict()`, and the summaries
of functions of the analysed code. Nested functions and lambdas are walked on their own.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable

from ..vocabulary import (
    EVALUATION_DATA,
    MODE_KEEPING_FUNCTIONS,
    PICKLE_LOADERS,
    SAME_MODEL_FUNCTIONS,
    WEIGHT_LOADER_NAME,
    WEIGHT_LOADING_FUNCTIONS,
    WEIGHT_LOADING_METHODS,
)
from .aliases import mirrored
from .elements import element_loop, none_branch
from .events import CallEvent, LoopFacts, Region, SuspendEvent
from .models import element_of, model_key
from .names import dotted
from .specialize import branch_taken
from .state import Grad, Mode, Possible, Setting, State, join_all, only
from .traverse import children, descendants

if TYPE_CHECKING:
    from .facts import ModuleFacts
    from .functions import FunctionFacts

MAX_LOOP_ROUNDS = 4
# Calls that read a model but never change its mode: handing a model to them keeps what we know.
MODE_NEUTRAL_CALLS = frozenset(
    {
        "print",
        "len",
        "isinstance",
        "type",
        "id",
        "repr",
        "str",
        "hasattr",
        "getattr",
        "sum",
        "list",
        "next",
        "iter",
        "enumerate",
        "zip",
        "vars",
        "dir",
        "format",
    }
)
BOOL_LITERALS = {True: Grad.ENABLED, False: Grad.DISABLED}
RECEIVER_MODE_METHODS = frozenset({"eval", "train"}) | WEIGHT_LOADING_METHODS  # calls that set their receiver's mode


EFFECTS = frozenset({ast.Call, ast.Yield, ast.YieldFrom, ast.Await, ast.NamedExpr})
LEAVES = (ast.Name, ast.Constant, ast.Lambda)  # nothing in them runs now
OPERATIONS = (ast.Call, ast.BinOp, ast.UnaryOp)  # a value computed rather than read (see _computes)


class LoopContext:
    def __init__(self) -> None:
        self.breaks: list[State] = []
        self.continues: list[State] = []


class Walker:
    def __init__(
        self, module: ModuleFacts, fn: FunctionFacts, record: dict[int, CallEvent], probing: bool = False
    ) -> None:
        self.module = module
        self.fn = fn
        self.calls = record
        self.probing = probing
        self.loops: list[LoopContext] = []
        self.regions: tuple[Region, ...] = fn.entry_regions
        self.loop_val: ast.For | ast.AsyncFor | None = None
        self.grad_cm_vars: dict[str, Possible] = {}
        self.finally_blocks: list[list[ast.stmt]] = []  # enclosing `finally:` bodies, innermost last
        # grad mode in force before each enclosing grad-mode `with`, with the loop depth it sits at:
        # a `return`, `break` or `continue` leaves the block and its __exit__ restores that mode
        self.with_entries: list[tuple[int, Possible]] = []
        self.constants: dict[str, object] = {}  # parameters known to hold these values (specialize.py)
        self.last_back: State | None = None  # the back edge of the loop walked last

    # ---- statements -------------------------------------------------------------------------
    def block(self, body: list[ast.stmt], state: State | None) -> State | None:
        for stmt in body:
            if state is None:
                return None
            if not self.probing:
                self.fn.grad_before[id(stmt)] = state.grad
            handler = STATEMENTS.get(type(stmt))
            if handler is not None:  # def, class, import, pass, global: nothing runs there that we track
                state = handler(self, stmt, state)
        return state

    def expression_statement(self, node: ast.Expr, state: State) -> State:
        return self.expr(node.value, state)

    def if_block(self, node: ast.If, state: State) -> State | None:
        state = self.expr(node.test, state)
        taken = branch_taken(node.test, self.constants) if self.constants else None
        if taken is not None:  # a walk for the constants a call passes (specialize.py)
            return self.block(node.body if taken else node.orelse, state)
        body, orelse = state, state
        none = none_branch(node.test)
        if none is not None and none[0] in self.fn.model_keys:  # `if m is None: continue`: no model there
            if none[1]:
                body = state.with_mode(none[0], frozenset())
            else:
                orelse = state.with_mode(none[0], frozenset())
        return join_all([self.block(node.body, body), self.block(node.orelse, orelse)])

    def for_loop(self, node: ast.For | ast.AsyncFor, state: State) -> State | None:
        state = self.expr(node.iter, state)
        evaluation_data = any(EVALUATION_DATA.search(name) for name in _identifiers(node.iter))
        after = self.loop(node, state, val=node if evaluation_data else None)
        element = element_loop(node)
        if element is not None and after is not None and element[0] in self.fn.model_keys:
            after = self.switch_every_element(node, *element, after)
        return after

    def switch_every_element(self, node: ast.For | ast.AsyncFor, element: str, container: str, after: State) -> State:
        """`for m in models: m.eval()`: when every path through the body set the element's mode, every
        model of the container is in that mode after the loop (not when some are skipped:
        `if isinstance(m, nn.BatchNorm2d): m.eval()`)."""
        mode = self.last_back.mode(element) if self.last_back is not None else frozenset()
        inside = _node_ids(node)
        if not mode or any(s.origin is None or id(s.origin) not in inside for s in mode):
            return after
        changes = {
            key: mode
            for key in {*after.modes, *self.fn.model_keys}
            if key.startswith(container + ".") or element_of(key, container)
        }
        changes[container] = mode
        return after.with_modes(changes)

    def while_loop(self, node: ast.While, state: State) -> State | None:
        state = self.expr(node.test, state)
        return self.loop(node, state, val=None)

    def return_statement(self, node: ast.Return, state: State) -> None:
        if node.value is not None:
            state = self.expr(node.value, state)
        exit_state: State | None = self.leave_withs(state, 0)
        pending, self.finally_blocks = self.finally_blocks, []
        for final in reversed(pending):  # a return runs the enclosing `finally:` blocks first
            exit_state = self.block(final, exit_state)
        self.finally_blocks = pending
        if exit_state is not None:
            self.fn.exits.append(exit_state)

    def raise_statement(self, node: ast.Raise, state: State) -> None:
        if node.exc is not None:
            self.expr(node.exc, state)

    def break_statement(self, node: ast.Break, state: State) -> None:
        if self.loops:
            self.loops[-1].breaks.append(self.leave_withs(state, len(self.loops)))

    def continue_statement(self, node: ast.Continue, state: State) -> None:
        if self.loops:
            self.loops[-1].continues.append(self.leave_withs(state, len(self.loops)))

    def match_block(self, node: ast.stmt, state: State) -> State | None:
        state = self.expr(node.subject, state)  # type: ignore[attr-defined]  # ast.Match: Python 3.10, checked as 3.9
        outs = [self.block(case.body, state) for case in node.cases]  # type: ignore[attr-defined]  # the same
        return join_all([*outs, state])

    def expressions_of(self, node: ast.Assert | ast.Delete, state: State) -> State:
        for child in ast.iter_child_nodes(node):
            state = self.expr(child, state) if isinstance(child, ast.expr) else state
        return state

    def assign(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign, state: State) -> State:
        value = node.value
        if value is None:
            return state
        state = self.expr(value, state)
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        # whether the value is computed matters only where gradients may be off (see State.with_def)
        computes = isinstance(node, ast.AugAssign) or (state.grad_may_be_off() and _computes(value))
        grad_cm = self.module.grad_of_context(value, self.grad_cm_vars) if isinstance(value, ast.Call) else None
        for target in targets:
            for name_node in _bound_names(target):
                state = state.with_def(name_node, computes)
            key = dotted(target)
            if key is None:
                continue
            if grad_cm is not None:
                self.grad_cm_vars[key] = grad_cm
            if key in self.fn.model_keys or isinstance(node, ast.AugAssign):
                state = state.with_modes(self.assigned_modes(key, value, node, state))
        return state

    def assigned_modes(self, key: str, value: ast.expr, node: ast.stmt, state: State) -> dict[str, Possible]:
        kinds = self.module.kinds
        if isinstance(value, ast.Call) and kinds.names.qualified(value.func) in PICKLE_LOADERS:
            return {key: frozenset({Setting(Mode.UNKNOWN, value, "loaded")})}  # whatever mode it was saved in
        created = kinds.created_mode(value, self.fn.model_keys)
        if created is not None:
            return {key: frozenset({Setting(created, node, "constructed")})}
        # `model.to(device)`: the call's own effect (`.eval()`) was applied to `inner`; `model = self.model`: one object
        inner = kinds.wrapped_model(value, self.fn.model_keys) or dotted(value)
        if inner is not None and inner in self.fn.model_keys:
            return {key: state.mode(inner)}
        return {key: frozenset({Setting(Mode.UNKNOWN, node, "assigned")})}

    def loop(
        self, node: ast.For | ast.AsyncFor | ast.While, entry: State, val: ast.For | ast.AsyncFor | None
    ) -> State | None:
        """`val` is the loop itself when it iterates evaluation data."""
        outer_val = self.loop_val
        if val is not None:
            self.loop_val = val
        head = entry
        context = LoopContext()
        for _ in range(MAX_LOOP_ROUNDS):
            context = LoopContext()
            self.loops.append(context)
            body_out = self.block(node.body, head)
            self.loops.pop()
            back = join_all([body_out, *context.continues])
            new_head = join_all([entry, back])
            if new_head == head:
                break
            head = new_head  # type: ignore[assignment]  # joined with `entry`: never None
        self.last_back = back
        self.loop_val = outer_val
        if not self.probing:
            self.record_loop(node, back)
        exhausted = self.block(node.orelse, head)
        if isinstance(node, ast.While) and isinstance(node.test, ast.Constant) and node.test.value:
            exhausted = None  # `while True:` ends only by break
        return join_all([exhausted, *context.breaks])

    def record_loop(self, node: ast.For | ast.AsyncFor | ast.While, back: State | None) -> None:
        facts = LoopFacts(node, back)
        if back is not None and any(s.value is Mode.EVAL for mode in back.modes.values() for s in mode):
            inside = _node_ids(node)
            # marked, so that the next iteration tells them from the same switch made again in it
            switched = {
                key: frozenset(
                    replace(s, next_iteration=True) for s in mode if s.value is Mode.EVAL and id(s.origin) in inside
                )
                for key, mode in back.modes.items()
            }
            switched = {key: mode for key, mode in switched.items() if mode}
            if switched:
                probe = Walker(self.module, self.fn, facts.next_iteration, probing=True)
                probe.regions, probe.loop_val = self.regions, self.loop_val
                probe.block(node.body, back.with_modes(switched))
        self.fn.loops[id(node)] = facts

    def with_block(self, node: ast.With | ast.AsyncWith, state: State) -> State | None:
        before = state.grad
        outer_regions = self.regions
        for item in node.items:
            grad = self.module.grad_of_context(item.context_expr, self.grad_cm_vars)
            state = self.expr(item.context_expr, state)
            if grad is not None:
                setting = frozenset(Setting(s.value, node, "with") for s in grad)
                state = state.with_grad(setting)
                self.regions = (*self.regions, Region(node, setting))
            if item.optional_vars is not None:
                for name in _bound_names(item.optional_vars):
                    state = state.with_def(name)
        sets_grad = self.regions is not outer_regions
        if sets_grad:
            self.with_entries.append((len(self.loops), before))
        out = self.block(node.body, state)
        if sets_grad:
            self.with_entries.pop()
        self.regions = outer_regions
        if out is not None and sets_grad:
            out = out.with_grad(before)  # the block's __exit__ restores the mode it entered with
        return out

    def leave_withs(self, state: State, loop_depth: int) -> State:
        """The state after jumping out of the grad-mode `with` blocks entered at `loop_depth` or deeper."""
        for depth, grad in self.with_entries:
            if depth >= loop_depth:
                return state.with_grad(grad)  # the outermost one left restores the mode before it
        return state

    def try_block(self, node: ast.Try, state: State) -> State | None:
        if node.finalbody:
            self.finally_blocks.append(node.finalbody)
        body_out = self.block(node.body, state)
        raised = join_all([state, body_out])  # an exception may leave from anywhere in the body
        handled = [self.block(handler.body, raised) for handler in node.handlers]
        normal = join_all([self.block(node.orelse, body_out), *handled])
        if node.finalbody:
            self.finally_blocks.pop()
            return self.block(node.finalbody, normal if normal is not None else raised)
        return normal

    # ---- expressions ---------------------------------------------------------------------------
    def expr(self, node: ast.expr, state: State) -> State:
        """Apply the calls of an expression in evaluation order (arguments before the call)."""
        for current in self.module.effects_in(node):
            if isinstance(current, ast.Call):
                state = self.call(current, state)
            elif isinstance(current, ast.NamedExpr):
                state = state.with_def(current.target.id)
            elif not self.probing:
                self.fn.suspends.append(SuspendEvent(current, self.regions))  # type: ignore[arg-type]  # yield or await
        return state

    def call(self, node: ast.Call, state: State) -> State:
        after = self.apply_call(node, state)
        return mirrored(self.fn.aliases, state, after) if self.fn.aliases and after is not state else after

    def apply_call(self, node: ast.Call, state: State) -> State:
        module = self.module
        qualified = module.names.qualified(node.func)
        model = module.forward_model(node, self.fn)
        self.calls[id(node)] = CallEvent(node, state, qualified, self.regions, self.loop_val, model)
        if qualified == "torch.set_grad_enabled":
            # constructing it switches the mode at once, used in a `with` or not (TORCH-FACTS 4)
            value = _bool_argument(node, "mode")
            grad = BOOL_LITERALS.get(value, Grad.UNKNOWN) if isinstance(value, bool) else Grad.UNKNOWN
            return state.with_grad(frozenset({Setting(grad, node, "call")}))
        func = node.func
        callee = module.resolve_call(node, self.fn)
        if (
            isinstance(func, ast.Attribute)
            and func.attr in RECEIVER_MODE_METHODS
            and not module.defined_by_non_module(callee)
        ):
            receiver = model_key(func.value)
            if receiver is None and isinstance(func.value, ast.Call):  # `model.to(device).eval()`
                receiver = module.kinds.wrapped_model(func.value, self.fn.model_keys)
            if receiver is not None:
                switched = _mode_switch(node, func.attr)
                if switched is not None:
                    return state.with_modes(self.switch_modes(receiver, switched, node, state))
                if func.attr in WEIGHT_LOADING_METHODS and receiver in self.fn.model_keys:
                    return _loaded_into(receiver, node, state)
        if callee is not None:
            return module.apply_summary(callee, node, state, self.fn)
        if qualified in WEIGHT_LOADING_FUNCTIONS:  # `load_checkpoint(model, path)` of mmcv: `load_state_dict` inside
            target = _loaded_argument(node)
            if target in self.fn.model_keys:
                return _loaded_into(target, node, state)
        if qualified in SAME_MODEL_FUNCTIONS or qualified in MODE_KEEPING_FUNCTIONS:
            return state  # `DataParallel(model)`, `is_module_wrapper(model)`: the model keeps its mode
        return self.hand_over_models(node, state)

    def switch_modes(self, receiver: str, mode: Mode, node: ast.Call, state: State) -> dict[str, Possible]:
        setting = frozenset({Setting(mode, node, "call")})
        changes = {receiver: setting}
        prefix = receiver + "."
        for key in {*state.modes, *self.fn.model_keys}:  # eval()/train() reach every submodule (TORCH-FACTS 18)
            if key.startswith(prefix) or element_of(key, receiver):
                changes[key] = setting
        return changes

    def hand_over_models(self, node: ast.Call, state: State) -> State:
        """A model handed to code we cannot see may come back in any mode; but a helper that loads
        weights into it (`resume_from_ckpt(path, model)`) leaves eval mode on, like `load_state_dict`."""
        model_keys = self.fn.model_keys
        if not model_keys or (isinstance(node.func, ast.Name) and node.func.id in MODE_NEUTRAL_CALLS):
            return state
        if self.module.leaves_mode(node):
            return state
        changes = {}
        loader = WEIGHT_LOADER_NAME.search((dotted(node.func) or "").rsplit(".", 1)[-1])
        for key in _models_handed(node, model_keys):
            if not (loader and only(state.mode(key), Mode.EVAL)):
                changes[key] = frozenset({Setting(Mode.UNKNOWN, node, "passed")})
        return state.with_modes(changes)


# the state after a statement, None when no path goes on after it
STATEMENTS: dict[type, Callable[[Walker, Any, State], State | None]] = {
    ast.Expr: Walker.expression_statement,
    ast.Assign: Walker.assign,
    ast.AnnAssign: Walker.assign,
    ast.AugAssign: Walker.assign,
    ast.If: Walker.if_block,
    ast.For: Walker.for_loop,
    ast.AsyncFor: Walker.for_loop,
    ast.While: Walker.while_loop,
    ast.With: Walker.with_block,
    ast.AsyncWith: Walker.with_block,
    ast.Return: Walker.return_statement,
    ast.Raise: Walker.raise_statement,
    ast.Break: Walker.break_statement,
    ast.Continue: Walker.continue_statement,
    ast.Try: Walker.try_block,
    ast.Assert: Walker.expressions_of,
    ast.Delete: Walker.expressions_of,
}
STATEMENTS.update(
    {
        getattr(ast, name): handler
        for name, handler in (("Match", Walker.match_block), ("TryStar", Walker.try_block))
        if hasattr(ast, name)
    }
)  # Python 3.10, 3.11


def effects_in(node: ast.expr) -> list[ast.AST]:
    """The calls, yields, awaits and walrus bindings of an expression, arguments before their call.
    Lambda bodies are left out: they run later, walked as functions of their own."""
    # each node before its children and the last child first: reversed, children left to right before their parent
    found = [current for current in descendants([node], LEAVES) if current.__class__ in EFFECTS]
    found.reverse()
    return found


def _loaded_into(model: str, load: ast.Call, state: State) -> State:
    """Weights loaded into `model` by `load`: its mode stays what it was. A mode that code we cannot see may
    have set stays its own: the load did not leave it unset."""
    loaded = frozenset(s if s.via == "passed" else Setting(s.value, load, "loaded") for s in state.mode(model))
    return state.with_mode(model, loaded)


def _loaded_argument(call: ast.Call) -> str | None:
    """The model a weight-loading function loads into: its first argument, or `model=`/`module=`."""
    given = call.args[:1] or [k.value for k in call.keywords if k.arg in ("model", "module")]
    return dotted(given[0]) if given else None


def _models_handed(node: ast.Call, model_keys: set[str]) -> list[str]:
    """The models a call hands over: its arguments."""
    return [key for key in map(dotted, [*node.args, *(k.value for k in node.keywords)]) if key in model_keys]


def _mode_switch(node: ast.Call, attr: str) -> Mode | None:
    if attr == "eval" and not node.args and not node.keywords:
        return Mode.EVAL
    if attr == "train" and len(node.args) + len(node.keywords) <= 1:
        value = _bool_argument(node, "mode", default=True)
        if value is True:
            return Mode.TRAIN
        if value is False:
            return Mode.EVAL
        return Mode.UNKNOWN
    return None


def _bool_argument(node: ast.Call, keyword: str, default: object = None) -> object:
    args = [*node.args, *(k.value for k in node.keywords if k.arg == keyword)]
    if not args:
        return default
    value = args[0]
    return value.value if isinstance(value, ast.Constant) and isinstance(value.value, bool) else None


def _computes(value: ast.expr) -> bool:
    """The value is the result of an operation (recorded by autograd or not), not a mere read
    such as `[p.grad for p in params]`, which keeps whatever graph the tensors had."""
    stack: list[ast.AST] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, OPERATIONS):
            return True
        stack.extend(children(node))
    return False


def _bound_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _bound_names(element)]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    return []


def _identifiers(node: ast.AST) -> list[str]:
    return [
        n.id if isinstance(n, ast.Name) else n.attr
        for n in descendants([node], ())
        if isinstance(n, (ast.Name, ast.Attribute))
    ]


def _node_ids(node: ast.AST) -> set[int]:
    return {id(n) for n in ast.walk(node)}
