"""The rounds: every function is walked from its entry state, its summary taken from the states at its
exits, and the entry states recomputed from the call sites, until they settle (at most MAX_ROUNDS).

Entry states: grad mode from a function's decorator, or else the join of the states at its call sites
in the analysed code (a function only ever called inside `no_grad` runs without gradients); the models
it is handed, in the modes they have there. A summary says how the function changes grad mode and the
training mode of its parameters, `self.` attributes and globals; call sites apply it
(`ModuleFacts.apply_summary`), so `evaluate(model)` carries "model is in eval mode now" back to the
training loop.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from ..vocabulary import FRAMEWORK_EVAL_CALLBACKS
from .crossfile import PASSTHROUGH, RELOADED, TRAINED, ImportedFunction
from .events import CallEvent, is_parameter_update, is_training_step
from .functions import FunctionFacts, Summary
from .handover import attribute_modes
from .memo import FactsMemo, walk_dependency
from .models import names_training_state
from .names import dotted
from .state import DEFAULT_GRAD, Grad, Mode, Possible, Setting, State, join_all, only
from .walker import Walker

if TYPE_CHECKING:
    from .facts import ModuleFacts

MAX_ROUNDS = 4
WALKS_KEPT = MAX_ROUNDS + 1  # per function in the memo: one walk per round, and one from before an edit


def solve(facts: ModuleFacts) -> None:
    _mark_escaping(facts)
    pending = [f for f in facts.functions if f is not facts.body] + [facts.body]
    for _ in range(MAX_ROUNDS):
        changed_summaries = set()
        for fn in pending:
            before = fn.summary
            _walk(facts, fn)
            if fn.summary != before:
                changed_summaries.add(id(fn))
        sites = facts.call_sites()
        again = _update_entries(facts, sites)  # functions whose callers now reach them differently
        for callee in changed_summaries:  # and the callers of functions whose effects changed
            again.update(id(caller) for caller, _ in sites.get(callee, ()))
        pending = [f for f in facts.functions if id(f) in again]
        if not pending:
            break


def _walk(facts: ModuleFacts, fn: FunctionFacts) -> None:
    fn.calls, fn.suspends, fn.loops, fn.exits, fn.grad_before = {}, [], {}, [], {}
    fn.last_training_step = 0
    if not fn.walked:
        return
    if facts.memo is None:
        _walk_body(facts, fn)
    else:
        _walk_or_reuse(facts, fn, facts.memo)
    # once per walk: _trained_by asks for each sibling method and model key at every round
    fn.last_training_step = max((e.node.lineno for e in fn.call_events() if is_training_step(e)), default=0)
    fn.summary = summarise(facts, fn)


def _walk_body(facts: ModuleFacts, fn: FunctionFacts) -> None:
    walker = Walker(facts, fn, fn.calls)
    body = fn.node.body if not isinstance(fn.node, ast.Lambda) else []
    end = walker.block(body, fn.entry)
    if end is not None:
        fn.exits.append(end)


def _walk_or_reuse(facts: ModuleFacts, fn: FunctionFacts, memo: FactsMemo) -> None:
    """Take the outcome of an earlier walk of this function from the same inputs, with every call
    resolving to the same function in the same state as then (see memo.py); else walk it, noting
    what it took from each callee."""
    inputs = (fn.entry, fn.entry_regions, frozenset(fn.model_keys), facts.context)
    walks = memo.get(("walks", fn.node)) or memo.put(("walks", fn.node), [])
    for earlier_inputs, dependencies, outcome in walks:
        if earlier_inputs == inputs and all(
            walk_dependency(d[0], facts.find_callee(d[0], fn)) == d for d in dependencies
        ):
            fn.calls, fn.suspends, fn.loops, fn.exits, fn.grad_before = outcome
            return
    facts.dependencies = []
    _walk_body(facts, fn)
    outcome = (fn.calls, fn.suspends, fn.loops, fn.exits, fn.grad_before)
    walks.append((inputs, facts.dependencies, outcome))
    del walks[:-WALKS_KEPT]
    facts.dependencies = None


def summarise(facts: ModuleFacts, fn: FunctionFacts) -> Summary:
    exit_state = join_all(fn.exits)
    summary = Summary(trains_unset=_trains_unset(facts, fn))
    if exit_state is None or fn is facts.body:
        return summary
    if fn.entry_grad_fixed is None and exit_state.grad != fn.entry.grad:
        summary.grad_exit = exit_state.grad
    for key, mode in exit_state.modes.items():
        forward = _trained_by(fn, key)
        if forward is not None:  # built here by code we cannot see (`self.model = self.build()`), then trained
            mode = frozenset(
                Setting(Mode.TRAIN, forward.node, "trained")
                if s.via == "assigned" and s.value is Mode.UNKNOWN and s in forward.state.mode(key)
                else s
                for s in mode
            )
        head = key.split(".", 1)[0]
        visible = head in fn.params or head == "self" or head in facts.body.model_keys or key in closure_keys(facts, fn)
        if visible and mode != fn.entry.mode(key):
            summary.mode_exit[key] = mode
    return summary


def _trains_unset(facts: ModuleFacts, fn: FunctionFacts) -> bool:
    """An optimizer step while a model the function names is still in the mode it came in with.
    Only models it names: a module-level model is a model key of every function, trained or not."""
    updates = [event for event in fn.call_events() if is_parameter_update(event)]
    if not updates:
        return False
    named = {node.id for node in facts.own_nodes(fn) if isinstance(node, ast.Name)}
    keys = [key for key in fn.model_keys if key.split(".", 1)[0] in named]
    own = {id(node) for node in facts.own_nodes(fn)}

    def set_to_train(event: CallEvent, key: str) -> bool:
        mode = event.state.mode(key)
        return only(mode, Mode.TRAIN) and all(s.via == "call" and id(s.origin) in own for s in mode)

    # a step after this function's own `x.train()` is a training function that sets its mode; its other
    # keys are then the same network under another name (`self._pytorch_model` wrapping `self.model`)
    return any(
        not any(set_to_train(event, key) for key in keys)
        and any(s in fn.entry.mode(key) for key in keys for s in event.state.mode(key))
        for event in updates
    )


def closure_keys(facts: ModuleFacts, fn: FunctionFacts) -> set[str]:
    """Models of the enclosing function that a nested function uses as they are when it runs."""
    if fn.parent is None:
        return set()
    return {
        key
        for key in fn.model_keys
        if key in fn.parent.model_keys and key.split(".", 1)[0] not in fn.params and not key.startswith("self.")
    }


def _mark_escaping(facts: ModuleFacts) -> None:
    """A module function named other than in a call (`submit(work)`, `target=work`), in the code we walk."""
    referenced: set[str] = set()
    for fn in facts.functions:
        if fn.walked:
            nodes = facts.own_nodes(fn)
            called = {id(n.func) for n in nodes if isinstance(n, ast.Call)}
            referenced.update(n.id for n in nodes if isinstance(n, ast.Name) and id(n) not in called)
    for name, fn in facts.by_name.items():
        fn.escapes = name in referenced
    for fn in facts.functions:
        if fn.walked:
            for node in facts.own_nodes(fn):
                if (
                    isinstance(node, ast.keyword)
                    and node.arg in FRAMEWORK_EVAL_CALLBACKS
                    and isinstance(node.value, ast.Name)
                ):
                    _mark_framework_callback(facts, node.value.id, fn)


def _mark_framework_callback(facts: ModuleFacts, name: str, where: FunctionFacts) -> None:
    """A function handed to a framework that runs it under no_grad in eval mode (`eval_func=`)."""
    scope: FunctionFacts | None = where
    while scope is not None and name not in scope.nested:
        scope = scope.parent
    callback = scope.nested[name] if scope is not None else facts.by_name.get(name)
    if callback is not None:
        callback.framework_hook = True
        callback.entry_grad_fixed = frozenset({Setting(Grad.DISABLED, callback.node, "framework")})


def _update_entries(facts: ModuleFacts, sites: dict[int, list[tuple[FunctionFacts, CallEvent]]]) -> set[int]:
    changed: set[int] = set()
    for fn in facts.functions:
        if fn is facts.body:
            continue
        entry = _entry_state(facts, fn, sites.get(id(fn), []))
        if entry != fn.entry:
            fn.entry = entry
            changed.add(id(fn))
    return changed


def _entry_state(facts: ModuleFacts, fn: FunctionFacts, sites: list[tuple[FunctionFacts, CallEvent]]) -> State:
    modes: dict[str, Possible] = {}
    if fn.framework_hook:
        modes["self"] = frozenset({Setting(Mode.EVAL, fn.node, "framework")})
    from_files = (
        facts.project.incoming_grad(facts.module, fn.name)
        if facts.project is not None and fn.parent is None and fn.cls is None
        else None
    )
    from_bases = _called_by_bases(facts, fn) if not fn.escapes else None
    if (not sites and from_files is None) or fn.escapes:
        if not sites and not fn.escapes and fn.is_method and not fn.name.startswith("__"):
            modes.update(_left_by_siblings(facts, fn))
        return State(fn.entry_grad_fixed or from_bases or DEFAULT_GRAD, modes, {})
    grad = fn.entry_grad_fixed or frozenset().union(
        *(event.state.grad for _, event in sites), from_files or (), from_bases or ()
    )
    mappings = [facts.argument_map(fn, event.node, caller) for caller, event in sites]
    for (caller, event), mapping in zip(sites, mappings):
        for param, key in mapping.items():
            if key in caller.model_keys:
                fn.model_keys.add(param)
                modes[param] = modes.get(param, frozenset()) | event.state.mode(key)
    receivers = [r for _, event in sites if (r := _receiver(event.node))] if fn.is_method else []
    if receivers and len(receivers) == len(sites):
        for key in fn.model_keys:  # `self.validate()`, `trainer.validate()` run with the caller's `.model`
            if key.startswith("self."):
                modes[key] = frozenset().union(
                    *(event.state.mode(r + key[4:]) for r, (_, event) in zip(receivers, sites))
                )
    for key in closure_keys(facts, fn):  # a nested function sees its parent's models as they are at the call
        modes[key] = frozenset().union(*(event.state.mode(key) for _, event in sites))
    complete = {
        p
        for p in modes
        if p.startswith("self.") or p in closure_keys(facts, fn) or all(p in mapping for mapping in mappings)
    }
    modes = {p: m for p, m in modes.items() if p in complete or p == "self"}
    attributes = attribute_modes(fn.params, [(c, e, mapping) for (c, e), mapping in zip(sites, mappings)])
    fn.model_keys.update(attributes)  # `context.model` in `validate(context)`
    modes.update(attributes)
    if from_files is not None:
        modes.update(_trained_by_callers_elsewhere(facts, fn, modes, bool(sites)))
    return State(grad, modes, {})


def _called_by_bases(facts: ModuleFacts, fn: FunctionFacts) -> Possible | None:
    """The grad modes at the `self.<name>()` calls that the class's bases in other files make (`predict_proba`
    calling `self._predict_proba(...)` inside `no_grad`): call sites of this override (`export._own_method_calls`)."""
    if facts.project is None or fn.cls is None or not fn.is_method or not fn.cls.bases:
        return None
    found = [facts.project.incoming_method_grad(reference, fn.name) for _, reference in facts.project_bases(fn.cls)]
    return frozenset().union(*(grad for grad in found if grad is not None)) or None


def _trained_by_callers_elsewhere(
    facts: ModuleFacts, fn: FunctionFacts, modes: dict[str, Possible], called_here: bool
) -> dict[str, Possible]:
    """Parameters that every call from another file fills with a model in training mode: the model's
    mode here too, joined with the calls of this file (each of which must pass a model for it)."""
    assert facts.project is not None  # from_files came from it
    found: dict[str, Possible] = {}
    for param, sites in facts.project.trained_by_callers(facts.module, fn.name, fn.params).items():
        if called_here and param not in modes:
            continue  # a call here passes something we do not know as a model
        facts.handed_over[(id(fn.node), param)] = sites
        fn.model_keys.add(param)
        found[param] = modes.get(param, frozenset()) | {Setting(Mode.TRAIN, fn.node, "callers")}
    return found


def training_of(
    facts: ModuleFacts, fn: FunctionFacts, key: str, seen: frozenset[int] = frozenset()
) -> CallEvent | None:
    """The forward pass of `key` that `fn` trains, or its call of a method of its class that trains it:
    one of this file, or one inherited from another file whose training leaves `key` in training mode
    (`self._train_model(loader)`). Once per walk of `fn` (a cycle of calls answers None where it closes)."""
    known = facts.answers.get(("training", id(fn), key))
    if known is not None and known[0] is fn.calls:
        return known[1]
    found = _training_through_calls(facts, fn, key, seen)
    facts.answers[("training", id(fn), key)] = (fn.calls, found)
    return found


def _training_through_calls(facts: ModuleFacts, fn: FunctionFacts, key: str, seen: frozenset[int]) -> CallEvent | None:
    forward = _trained_by(fn, key)
    if forward is not None or fn.cls is None:
        return forward
    for event in fn.call_events():
        callee = facts.find_callee(event.node, fn) if _receiver(event.node) == "self" else None
        if isinstance(callee, ImportedFunction):
            trains = any(s.via == "trained" for s in callee.summary.mode_exit.get(key, ()))
        else:
            trains = (
                callee is not None
                and callee.cls is fn.cls
                and id(callee) not in seen
                and training_of(facts, callee, key, seen | {id(fn)}) is not None
            )
        if trains:
            return event
    return None


def _left_by_siblings(facts: ModuleFacts, fn: FunctionFacts) -> dict[str, Possible]:
    """A method nothing here calls runs after its class's other methods (`predict()` after `fit()`):
    its `self.` models start in the modes those leave them in, when one of them trains the model.
    A method that trains a model without setting its mode leaves it in training mode, unless it
    calls methods we cannot see, which may switch it. The training mode a method's training (its own,
    or that of a method it inherits from another file: `self._train_model()`) leaves is "trained" when
    nothing we cannot see may have switched the model on its way out: the path `fit()` then `predict()`
    runs in training mode, whatever other paths do (GG202 says so)."""
    modes: dict[str, Possible] = {}
    siblings = [f for f in facts.functions if f.cls is fn.cls and f.is_method and f is not fn]
    for key in (k for k in fn.model_keys if k.startswith("self.")):
        left: set[Setting] = set()
        trained = False
        for sibling in siblings:
            forward = training_of(facts, sibling, key)
            trained = trained or forward is not None
            if key in sibling.summary.mode_exit:
                exit_mode = sibling.summary.mode_exit[key]
                made = _made_here(sibling, key, exit_mode, set()) if forward is not None else None
                if forward is not None and made is not None:  # the mode it came with: what the others leave
                    exit_mode = frozenset(
                        Setting(Mode.TRAIN, forward.node, "trained") if s.value is Mode.TRAIN else s for s in made
                    )
                left |= exit_mode
            elif forward is not None:
                if any(
                    _receiver(e.node) == "self"
                    and e.model is None
                    and facts.resolve_call(e.node, sibling) is None
                    and isinstance(e.node.func, ast.Attribute)
                    and not names_training_state(e.node.func.attr)
                    for e in sibling.call_events()
                ):
                    left.add(Setting(Mode.UNKNOWN, forward.node, "trained"))
                else:
                    left.add(Setting(Mode.TRAIN, forward.node, "trained"))
        for base, name, export in facts.inherited_methods(fn.cls) if fn.cls is not None else ():
            values = dict(export.mode_exit).get(key, ())
            if name.startswith("_") or name == fn.name or not values:
                continue  # what the class's users call: its public methods
            trained = trained or TRAINED in values
            left |= _inherited_settings(values, base)
        if trained and left:
            modes[key] = frozenset(left)
    return modes


def _inherited_settings(values: tuple[str, ...], base: ast.expr) -> set[Setting]:
    """The modes an inherited method (of the class `base` names) leaves a model in, as settings made at `base`:
    what its own training left is "trained" when no call we cannot see may have switched it; the caller's own
    mode (passed through, or with weights loaded into it) adds nothing."""
    clean = Mode.UNKNOWN.value not in values
    found = set()
    for value in values:
        if value == TRAINED:
            found.add(Setting(Mode.TRAIN, base, "trained" if clean else "callee"))
        elif value not in (PASSTHROUGH, RELOADED):
            found.add(Setting(Mode(value), base, "callee"))
    return found


def _made_here(fn: FunctionFacts, key: str, mode: Possible, loads: set[int]) -> set[Setting] | None:
    """The settings of `key` in `mode` (where `fn` leaves it) that `fn` made, without the mode it was called
    with (passed through, or with weights loaded into it: a load keeps the mode it finds); None when a call we
    cannot see may have switched the model on some path out."""
    entry = fn.entry.mode(key)
    made = set()
    for setting in mode:
        if setting in entry:
            continue
        load = fn.calls.get(id(setting.origin)) if setting.via == "loaded" else None
        if load is not None and setting.value is Mode.UNKNOWN:
            if id(load.node) not in loads:  # what it was before the load, at worst the mode it came with
                loads.add(id(load.node))
                unknown = frozenset(s for s in load.state.mode(key) if s.value is Mode.UNKNOWN)
                if _made_here(fn, key, unknown, loads) is None:
                    return None
        elif setting.value is Mode.UNKNOWN:
            return None
        else:
            made.add(setting)
    return made


def _trained_by(fn: FunctionFacts, key: str) -> CallEvent | None:
    """The forward pass of `key` in `fn` that a later training step trains, if any."""
    return next(
        (
            e
            for e in fn.call_events()
            if e.model == key and not only(e.state.grad, Grad.DISABLED) and fn.last_training_step >= e.node.lineno
        ),
        None,
    )


def _receiver(call: ast.Call) -> str | None:
    """`self` in `self.validate()`, `trainer` in `trainer.validate()`."""
    return dotted(call.func.value) if isinstance(call.func, ast.Attribute) else None
