"""What a fix builder gets: the finding, the parsed source, and how to spell a grad-mode call there."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from ..config import Config
from ..findings import Finding
from .spelling import grad_mode_callee, with_torch_import
from .tree import SourceTree

INFERENCE_MODE_SINCE = (1, 9)


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

    def data_str(self, key: str) -> str | None:
        value = self.finding.data.get(key)
        return value if isinstance(value, str) else None

    def data_int(self, key: str) -> int | None:
        value = self.finding.data.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None
