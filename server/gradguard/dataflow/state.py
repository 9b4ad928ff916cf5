"""The abstract state carried along control flow.

Each fact is the set of `Setting`s that reach a point, one per path that set it differently
(a may-analysis with origins): "gradients are disabled" holds when every setting that
reaches the point says DISABLED. A setting whose value is UNKNOWN (a `set_grad_enabled(flag)`,
a model handed to code we cannot see) keeps every query false: unknown never produces a finding.
"""

from __future__ import annotations

import ast
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal


class Grad(enum.Enum):
    ENABLED = "enabled"
    DISABLED = "disabled"
    UNKNOWN = "unknown"


class Mode(enum.Enum):
    TRAIN = "train"
    EVAL = "eval"
    UNKNOWN = "unknown"


# How a setting was made: what a message names ("the `with` block", "the call at line 12") and what rules
# filter on. "trained": a sibling method trains the model and leaves it in that mode; "passthrough": the
# caller's own setting inside an imported summary (`crossfile`); "reloaded": the caller's own, after another
# file's function loaded weights into the model (`crossfile.CALLER_RELOADED`).
Via = Literal[
    "default",
    "entry",
    "with",
    "decorator",
    "framework",
    "call",
    "callers",
    "callee",
    "constructed",
    "loaded",
    "passed",
    "assigned",
    "trained",
    "passthrough",
    "reloaded",
]


@dataclass(frozen=True)
class Setting:
    value: enum.Enum
    origin: ast.AST | None  # the statement, decorator or call that made it so
    via: Via
    # carried by a loop's back edge into the next iteration (the walker's probe of it; GG203 asks)
    next_iteration: bool = False


Possible = frozenset  # frozenset[Setting]

DEFAULT_GRAD: Possible = frozenset({Setting(Grad.ENABLED, None, "default")})
ENTRY_MODE: Possible = frozenset({Setting(Mode.UNKNOWN, None, "entry")})


def only(possible: Possible, value: enum.Enum) -> bool:
    """Every path that reaches here says `value`."""
    return bool(possible) and all(s.value is value for s in possible)


def first_origin(possible: Possible) -> Setting:
    """The setting to name in a message: the earliest statement in the file."""
    return min(
        possible,
        key=lambda s: (getattr(s.origin, "lineno", 0), getattr(s.origin, "col_offset", 0), s.via, s.next_iteration),
    )


@dataclass(frozen=True)
class State:
    grad: Possible
    modes: Mapping[str, Possible]  # model expression ("model", "self.net") -> training mode
    # grad mode in force where each variable was last assigned, kept only for variables
    # assigned while gradients may be off (what GG104 asks: was this loss computed in no_grad?)
    defs: Mapping[str, Possible]

    def mode(self, key: str) -> Possible:
        return self.modes.get(key, ENTRY_MODE)

    def with_grad(self, grad: Possible) -> State:
        return State(grad, self.modes, self.defs)

    def with_mode(self, key: str, mode: Possible) -> State:
        modes = dict(self.modes)
        modes[key] = mode
        return State(self.grad, modes, self.defs)

    def with_modes(self, changes: Mapping[str, Possible]) -> State:
        if not changes:
            return self
        modes = dict(self.modes)
        modes.update(changes)
        return State(self.grad, modes, self.defs)

    def grad_may_be_off(self) -> bool:
        return any(s.value is not Grad.ENABLED for s in self.grad)

    def with_def(self, name: str, computed: bool = True) -> State:
        may_be_off = computed and self.grad_may_be_off()
        if not may_be_off and name not in self.defs:
            return self
        defs = dict(self.defs)
        if may_be_off:
            defs[name] = self.grad
        else:
            del defs[name]
        return State(self.grad, self.modes, defs)

    def join(self, other: State) -> State:
        if other is self:
            return self
        # the paths often share what neither changed (`with_grad` keeps the mappings, `with_modes({})` the state)
        grad = self.grad if other.grad is self.grad else self.grad | other.grad
        modes = (
            self.modes
            if other.modes is self.modes
            else {k: self.mode(k) | other.mode(k) for k in self.modes.keys() | other.modes.keys()}
        )
        defs = (
            self.defs
            if other.defs is self.defs
            else {
                k: self.defs.get(k, DEFAULT_GRAD) | other.defs.get(k, DEFAULT_GRAD)
                for k in self.defs.keys() | other.defs.keys()
            }
        )
        return State(grad, modes, defs)


def join_all(states: Sequence[State | None]) -> State | None:
    """Join of the states that reach a point; None when no path reaches it."""
    result: State | None = None
    for state in states:
        if state is not None:
            result = state if result is None else result.join(state)
    return result
