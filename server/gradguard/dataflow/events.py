"""What the walk records for the rules to query: each call, suspension and loop, with its state."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Union

from .state import Possible, State

FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef, ast.Module, ast.Lambda]


@dataclass(frozen=True)
class Region:
    """A lexically enclosing `with` that sets grad mode, or the decorator of the function."""

    node: ast.AST
    grad: Possible


@dataclass
class CallEvent:
    node: ast.Call
    state: State  # just before the call
    qualified: str | None  # canonical name of what is called, when it is an import (`torch.no_grad`)
    regions: tuple[Region, ...]  # grad-mode `with` blocks around the call in this function, innermost last
    loop_val: ast.For | ast.AsyncFor | None  # innermost enclosing loop over a validation/test loader, if any
    model: str | None = None  # the model, when the call is a forward pass


@dataclass
class SuspendEvent:
    node: ast.Yield | ast.YieldFrom | ast.Await
    regions: tuple[Region, ...]


@dataclass
class LoopFacts:
    node: ast.For | ast.AsyncFor | ast.While
    back: State | None  # state carried by the back edge to the next iteration
    # calls of the next iteration walked from the back edge alone: what runs after the
    # body switched a model to eval mode and looped around (GG203)
    next_iteration: dict[int, CallEvent] = field(default_factory=dict)
