"""Workspace-wide summaries: what each module of a workspace folder exports and which functions of
other modules it calls (`ProjectIndex`), kept in the analysis worker and updated one module at a time.

Files are only read, never imported or run.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field, replace
from typing import Callable

from ..analysis import analyze_module
from ..config import Config
from ..dataflow.crossfile import NO_CLASSES, Export, ModuleClasses, OutgoingCall, ProjectIndex

MAX_FILES = 5000
SKIPPED_DIRECTORIES = frozenset({"node_modules", "build", "dist", "__pycache__"})


@dataclass(frozen=True)
class ModuleSummary:
    """One module's entry in the index: what its functions do to callers, its calls into other modules,
    and its classes."""

    exports: dict[str, Export] = field(default_factory=dict)
    calls: tuple[OutgoingCall, ...] = ()
    classes: ModuleClasses = NO_CLASSES


NO_SUMMARY = ModuleSummary()


def imports_name(module: str, imported: str) -> bool:
    """`imported` (a module as an import spells it) is `module` (its dotted name under the workspace
    folder), also when the folder holds a src layout (`src.pkg.utils` imported as `pkg.utils`)."""
    return module == imported or module.endswith("." + imported)


@dataclass(frozen=True)
class IndexChange:
    """A module's entry in a workspace index before and after an update (None: no entry)."""

    root: str
    module: str
    before: ModuleSummary | None
    after: ModuleSummary | None

    def affects(self, root: str, module: str, calls: tuple[OutgoingCall, ...]) -> bool:
        """Whether the analysis of a program (in workspace folder `root`, named `module`, making `calls`)
        may come out differently: it calls into this module and the exports changed, or this module's
        calls into it changed (its functions' call sites)."""
        if root != self.root or (module and module == self.module):
            return False
        before, after = self.before or NO_SUMMARY, self.after or NO_SUMMARY
        if (before.exports != after.exports or before.classes != after.classes) and any(
            imports_name(self.module, call.module) for call in calls
        ):
            return True
        changed_calls = set(before.calls) ^ set(after.calls)
        return bool(module) and any(imports_name(module, call.module) for call in changed_calls)


class WorkspaceIndex:
    """A `ProjectIndex` kept up to date module by module. `ProjectIndex.add` appends call sites and
    resolves them against the modules known at that moment, so when a module's calls change (or a
    module comes or goes) the index is built again from the entries."""

    def __init__(self) -> None:
        self.entries: dict[str, ModuleSummary] = {}
        self.project = ProjectIndex()
        self.indexed: dict[str, ModuleSummary] = {}  # the entries `project` holds

    def update(self, module: str, summary: ModuleSummary | None) -> ModuleSummary | None:
        """Set the module's entry (None: drop it); returns the entry it replaced. An unchanged entry leaves
        the index as it is: a change counted by `ProjectIndex.add` makes every open document's next analysis
        a whole one (the memo's context holds it), and each analysis of a module sets its entry again."""
        before = self.entries.get(module)
        if before == summary:
            return before
        self.entries.pop(module, None)
        if summary is not None:
            self.entries[module] = summary
        if before is not None and summary is not None and before.calls == summary.calls:
            self.project.add(module, summary.exports, [], summary.classes)  # replaces its exports; the call sites stay
            self.indexed[module] = summary
        elif before != summary:
            self.rebuild()
        return before

    def rebuild(self) -> None:
        """The index built again from the entries. It counts a change for each module whose entry changed since
        the last build, and none for the others: an open document's memo keeps its results unless what
        changed can reach it (`ProjectIndex.changes_seen_by`)."""
        project = ProjectIndex()
        for module, summary in self.entries.items():
            project.add(module, summary.exports, [], summary.classes)
        resolve = _module_resolver(self.entries)  # every module is known now, so each call resolves
        for module, summary in self.entries.items():
            calls = [replace(call, module=target) for call in summary.calls if (target := resolve(call.module))]
            project.add(module, summary.exports, calls, summary.classes)
        before = self.project
        changed = [
            module for module in {*self.entries, *self.indexed} if self.entries.get(module) != self.indexed.get(module)
        ]
        project.lineage, project.changes = before.lineage, before.changes + len(changed)
        project.changes_by_module = dict(before.changes_by_module)
        for module in changed:
            project.changes_by_module[module] = project.changes_by_module.get(module, 0) + 1
        self.project, self.indexed = project, dict(self.entries)


def _module_resolver(modules: dict[str, ModuleSummary]) -> Callable[[str], str | None]:
    """`ProjectIndex.resolve_module` without a scan of every module for each name (a src layout
    imports `src.pkg.utils` as `pkg.utils`): the module itself, else the shortest that ends with it."""
    by_suffix: dict[str, str] = {}
    for module in sorted(modules, key=len):
        parts = module.split(".")
        for start in range(1, len(parts)):
            by_suffix.setdefault(".".join(parts[start:]), module)
    return lambda name: name if name in modules else by_suffix.get(name)


def python_files(root: str) -> list[str]:
    """The `*.py` files under `root` (at most MAX_FILES), leaving out hidden directories (`.git`),
    virtual environments, `node_modules` and build output."""
    found: list[str] = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if not _skipped(os.path.join(directory, d)))
        found.extend(os.path.join(directory, name) for name in sorted(files) if name.endswith(".py"))
        if len(found) >= MAX_FILES:
            return found[:MAX_FILES]
    return found


def _skipped(directory: str) -> bool:
    name = os.path.basename(directory)
    return name.startswith(".") or name in SKIPPED_DIRECTORIES or os.path.exists(os.path.join(directory, "pyvenv.cfg"))


def summarise_file(path: str, module: str, config: Config) -> ModuleSummary | None:
    """The summary of a file on disk; None when it cannot be read or analysed (it then adds nothing)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO named `x.py` would block the read
            return None
        with open(path, "rb") as stream:
            source = stream.read().decode("utf-8", errors="ignore")
        analysis = analyze_module(source, path, config, module=module)
    except Exception:  # unreadable, does not parse, or a rule failed on it: one file must not stop the index
        return None
    return ModuleSummary(analysis.exports, tuple(analysis.calls), analysis.classes)
