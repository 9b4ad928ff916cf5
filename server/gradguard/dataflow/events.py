"""What the walk records for the rules to query: each call, suspension and loop, with its state."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Union

from ..vocabulary import BACKWARD_METHODS
from .models import names_optimizer
from .names import dotted
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


def is_training_step(event: CallEvent) -> bool:
    """`loss.backward()`, `accelerator.backward(loss)`, `torch.autograd.backward(...)`, or a parameter update."""
    func = event.node.func
    if event.qualified == "torch.autograd.backward":
        return True
    return (isinstance(func, ast.Attribute) and func.attr in BACKWARD_METHODS) or is_parameter_update(event)


def is_parameter_update(event: CallEvent) -> bool:
    """`optimizer.step()`, `scaler.step(optimizer)`: training, as opposed to backpropagating for an attack."""
    func = event.node.func
    if not isinstance(func, ast.Attribute) or func.attr != "step":
        return False
    return names_optimizer(dotted(func.value) or "")
