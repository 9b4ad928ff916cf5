"""What the analysis knows of one function (or the module body): its models, entry state, the events
its walk recorded, and its summary, the effects a call of it has on the caller."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from .events import CallEvent, FunctionNode, LoopFacts, Region, SuspendEvent
from .state import DEFAULT_GRAD, Possible, State


@dataclass
class Summary:
    grad_exit: Possible | None = None  # grad mode at exit, when the function changes it
    mode_exit: dict[str, Possible] = field(default_factory=dict)  # parameter/self./global key -> mode at exit
    trains_unset: bool = False  # backpropagates or steps an optimizer before setting any training mode


@dataclass
class FunctionFacts:
    node: FunctionNode
    name: str
    cls: ast.ClassDef | None
    parent: FunctionFacts | None
    params: list[str]
    model_keys: set[str]
    entry_grad_fixed: Possible | None = None  # from a decorator or a framework hook
    entry_regions: tuple[Region, ...] = ()
    entry: State = field(default_factory=lambda: State(DEFAULT_GRAD, {}, {}))
    calls: dict[int, CallEvent] = field(default_factory=dict)
    suspends: list[SuspendEvent] = field(default_factory=list)
    loops: dict[int, LoopFacts] = field(default_factory=dict)  # by id(loop node): the last walk wins
    exits: list[State] = field(default_factory=list)
    grad_before: dict[int, Possible] = field(default_factory=dict)  # by id(statement): grad mode where it starts
    summary: Summary = field(default_factory=Summary)
    nested: dict[str, FunctionFacts] = field(default_factory=dict)
    escapes: bool = False  # referenced as a value: called from places we cannot see
    framework_hook: bool = False
    walked: bool = True  # False: its text names nothing we track, so it has no events and no effects
    last_training_step: int = 0  # line of the last training step of the last walk (0: none); see _trained_by
    own_nodes_found: list[ast.AST] | None = None  # see ModuleFacts.own_nodes
    instances: dict[str, str] | None = None  # see ModuleFacts.instance_class
    aliases: tuple[tuple[str, str], ...] = ()  # `model = self.model`: one model under two names (aliases.py)
    constant_params: frozenset[str] = frozenset()  # compared with constants by its `if`s (specialize.py)

    @property
    def is_method(self) -> bool:
        return self.cls is not None and self.parent is None

    def call_events(self) -> Iterator[CallEvent]:
        return iter(self.calls.values())


def params_of(node: FunctionNode) -> list[str]:
    if isinstance(node, ast.Module):
        return []
    args = node.args
    return [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
