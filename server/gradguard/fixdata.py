"""What a rule hands its fixes (`Finding.data`): one small frozen dataclass per shape, so a fix builder
reads typed fields. The fixes run later, maybe in another process or after a round trip through the
editor (the diagnostic's `data`) or the results cache: there the data is JSON (`to_json`, `from_json`),
which names its class.

A rule names a line by its node (`Report.first_line(node)`, a `LineOf`), so that what it reported on a
function an edit moved keeps pointing at the right statement; rendering turns it into the 0-based line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, fields, replace
from typing import Any, Callable, TypeVar, Union

T = TypeVar("T", bound="FixData")


@dataclass(frozen=True)
class LineOf:
    """The 0-based first (or last) line of `node`, as a number once rendered."""

    node: ast.AST
    last: bool = False


Line = Union[int, LineOf]  # an `int` in every finding a front or a fix builder sees


@dataclass(frozen=True)
class FixData:
    def rendered(self: T, line: Callable[[LineOf], int]) -> T:
        return replace(
            self, **{f.name: line(value) for f in fields(self) if isinstance(value := getattr(self, f.name), LineOf)}
        )

    def to_json(self) -> dict[str, Any]:
        return {"kind": type(self).__name__, **{f.name: getattr(self, f.name) for f in fields(self)}}

    @staticmethod
    def from_json(value: object) -> FixData | None:
        """None for anything but what `to_json` wrote (the editor hands the diagnostic's data back)."""
        if not isinstance(value, dict):
            return None
        kind = next((cls for cls in FixData.__subclasses__() if cls.__name__ == value.get("kind")), None)
        if kind is None:
            return None
        given = {f.name: value.get(f.name) for f in fields(kind)}
        if not all(_fits(given[f.name], f.type) for f in fields(kind)):
            return None
        return kind(**given)


def _fits(value: object, annotation: object) -> bool:
    """`annotation` as written in the classes below (`from __future__ import annotations`: a string)."""
    allowed = {"str": (str,), "Line": (int,), "Line | None": (int, type(None))}[str(annotation)]
    return isinstance(value, allowed) and not isinstance(value, bool)


@dataclass(frozen=True)
class ForwardPasses(FixData):
    """GG201: one finding stands for the forward passes of a loop or of a function; the fix wraps them all."""

    loop_line: Line | None = None  # the loop that holds them
    last_line: Line | None = None  # or the line of the last one, outside loops


@dataclass(frozen=True)
class ModelAt(FixData):
    """GG202, GG205: the model (as written: `self.model`) whose mode the fix sets, next to the anchor statement
    (GG202: before it, the evaluation; GG205: after it, the load)."""

    receiver: str
    anchor_line: Line


@dataclass(frozen=True)
class ModelInLoop(FixData):
    """GG203: the model the fix switches back to training mode, and the first statement of the loop's body."""

    receiver: str
    loop_body_line: Line
