"""What an analysed file tells the project index (crossfile.py): the effects of its functions on
their callers (`exports`), and its calls of other files' functions with the grad mode and models at
each (`outgoing_calls`, `unseen_references`)."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import TYPE_CHECKING, Callable

from ..lines import line_starts
from ..vocabulary import THIRD_PARTY_ROOTS
from .crossfile import (
    TRAINED,
    Export,
    OutgoingCall,
    absolute_import,
    call_order,
    handed_models,
    portable,
    portable_mode,
    unseen_uses,
)
from .functions import FunctionFacts
from .solver import training_of
from .state import Grad, Mode
from .tokens import name_counts

if TYPE_CHECKING:
    from .facts import ModuleFacts


def exports(facts: ModuleFacts) -> dict[str, Export]:
    """What each module-level function does to its callers, for other files of the project; and what each
    method of a top-level class does to the `self.` models (`Trainer.fit`), for the classes deriving from it."""
    found = _method_exports(facts)
    for name, fn in facts.by_name.items():
        if not fn.walked:
            continue
        summary = fn.summary
        found[name] = Export(
            params=tuple(fn.params),
            grad_exit=portable(summary.grad_exit, fn.entry.grad) if summary.grad_exit is not None else None,
            mode_exit=tuple(
                (key, portable_mode(mode, fn.entry.mode(key)))
                for key, mode in sorted(summary.mode_exit.items())
                if key.split(".", 1)[0] in fn.params
            ),
            trains_unset=summary.trains_unset,
        )
    return found


def outgoing_calls(
    facts: ModuleFacts,
    result_may_train: Callable[[FunctionFacts, ast.Call], bool],
    functions: list[FunctionFacts] | None = None,
) -> list[OutgoingCall]:
    """Calls of imported functions (made in `functions`, by default all), with the grad mode at each and
    the models they hand over (none when the result may be backpropagated, `result_may_train`: training
    code gets its model in training mode on purpose): call sites for the files they call."""
    calls = set()
    for fn in facts.functions if functions is None else functions:
        for event in fn.call_events():
            target = facts.imported_target(event.node)
            if target is not None and target[0].split(".", 1)[0] not in THIRD_PARTY_ROOTS:
                grad = tuple(sorted({s.value.value for s in event.state.grad}))
                models = handed_models(event.node, fn.model_keys.__contains__, event.state.mode)
                if models and result_may_train(fn, event.node):
                    models = ()
                site = f"`{fn.name}` in {facts.path}" if models else ""  # no line: an edit above keeps it
                calls.add(OutgoingCall(target[0], target[1], grad, models, site))
    calls |= _own_method_calls(facts, facts.functions if functions is None else functions)
    return sorted(calls, key=call_order)


def _own_method_calls(facts: ModuleFacts, functions: list[FunctionFacts]) -> set[OutgoingCall]:
    """`self._predict_proba(...)` in a method of a top-level class, inside `no_grad`: a call site, in another file,
    of the subclass's override (`Cls._predict_proba`, keyed in this module). Only methods called without
    gradients at some call: every call of those, so that the modes join as at any call site."""
    top = {id(stmt) for stmt in facts.tree.body if isinstance(stmt, ast.ClassDef)}
    grads: dict[str, set[tuple[str, ...]]] = {}
    for fn in functions:
        if fn.cls is None or not fn.is_method or id(fn.cls) not in top:
            continue
        for event in fn.call_events():
            func = event.node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
                grad = tuple(sorted({s.value.value for s in event.state.grad}))
                grads.setdefault(f"{fn.cls.name}.{func.attr}", set()).add(grad)
    return {
        OutgoingCall(facts.module, method, grad)
        for method, found in grads.items()
        if any(grad != (Grad.ENABLED.value,) for grad in found)
        for grad in found
    }


def unseen_references(
    facts: ModuleFacts, functions: list[FunctionFacts] | None = None, statements: Sequence[ast.stmt] | None = None
) -> list[OutgoingCall]:
    """Imported project names used in `statements` (by default the module's) other than in the calls the
    walks of `functions` (by default all) recorded: in code not walked, passed as a value, in a comment.
    Calls we cannot vouch for, recorded without grad mode or models so that no parameter counts as filled
    by every caller (`ProjectIndex.trained_by_callers`). Counted in the text: one search, not a walk of the
    code that was not walked; statement by statement, so that an edit's analysis finds what a whole one does."""
    # a capitalised name is a class or a constant (a function handed a model is named in lower case): not
    # searched for, which would cost a tenth of the analysis of a library that imports many classes
    project = {
        local: qualified
        for local, qualified in facts.names.imported.items()
        if qualified.split(".", 1)[0] not in THIRD_PARTY_ROOTS and not local[:1].isupper()
    }
    if not project:
        return []
    recorded: dict[str, int] = {}
    for fn in facts.functions if functions is None else functions:
        for event in fn.call_events():
            func = event.node.func
            head = func.value if isinstance(func, ast.Attribute) else func
            if isinstance(head, ast.Name) and head.id in project:
                recorded[head.id] = recorded.get(head.id, 0) + 1
    starts = line_starts(facts.source)
    text = "\n".join(
        facts.source[starts[stmt.lineno - 1] : starts[min(stmt.end_lineno or stmt.lineno, len(starts) - 1)]]
        for stmt in (facts.tree.body if statements is None else statements)
        if not isinstance(stmt, (ast.Import, ast.ImportFrom))
    )
    used = name_counts(text, project)
    is_package = facts.path.replace("\\", "/").endswith("/__init__.py")
    unseen = {
        local: absolute_import(project[local], facts.module, is_package)
        for local, count in used.items()
        if count > recorded.get(local, 0)
    }
    return sorted(unseen_uses(unseen), key=call_order)


def _method_exports(facts: ModuleFacts) -> dict[str, Export]:
    """`Class.method` -> the modes the method leaves its `self.` models in ("trained": training mode its own
    training left, see `_left_by_siblings`), for a class of another file that inherits it."""
    top = {id(stmt) for stmt in facts.tree.body if isinstance(stmt, ast.ClassDef)}
    found = {}
    for fn in facts.functions:
        if fn.cls is None or not fn.is_method or not fn.walked or id(fn.cls) not in top:
            continue
        modes = []
        for key, mode in sorted(fn.summary.mode_exit.items()):
            if key.startswith("self."):
                values = portable_mode(mode, fn.entry.mode(key))
                if Mode.TRAIN.value in values and training_of(facts, fn, key) is not None:
                    values = tuple(sorted({TRAINED if v == Mode.TRAIN.value else v for v in values}))
                modes.append((key, values))
        if modes:
            found[f"{fn.cls.name}.{fn.name}"] = Export(tuple(fn.params), None, tuple(modes), False)
    return found
