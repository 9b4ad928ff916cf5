"""What a fix builder gets: the finding, the parsed source, and how to spell a grad-mode call there."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Callable, TypeVar

import libcst as cst

from ..config import Config
from ..findings import Finding, Fix
from ..fixdata import FixData, Line
from .spelling import grad_mode_callee, with_torch_import
from .tree import SourceTree

INFERENCE_MODE_SINCE = (1, 9)
Data = TypeVar("Data", bound=FixData)


@dataclass(frozen=True)
class FixContext:
    source: str
    finding: Finding
    config: Config
    tree: SourceTree
    cell_starts: Sequence[int] = ()  # notebook: 0-based joined-source lines where cells begin

    def grad_mode_call(self, api: str, at: cst.CSTNode, arguments: str = "") -> tuple[str, bool]:
        """The call text (`T.no_grad()`), and whether `import torch` must be added for it."""
        scopes = [n for n in [at, *self.tree.ancestors(at)] if isinstance(n, (cst.Module, cst.FunctionDef))]
        callee = grad_mode_callee(scopes, api)
        return (f"{callee or 'torch.' + api}({arguments})", callee is None)

    def finish(self, module: cst.Module, needs_import: bool) -> cst.Module:
        return with_torch_import(module) if needs_import else module

    def allows_inference_mode(self) -> bool:
        version = self.config.torch_version
        if version is None:
            return True
        return tuple(int(part) for part in version.split(".")[:2]) >= INFERENCE_MODE_SINCE

    def same_cell(self, first_line: int, line: int) -> bool:
        return not any(first_line < start <= line for start in self.cell_starts)

    def data(self, kind: type[Data]) -> Data | None:
        """The finding's data when it is of the shape the builder reads (its rule's), else None: no fix."""
        return self.finding.data if isinstance(self.finding.data, kind) else None


def line_number(value: Line | None) -> int | None:
    """A line of rendered data (always a number by the time a builder reads it)."""
    return value if isinstance(value, int) else None


# A builder yields its fixes preferred first; it may be a generator, so unused alternatives cost nothing.
Builder = Callable[[FixContext], Iterable[Fix]]
