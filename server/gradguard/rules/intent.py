"""Is a forward pass evaluation code, and on what evidence (SPEC "What is and is not a finding").

Evidence, not names: a forward pass is evaluation when nothing that may use its graph needs
gradients and something positive says inference: weights loaded with no training step in the
function, `eval()` on the path, a loop over evaluation data, outputs that only feed inference sinks
(`sinks.py`), every caller being evaluation code, or (weakest) a name that says so. A caller that
backpropagates through a function's result makes it training code whatever its name. Each piece of
evidence can say itself in a few words and point at its statement, for the message and the related
locations of a finding.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from typing import Callable

from ..dataflow.classindex import consumes_gradients as consumes_gradients_in
from ..dataflow.events import CallEvent, is_training_step
from ..dataflow.facts import ModuleFacts
from ..dataflow.functions import FunctionFacts
from ..dataflow.models import trained_weights_call
from ..dataflow.names import dotted
from ..dataflow.state import Grad, Mode, Setting, first_origin, only
from ..dataflow.walker import MODE_NEUTRAL_CALLS
from ..report import Report
from ..vocabulary import (
    ATTACK_KEYWORD,
    INFERENCE_SINK_METHODS,
    LOADED_MODEL_CONSTRUCTORS,
    NO_GRAD_CALLER_MODEL_BASES,
    SAME_MODEL_METHODS,
    WEIGHT_LOADING_METHODS,
)
from .modelclass import forward_needs_grad, model_class
from .reach import evaluation_input, may_reach_gradients
from .sinks import first_sink

# Test code (pytest files, `tests/`, `testing/` helpers) checks shapes and values: never evaluation code.
TEST_FILE = re.compile(r"(^|[\\/])(test_[^\\/]*|[^\\/]*_test|conftest)\.py$|(^|[\\/])(tests?|testing)[\\/]")
MAX_CALLER_DEPTH = 3  # callers of callers followed for "every caller is evaluation" and "a caller trains"
ITERATION_WRAPPERS = ("enumerate", "tqdm", "iter", "zip")  # they iterate what they are given (zip: its first)


@dataclass(frozen=True)
class Evidence:
    """Why a forward pass is evaluation code: `say(report)` words it for a message, `related` points at it."""

    say: Callable[[Report], str]
    related: tuple[tuple[ast.AST, str], ...] = ()
    from_outputs: bool = False  # only where the output goes says so (sinks): nothing about the model's mode


def needs_gradients(facts: ModuleFacts, fn: FunctionFacts, event: CallEvent) -> bool:
    """Code that may consume this forward pass's graph backpropagates, reads `.grad`, or asks
    autograd for gradients (SPEC "Gradients needed"): code after it in its function, or anywhere
    in a loop around it (the next iteration); or a caller backpropagates through the function's
    result. Training code that ran *before* an evaluation (a notebook, a script) does not count, nor does
    a backpropagation that nothing computed from this forward pass can reach (`reach.py`)."""
    line = event.node.lineno
    loops = [loop.node for loop in fn.loops.values() if loop.node.lineno <= line <= (loop.node.end_lineno or line)]
    if event.loop_val is not None:
        loops = [event.loop_val]  # a validation loop is its own scope
    start = min([line, *(loop.lineno for loop in loops)])

    def after(node: ast.AST) -> bool:
        return getattr(node, "lineno", 0) >= start

    consumers = [node for node in facts.own_nodes(fn) if after(node) and consumes_gradients(facts, node)]
    consumers += [e.node for e in fn.call_events() if after(e.node) and is_training_step(e)]
    return (
        # a test batch scored inside a training loop: that loop's backward() never sees its output
        (bool(consumers) and may_reach_gradients(facts, fn, event.node, consumers))
        or intent_of(facts).result_trains(fn)
        or _forward_needs_gradients(facts, event)
    )


def _forward_needs_gradients(facts: ModuleFacts, event: CallEvent) -> bool:
    """The model's own `forward` needs gradients (it optimises by gradient steps inside), or the call
    asks it to attack its input (`model(x, y, make_adv=True)`): the forward pass does, wherever it runs."""
    if event.model is None:
        return False
    if _asks_for_attack(event.node):
        return True
    built = model_class(facts, event.model, event.state.mode(event.model))
    return built is not None and forward_needs_grad(facts, built)


def _asks_for_attack(call: ast.Call) -> bool:
    """A keyword that names an attack (`make_adv=True`, `attack=pgd`), unless given as False or None."""
    return any(
        keyword.arg is not None
        and ATTACK_KEYWORD.search(keyword.arg) is not None
        and not (isinstance(keyword.value, ast.Constant) and not keyword.value.value)
        for keyword in call.keywords
    )


def consumes_gradients(facts: ModuleFacts, node: ast.AST) -> bool:
    return consumes_gradients_in(node, facts.names)


def evaluation_evidence(
    facts: ModuleFacts, fn: FunctionFacts, event: CallEvent, explicit_eval_counts: bool
) -> Evidence | None:
    """Why this forward pass is evaluation code; None when nothing says it is."""
    return intent_of(facts).evidence(fn, event, explicit_eval_counts)


def intent_of(facts: ModuleFacts) -> Intent:
    found = facts.answers.get(Intent)
    if found is None:
        found = facts.answers[Intent] = Intent(facts)
    return found


class Intent:
    """The answers for one module, each computed once: call sites, which results are backpropagated,
    which functions are evaluation code."""

    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.sites = facts.call_sites()
        self.test_code = bool(TEST_FILE.search(facts.path.replace(os.sep, "/")))
        self.trains_somewhere = any(is_training_step(e) for f in facts.functions for e in f.call_events())
        self._result_trains: dict[int, bool] = {}
        self._caller_evidence: dict[int, Evidence | None] = {}

    # ---- the forward pass -------------------------------------------------------------------------
    def evidence(self, fn: FunctionFacts, event: CallEvent, explicit_eval_counts: bool) -> Evidence | None:
        if self.test_code or self.result_trains(fn) or self._builds_a_model(fn, event):
            return None
        fresh = self._fresh_model(fn, event)
        named = self.name_evidence(fn)
        if named is not None and self._model_api_returns_graph(fn, event):
            named = None
        if named is not None and not (fresh and not self._fresh_model_inference(fn, event)):
            return named
        if event.loop_val is not None:
            loader = _iterable(event.loop_val.iter)
            return Evidence(lambda report: f"loop over `{loader}`", ((event.loop_val, "evaluation loop"),))
        mode = event.state.mode(event.model) if event.model is not None else frozenset()
        if (
            explicit_eval_counts
            and only(mode, Mode.EVAL)
            and all(s.via in ("call", "callee") for s in mode)
            and not self._fresh_model_switched_to_eval(fn, event)
        ):
            first = first_origin(mode)
            origin = first.origin
            model = event.model
            if origin is not None:  # always: a call made it
                # `model.eval()`, or a helper that switched it (`set_mode("eval", [model])`)
                switch = (
                    f"`{model}.eval()`"
                    if first.via == "call" or not isinstance(origin, ast.Call)
                    else f"`{dotted(origin.func)}()`, which switched it to eval mode,"
                )
                return Evidence(
                    lambda report: f"after {switch} at {report.line(origin)}",
                    ((origin, "switched to eval mode here"),),
                )
        loaded = self._loaded_evidence(fn, event)
        if loaded is not None:
            return loaded
        # `x = next(iter(test_loader))` then `model(x)`, in a training loop or not; a forward pass whose output
        # is thrown away only refreshes BatchNorm statistics (on purpose in training mode)
        drawn = None if _result_discarded(fn, event.node, self.facts) else evaluation_input(self.facts, fn, event.node)
        if drawn is not None:
            data = dotted(drawn) or ast.unparse(drawn)
            return Evidence(
                lambda report: f"a batch drawn from `{data}` at {report.line(drawn)}",
                ((drawn, "evaluation data read here"),),
            )
        if not fresh:
            sunk = self._sink_evidence(fn, event)
            if sunk is not None:
                return sunk
        return self.caller_evidence(fn, 0)

    def _sink_evidence(self, fn: FunctionFacts, event: CallEvent) -> Evidence | None:
        """Every use of the output ends in an inference sink (`.detach()`, `.item()`, printing, saving),
        in a function with no training step; a model built here and switched to eval is a smoke check. A
        function passed on as a callback runs in whatever grad mode its caller sets: no evidence."""
        if (
            fn.escapes
            or fn.name in self._methods_passed_as_values()
            or self._called_by_no_grad_library(fn)
            or any(is_training_step(e) for e in fn.call_events())
            or self._fresh_model_switched_to_eval(fn, event)
            or self._handed_to_functions(fn, event.model)
            or self._only_called_by_forward(fn)
        ):
            return None
        sink = first_sink(self.facts, fn, event.node)
        if sink is None:
            return None
        model = event.model
        helper = self.facts.resolve_call(sink, fn) if isinstance(sink, ast.Call) else None
        if isinstance(helper, FunctionFacts):  # `self.create_grid(out, files)`
            name = helper.name
            return Evidence(
                lambda report: (
                    f"the output of `{model}` goes to `{name}()` at {report.line(sink)}, which only "
                    "reads it through inference sinks"
                ),
                ((sink, f"`{name}()` detaches, saves or prints what it is given"),),
                from_outputs=True,
            )
        return Evidence(
            lambda report: f"the output of `{model}` only feeds inference sinks, first at {report.line(sink)}",
            ((sink, "read without its graph here"),),
            from_outputs=True,
        )

    def _only_called_by_forward(self, fn: FunctionFacts) -> bool:
        """Every caller is a module's `forward` (`_calculate_aggregate_mask(..., self.aggregation_classifier)`):
        part of a model's own computation, which trains when the model does; a detached result is its design."""
        sites = self.sites.get(id(fn), [])
        return bool(sites) and all(
            caller.name == "forward" and caller.cls is not None and caller.cls.name in self.facts.module_classes
            for caller, _ in sites
        )

    def _builds_a_model(self, fn: FunctionFacts, event: CallEvent) -> bool:
        """`model = Model(envs).to(device)` with `Model` a parameter annotated `nn.Module` (a class, really):
        a call whose result is itself used as a model builds one; a forward pass returns tensors."""
        for node in self.facts.own_nodes(fn):
            if isinstance(node, ast.Assign) and any(dotted(t) in fn.model_keys for t in node.targets):
                value = node.value
                while (
                    isinstance(value, ast.Call)
                    and value is not event.node
                    and isinstance(value.func, ast.Attribute)
                    and value.func.attr in SAME_MODEL_METHODS
                ):
                    value = value.func.value
                if value is event.node:
                    return True
        return False

    def _loaded_evidence(self, fn: FunctionFacts, event: CallEvent) -> Evidence | None:
        """Weights loaded in this function on every path, and no training step here (SPEC: "no training
        step can run on it before the forward pass"); a result handed back to callers needs one."""
        found = [load_of(setting) for setting in event.state.mode(event.model or "")]
        loads = [load for load in found if load is not None and id(load) in self._own_ids(fn)]
        if not found or len(loads) < len(found):
            loads = self._loaded_then_switched(fn, event)
            if not loads:
                return None
        if any(is_training_step(e) for e in fn.call_events()) or self._handed_on_later(fn, event):
            return None
        if (
            fn is not self.facts.body
            and flows_to(fn, event.node, self.facts) == "return"
            and not self.sites.get(id(fn))
        ):
            return None  # returned to callers we cannot see, who may train on it
        load = min(loads, key=lambda n: (n.lineno, n.col_offset))  # type: ignore[attr-defined]  # calls and assignments
        model = event.model
        return Evidence(
            lambda report: f"`{model}` loaded at {report.line(load)}, no training step after",
            ((load, "weights loaded here"),),
        )

    def _loaded_then_switched(self, fn: FunctionFacts, event: CallEvent) -> list[ast.AST]:
        """`model.load_state_dict(...)`, then `model.train()`, then `out = model(x)`: the weights loaded
        earlier in this function still say inference when the mode settings are this function's own
        `train()` calls. A forward pass whose result is thrown away (`model(x)` under `no_grad` after
        `train()`) refreshes BatchNorm statistics, which needs training mode: not inference."""
        mode = event.state.mode(event.model or "")
        line = event.node.lineno
        if (
            not mode
            or any(s.via != "call" or s.value is not Mode.TRAIN or id(s.origin) not in self._own_ids(fn) for s in mode)
            or _result_discarded(fn, event.node, self.facts)
        ):
            return []
        return [
            e.node
            for e in fn.call_events()
            if e.node.lineno < line
            and isinstance(e.node.func, ast.Attribute)
            and e.node.func.attr in WEIGHT_LOADING_METHODS
            and dotted(e.node.func.value) == event.model
        ]

    def _model_api_returns_graph(self, fn: FunctionFacts, event: CallEvent) -> bool:
        """A model class's own method (`predict_contacts()`) handing a graph back to its callers: library
        API that callers may train through, whatever its name says."""
        return (
            fn.cls is not None
            and fn.cls.name in self.facts.module_classes
            and not _grad_disabled(event)
            and not _read_through_sink(fn, event.node, self.facts)
            and flows_to(fn, event.node, self.facts) == "return"
        )

    @staticmethod
    def _handed_on_later(fn: FunctionFacts, event: CallEvent) -> bool:
        """The model goes to another function after this forward pass (`train(model, loader)`): it may train
        it, so this forward pass may be a sanity check before training rather than inference."""
        line = event.node.lineno
        return any(
            later.node.lineno > line
            and later.model is None
            and event.model in _argument_keys(later.node)
            and not (isinstance(later.node.func, ast.Name) and later.node.func.id in MODE_NEUTRAL_CALLS)
            for later in fn.call_events()
        )

    def _called_by_no_grad_library(self, fn: FunctionFacts) -> bool:
        """A method of a transformers/diffusers model that nothing in this file calls: the library's
        `generate()` or pipeline calls it, under no_grad."""
        return (
            fn.cls is not None
            and not self.sites.get(id(fn))
            and any((dotted(base) or "").endswith(NO_GRAD_CALLER_MODEL_BASES) for base in fn.cls.bases)
        )

    def _methods_passed_as_values(self) -> frozenset[str]:
        """Names read as `obj.name` other than to call it (`run_in_executor(pool, self._run_model, x)`)."""
        key = "methods passed as values"
        found = self.facts.answers.get(key)
        if found is None:
            called = {id(n.func) for n in ast.walk(self.facts.tree) if isinstance(n, ast.Call)}
            found = self.facts.answers[key] = frozenset(
                n.attr
                for n in ast.walk(self.facts.tree)
                if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load) and id(n) not in called
            )
        return found

    @staticmethod
    def _handed_to_functions(fn: FunctionFacts, model: str | None) -> bool:
        """The model goes to another function here (`prepare(path, model)`), which may load, switch or train it."""
        return any(
            e.model is None
            and model in _argument_keys(e.node)
            and not (isinstance(e.node.func, ast.Name) and e.node.func.id in MODE_NEUTRAL_CALLS)
            for e in fn.call_events()
        )

    def _own_ids(self, fn: FunctionFacts) -> set[int]:
        key = ("own ids", id(fn))
        found = self.facts.answers.get(key)
        if found is None:
            found = self.facts.answers[key] = {id(n) for n in self.facts.own_nodes(fn)}
        return found

    def _fresh_model(self, fn: FunctionFacts, event: CallEvent) -> bool:
        """A model built in this function from scratch, never loaded: a smoke check's model, not a trained one."""
        mode = event.state.mode(event.model or "")
        return bool(mode) and all(
            s.via == "constructed"
            and s.value is not Mode.EVAL
            and load_of(s) is None
            and id(s.origin) in self._own_ids(fn)
            for s in mode
        )

    def _fresh_model_switched_to_eval(self, fn: FunctionFacts, event: CallEvent) -> bool:
        """`m = Net(); m.eval(); m(x)` once, outside any loop: a smoke check that looks at what a model
        built here from scratch returns (SPEC: never loaded or trained, so nothing is being evaluated).
        The model must not reach any other function in between, which might load or train it."""
        key, line = event.model, event.node.lineno
        if key is None or any(loop.node.lineno <= line <= (loop.node.end_lineno or line) for loop in fn.loops.values()):
            return False
        built = [
            n
            for n in self.facts.own_nodes(fn)
            if isinstance(n, ast.Assign) and n.lineno < line and any(dotted(t) == key for t in n.targets)
        ]
        if not built:
            return False
        last = max(built, key=lambda n: (n.lineno, n.col_offset))
        if (
            self.facts.kinds.created_mode(last.value, fn.model_keys) is not Mode.TRAIN
            or trained_weights_call(last.value) is not None
        ):
            return False
        between = [e for e in fn.call_events() if last.lineno <= e.node.lineno < line and e.node is not last.value]
        return not any(
            is_training_step(e)
            or (
                e.model is None
                and key in _argument_keys(e.node)
                and not (isinstance(e.node.func, ast.Name) and e.node.func.id in MODE_NEUTRAL_CALLS)
            )
            or (isinstance(e.node.func, ast.Attribute) and e.node.func.attr in WEIGHT_LOADING_METHODS)
            for e in between
        )

    # ---- the function --------------------------------------------------------------------------------
    def name_evidence(self, fn: FunctionFacts) -> Evidence | None:
        """Named for evaluation or inference; pytest tests in test files are not, and `test` counts
        only in a module that trains."""
        if isinstance(fn.node, ast.Module) or fn.framework_hook:
            return None
        if not self.facts.config.is_eval_function_name(fn.name):
            return None
        if self._test_name(fn) and not self.trains_somewhere:
            return None
        name = fn.name
        return Evidence(lambda report: f"function `{name}`")

    @staticmethod
    def _test_name(fn: FunctionFacts) -> bool:
        return "test" in fn.name.lower()

    def _fresh_model_inference(self, fn: FunctionFacts, event: CallEvent) -> bool:
        """A model built here from scratch is inference only when gradients are off and the name starts
        with an evaluation word (`predict_images`): `def test():` and `compliant_without_eval()` build
        a model to look at shapes."""
        return (
            _grad_disabled(event)
            and not self._test_name(fn)
            and self.facts.config.is_eval_function_name(fn.name.split("_", 1)[0])
        )

    def caller_evidence(self, fn: FunctionFacts, depth: int) -> Evidence | None:
        """Every caller in the analysed code calls it as evaluation code."""
        if id(fn) in self._caller_evidence:
            return self._caller_evidence[id(fn)]
        self._caller_evidence[id(fn)] = None  # recursion guard
        sites = self.sites.get(id(fn), [])
        found = None
        if (
            sites
            and not fn.escapes
            and fn is not self.facts.body
            and depth < MAX_CALLER_DEPTH
            and self._no_callers_elsewhere(fn)
            and all(self._site_is_evaluation(caller, event, depth) for caller, event in sites)
        ):
            callers = sorted(
                {f"`{caller.name}()`" if caller is not self.facts.body else "the module" for caller, _ in sites}
            )
            words = " and ".join(callers) if len(callers) <= 2 else f"{', '.join(callers[:2])} and others"
            verb = "calls" if len(callers) == 1 else "call"
            found = Evidence(
                lambda report: f"only {words} {verb} this function, as evaluation code",
                tuple((event.node, "called here by evaluation code") for _, event in sites[:3]),
            )
        self._caller_evidence[id(fn)] = found
        return found

    def _no_callers_elsewhere(self, fn: FunctionFacts) -> bool:
        project = self.facts.project
        return (
            project is None
            or fn.parent is not None
            or fn.cls is not None
            or project.incoming_grad(self.facts.module, fn.name) is None
        )

    def _site_is_evaluation(self, caller: FunctionFacts, event: CallEvent, depth: int) -> bool:
        if _grad_disabled(event) or event.loop_val is not None:
            return True
        if any(
            only(event.state.mode(key), Mode.EVAL) for key in _argument_keys(event.node) if key in caller.model_keys
        ):
            return True
        if self.name_evidence(caller) is not None and not self._model_api_returns_graph(caller, event):
            return True
        return self.caller_evidence(caller, depth + 1) is not None

    def result_trains(self, fn: FunctionFacts, depth: int = 0) -> bool:
        """A caller backpropagates through what this function returns (followed up to MAX_CALLER_DEPTH)."""
        if id(fn) in self._result_trains:
            return self._result_trains[id(fn)]
        self._result_trains[id(fn)] = False  # recursion guard
        found = False
        for caller, event in self.sites.get(id(fn), []):
            flow = flows_to(caller, event.node, self.facts)
            if flow == "gradients" or (
                flow == "return" and depth < MAX_CALLER_DEPTH and self.result_trains(caller, depth + 1)
            ):
                found = True
                break
        self._result_trains[id(fn)] = found
        return found


def _iterable(node: ast.expr) -> str:
    """How a message names what a loop iterates: `val_loader` for `enumerate(tqdm(val_loader))`,
    `get_batches(...)` for `get_batches(val_data, batch_size, seq_length)`."""
    while (
        isinstance(node, ast.Call) and node.args and (dotted(node.func) or "").rsplit(".", 1)[-1] in ITERATION_WRAPPERS
    ):
        node = node.args[0]
    if isinstance(node, ast.Call) and dotted(node.func):
        return f"{dotted(node.func)}(...)"
    return dotted(node) or ast.unparse(node)


def load_of(setting: Setting) -> ast.AST | None:
    """The call that loaded weights, when a model's mode setting comes from one: `load_state_dict`,
    a whole pickled module from `torch.load`, `from_pretrained`, `load_from_checkpoint`, a factory asked for
    trained weights (`resnet50(pretrained=True)`)."""
    if setting.via == "loaded":
        return setting.origin
    if setting.via == "constructed" and isinstance(setting.origin, (ast.Assign, ast.AnnAssign)):
        value = setting.origin.value
        if value is not None and (pretrained := trained_weights_call(value)) is not None:
            return pretrained
        while isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
            if value.func.attr in LOADED_MODEL_CONSTRUCTORS:
                return value
            value = value.func.value  # `Model.from_pretrained(...).to(device)`
    return None


def _grad_disabled(event: CallEvent) -> bool:
    return only(event.state.grad, Grad.DISABLED)


def _argument_keys(call: ast.Call) -> list[str]:
    return [key for key in map(dotted, [*call.args, *(k.value for k in call.keywords)]) if key is not None]


def result_may_train(facts: ModuleFacts) -> Callable[[FunctionFacts, ast.Call], bool]:
    """Whether something computed from a call's value is backpropagated in the function, or returned
    (its caller may): what `export.outgoing_calls` asks before handing a model's mode to another file."""
    return lambda fn, call: flows_to(fn, call, facts) is not None


def flows_to(fn: FunctionFacts, call: ast.Call, facts: ModuleFacts) -> str | None:
    """Where the value of `call` goes in `fn`: "gradients" when something computed from it is
    backpropagated (or differentiated), here or by a function of the file it is handed to, "return" when
    it is returned, else None. Followed through assignments and containers it is appended to, in source order."""
    statements = _simple_statements(fn, facts)
    holder = next((s for s in statements if _within(call, s)), None)
    if holder is None:
        return None
    return _follow(fn, facts, statements[statements.index(holder) :], set(), call, 0)


def _simple_statements(fn: FunctionFacts, facts: ModuleFacts) -> list[ast.stmt]:
    return sorted(
        (n for n in facts.own_nodes(fn) if isinstance(n, ast.stmt) and not _compound(n)),
        key=lambda n: (n.lineno, n.col_offset),
    )


def _follow(
    fn: FunctionFacts,
    facts: ModuleFacts,
    statements: list[ast.stmt],
    tainted: set[str],
    call: ast.Call | None,
    depth: int,
) -> str | None:
    """`_flows_to` from `statements`: those that read a `tainted` name, or hold `call`, carry the value on."""
    returned = False
    carried = set(tainted)  # the value itself, not `self` that a method call on it "writes": what a helper is given
    for stmt in statements:
        holds = call is not None and _within(call, stmt)
        if not (_names_read(stmt) & tainted or holds):
            continue
        if any(consumes_gradients(facts, n) for n in ast.walk(stmt)) or (
            depth < MAX_CALLER_DEPTH and _handed_to_training_parameter(fn, facts, stmt, carried, call, depth)
        ):
            return "gradients"
        if isinstance(stmt, ast.Return):
            returned = True
        written = _names_written(stmt)
        tainted |= written
        if holds or _names_read(stmt) & carried:
            carried |= written - {"self"}
    return "return" if returned else None


def _handed_to_training_parameter(
    fn: FunctionFacts, facts: ModuleFacts, stmt: ast.stmt, tainted: set[str], call: ast.Call | None, depth: int
) -> bool:
    """`self.create_embedding(best_label, sm)` where `create_embedding` backpropagates through its `sm`: the
    value is needed with its graph, as much as if this function called `backward()` on it."""
    for node in ast.walk(stmt):
        callee = facts.resolve_call(node, fn) if isinstance(node, ast.Call) and node is not call else None
        if not isinstance(callee, FunctionFacts) or callee is fn:
            continue
        assert isinstance(node, ast.Call)  # resolved: a call
        params = callee.params[1:] if callee.is_method and isinstance(node.func, ast.Attribute) else callee.params
        given = [*zip(params, node.args), *((k.arg, k.value) for k in node.keywords if k.arg is not None)]
        for param, arg in given:
            carries = bool(_names_read_in(arg) & tainted) or any(n is call for n in ast.walk(arg))
            if carries and _parameter_trains(callee, param, facts, depth + 1):
                return True
    return False


def _parameter_trains(fn: FunctionFacts, param: str, facts: ModuleFacts, depth: int) -> bool:
    """Something computed from parameter `param` of `fn` is backpropagated (once a function and parameter)."""
    key = ("parameter trains", id(fn), param)
    if key not in facts.answers:
        facts.answers[key] = False  # recursion guard
        if param in fn.model_keys or any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == param for n in facts.own_nodes(fn)
        ):
            return False  # a model or loss function it runs (`train(model, loss_fn)`), not a value it differentiates
        flow = _follow(fn, facts, _simple_statements(fn, facts), {param}, None, depth)
        facts.answers[key] = flow == "gradients"
    return bool(facts.answers[key])


def _read_through_sink(fn: FunctionFacts, call: ast.Call, facts: ModuleFacts) -> bool:
    """`model(x).argmax(-1)`, `model(x).logits[0].tolist()`: the forward pass is read through a call
    whose result carries no graph."""
    holder = next(
        (s for s in facts.own_nodes(fn) if isinstance(s, ast.stmt) and not _compound(s) and _within(call, s)), None
    )
    for node in ast.walk(holder) if holder is not None else ():
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in INFERENCE_SINK_METHODS
        ):
            inner: ast.AST | None = node.func.value
            while inner is not call and isinstance(inner, (ast.Attribute, ast.Subscript, ast.Call)):
                inner = (
                    inner.func.value
                    if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute)
                    else getattr(inner, "value", None)
                )
            if inner is call:
                return True
    return False


def _result_discarded(fn: FunctionFacts, call: ast.Call, facts: ModuleFacts) -> bool:
    """`model(x)` as a statement of its own: its output is not read."""
    return any(isinstance(s, ast.Expr) and s.value is call for s in facts.own_nodes(fn))


def _compound(stmt: ast.stmt) -> bool:
    return hasattr(stmt, "body")


def _within(node: ast.expr, stmt: ast.stmt) -> bool:
    return (stmt.lineno, stmt.col_offset) <= (node.lineno, node.col_offset) and (
        node.end_lineno or node.lineno,
        node.end_col_offset or 0,
    ) <= (stmt.end_lineno or stmt.lineno, stmt.end_col_offset or 0)


def _names_read(stmt: ast.stmt) -> set[str]:
    return _names_read_in(stmt)


def _names_read_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _names_written(stmt: ast.stmt) -> set[str]:
    """Names bound by the statement, and containers a value is put into (`outputs.append(y)`, `d[k] = y`)."""
    written = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    for node in ast.walk(stmt):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
        ):
            written.add(node.func.value.id)
        elif isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, ast.Store):
            root = node.value
            while isinstance(root, (ast.Subscript, ast.Attribute)):
                root = root.value
            if isinstance(root, ast.Name):
                written.add(root.id)
    return written
