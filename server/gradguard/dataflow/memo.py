"""What one analysis of a document computed that the next analysis of it may reuse.

The language server analyses a document again on every edit, and `reparse.Reparser` hands the
next analysis the very `ast` nodes of the statements the edit did not touch. Work that depends
only on such a node (its own nodes), or on the node and inputs compared on reuse (a function's
walk: its entry state, its model names, the module's imports and model classes, and the summary
of every callee it applied), is looked up here instead of being done again. Entries not used by
an analysis are dropped after it, so the memo holds one analysis' worth.
"""

from __future__ import annotations

import ast
from collections.abc import Hashable
from typing import Any

from .crossfile import ImportedFunction
from .functions import FunctionFacts


class FactsMemo:
    def __init__(self) -> None:
        self.context: Any = None  # settings and project the entries were computed with
        self._previous: dict[Hashable, Any] = {}
        self._current: dict[Hashable, Any] = {}

    def start(self, context: Any) -> None:
        """Begin an analysis; entries computed under another context are dropped."""
        if context != self.context:
            self.context, self._previous = context, {}
        self._current = {}

    def get(self, key: Hashable) -> Any:
        value = self._current.get(key)
        if value is None:
            value = self._previous.get(key)
            if value is not None:
                self._current[key] = value
        return value

    def put(self, key: Hashable, value: Any) -> Any:
        self._current[key] = value
        return value

    def finish(self) -> None:
        self._previous, self._current = self._current, {}


def walk_dependency(call: ast.Call, callee: FunctionFacts | ImportedFunction | None) -> tuple:
    """What a walk took from a call's callee: which function it is and what `apply_summary` read of it."""
    if callee is None:
        return (call, None)
    identity = callee.node if isinstance(callee, FunctionFacts) else (callee.name, tuple(callee.params))
    return (call, identity, callee.summary, callee.entry)
