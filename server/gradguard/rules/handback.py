"""Forward passes a helper hands back to callers in other files (`return model(stensor).F`).

A module-level function that runs a forward pass of the model it is given, in whatever grad mode its
caller has, and returns the output cannot tell whether that output needs gradients: its callers can.
When its own file has no evidence that the forward pass is evaluation code, the function's export names
the parameter (`Export.forwards`), and in a caller's file the call `extract_features(model, xyz)` is that
forward pass of `model`: GG201 judges it there, with the caller's evidence (`model.eval()` before it,
outputs that only feed `.detach().cpu().numpy()`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from ..dataflow.crossfile import Export, ImportedFunction
from ..dataflow.events import CallEvent, is_training_step
from ..dataflow.facts import ModuleFacts
from ..dataflow.functions import FunctionFacts
from ..dataflow.state import Grad, only
from .intent import evaluation_evidence, flows_to


def with_handed_back_forwards(facts: ModuleFacts, exports: dict[str, Export]) -> dict[str, Export]:
    """`exports` with the parameters each module-level function hands back a forward pass of."""
    found = dict(exports)
    for name, fn in facts.by_name.items():
        if name in found:
            forwards = _handed_back(facts, fn)
            if forwards:
                found[name] = replace(found[name], forwards=forwards)
    return found


def _handed_back(facts: ModuleFacts, fn: FunctionFacts) -> tuple[str, ...]:
    events = [e for e in fn.call_events() if e.model is not None and e.model in fn.params]
    if not events or fn.entry_grad_fixed is not None or any(is_training_step(e) for e in fn.call_events()):
        return ()
    return tuple(
        sorted(
            {
                event.model  # type: ignore[misc]  # a forward pass names its model
                for event in events
                if event.state.grad <= fn.entry.grad  # the caller's grad mode: nothing here turned it off or on
                and not only(event.state.grad, Grad.DISABLED)
                and flows_to(fn, event.node, facts) == "return"
                and evaluation_evidence(facts, fn, event, explicit_eval_counts=True) is None  # else judged here
            }
        )
    )


def handed_back_forward_passes(facts: ModuleFacts, fn: FunctionFacts) -> Iterator[tuple[CallEvent, str]]:
    """Calls in `fn` of another file's functions that hand back a forward pass of a model given here, each as
    that forward pass (the event with its model), with the function's name."""
    for event in fn.call_events():
        if event.model is not None:
            continue
        callee = facts.resolve_call(event.node, fn)
        if not isinstance(callee, ImportedFunction) or not callee.forwards:
            continue
        mapping = facts.argument_map(callee, event.node, fn)
        for param in callee.forwards:
            key = mapping.get(param)
            if key is not None and key in fn.model_keys:
                yield replace(event, model=key), callee.name
