"""Summaries that cross files: `from .utils import evaluate` carries `evaluate`'s effects
(eval mode left on, grad mode changed) to the caller, and calls from other files of the
project count as call sites of the function they call (a helper only ever called inside
`no_grad`, in any file, runs without gradients).

Everything here is plain data (strings and tuples): it crosses process boundaries for
`--jobs`, and the language server keeps it per workspace. Values are the `.value` of
`Grad`/`Mode`; PASSTHROUGH marks "whatever the caller had" (the function left it unchanged
on some path).
"""

from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass, field
from typing import Final

from .state import Grad, Mode, Possible, Setting, State

PASSTHROUGH: Final = "passthrough"
# Stands for the caller's own setting inside an imported summary: `facts._substitute` replaces
# every setting found in the callee's entry state by the caller's current one.
_CALLER = Setting(Grad.UNKNOWN, None, PASSTHROUGH)


@dataclass(frozen=True)
class Export:
    """What a module-level function does to its caller, in portable form."""

    params: tuple[str, ...]
    grad_exit: tuple[str, ...] | None
    mode_exit: tuple[tuple[str, tuple[str, ...]], ...]
    trains_unset: bool

    @property
    def trivial(self) -> bool:
        return self.grad_exit is None and not self.mode_exit and not self.trains_unset


@dataclass(frozen=True)
class OutgoingCall:
    """A call of a function of another file of the project, with the grad mode at the call."""

    module: str  # absolute dotted name, as imported
    function: str
    grad: tuple[str, ...]


@dataclass
class ProjectIndex:
    """Exports and cross-file call sites of every module of a project, by dotted module name."""

    exports: dict[str, dict[str, Export]] = field(default_factory=dict)
    incoming: dict[str, dict[str, list[tuple[str, ...]]]] = field(default_factory=dict)
    _by_suffix: dict[str, str] | None = field(default=None, repr=False, compare=False)
    changes: int = field(default=0, repr=False, compare=False)  # counts `add`s: the index is updated in place

    def add(self, module: str, exports: dict[str, Export], calls: list[OutgoingCall]) -> None:
        """Set a module's exports and add its calls. Calls link only to modules already added:
        add every module's exports first, then the calls (see `checking._second_pass`)."""
        self.changes += 1
        if module not in self.exports:
            self._by_suffix = None
        self.exports[module] = {name: e for name, e in exports.items() if not e.trivial}
        for call in calls:
            target = self.resolve_module(call.module)
            if target is not None:
                self.incoming.setdefault(target, {}).setdefault(call.function, []).append(call.grad)

    def resolve_module(self, dotted_name: str) -> str | None:
        """`mypkg.eval` -> the indexed module it names (`src.mypkg.eval` in a src layout)."""
        if dotted_name in self.exports:
            return dotted_name
        if self._by_suffix is None:
            self._by_suffix = {}
            for module in sorted(self.exports, key=len, reverse=True):  # the shortest name wins
                parts = module.split(".")
                for start in range(1, len(parts)):
                    self._by_suffix[".".join(parts[start:])] = module
        return self._by_suffix.get(dotted_name)

    def export(self, dotted_name: str, function: str) -> Export | None:
        module = self.resolve_module(dotted_name)
        return self.exports.get(module, {}).get(function) if module else None

    def incoming_grad(self, module: str, function: str) -> Possible | None:
        calls = self.incoming.get(module, {}).get(function)
        if not calls:
            return None
        # enabled callers are the thread's default mode, as for a function nobody in the project calls
        return frozenset(
            Setting(Grad(v), None, "default" if v == Grad.ENABLED.value else "callers")
            for values in calls
            for v in values
        )


def module_name(path: str, root: str) -> str:
    """`root/pkg/utils.py` -> "pkg.utils"; `pkg/__init__.py` -> "pkg"."""
    relative = posixpath.relpath(path.replace("\\", "/"), root.replace("\\", "/"))
    parts = (
        [p for p in relative[:-3].split("/") if p not in ("", ".")] if relative.endswith(".py") else relative.split("/")
    )
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def absolute_import(imported: str, current_module: str, is_package: bool) -> str:
    """`..utils.evaluate` seen from `pkg.train.loop` -> `pkg.utils.evaluate`."""
    level = len(imported) - len(imported.lstrip("."))
    if level == 0:
        return imported
    package = current_module.split(".") if is_package else current_module.split(".")[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join([*base, imported[level:].lstrip(".")]).strip(".")


class ImportedFunction:
    """An `Export` shaped like the `FunctionFacts` that `apply_summary` and GG203 read."""

    is_method = False

    def __init__(self, name: str, export: Export) -> None:
        from .facts import Summary  # facts imports this module

        self.name = name
        self.params = list(export.params)
        caller = frozenset({_CALLER})
        keys = [key for key, _ in export.mode_exit]
        self.entry = State(caller, {key: caller for key in keys}, {})
        self.summary = Summary(
            grad_exit=_settings(export.grad_exit, Grad) if export.grad_exit is not None else None,
            mode_exit={key: _settings(values, Mode) for key, values in export.mode_exit},
            trains_unset=export.trains_unset,
        )


def _settings(values: tuple[str, ...], kind: type) -> Possible:
    return frozenset(_CALLER if v == PASSTHROUGH else Setting(kind(v), None, "callee") for v in values)


def portable(possible: Possible, entry: Possible) -> tuple[str, ...]:
    return tuple(sorted({PASSTHROUGH if s in entry else s.value.value for s in possible}))


def call_target(call: ast.Call, imported: dict[str, str]) -> tuple[str, str] | None:
    """(module, function) of a call of an imported function: `evaluate(...)` after `from .utils import evaluate`."""
    func = call.func
    if isinstance(func, ast.Name) and func.id in imported:
        module, _, name = imported[func.id].rpartition(".")
        return (module, name) if module else None
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in imported:
        return imported[func.value.id], func.attr  # `utils.evaluate(...)` after `from . import utils`
    return None
