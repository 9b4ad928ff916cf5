"""Analyses and fixes run in worker processes, not threads: `ast.parse` and libcst hold the GIL for a
whole parse, which would stall hovers and cancellations on the event loop while a large file is checked.
A worker that crashes (deeply nested code can overflow the C stack) takes only itself down.
"""
from __future__ import annotations

import asyncio
import os
import sys
from collections import OrderedDict
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Callable, Optional

from ..analysis import AnalysisError, analyze_module
from ..incremental import DocumentMemo
from ..config import Config
from ..dataflow.crossfile import OutgoingCall, module_name
from ..findings import Finding
from ..processes import tune_garbage_collector, worker_context
from .documents import Snapshot
from .regions import GradRegion, find_regions
from .summaries import IndexChange, ModuleSummary, WorkspaceIndex, summarise_file

# The index of each workspace folder lives in the analysis worker process, so it is not pickled
# with every request: the server sends it file updates only.
_workspaces: dict[str, WorkspaceIndex] = {}
# What the last analysis of each recently analysed program leaves for the next (incremental.py), by key;
# the least recently analysed are dropped, so closed documents do not need a message of their own.
_memos: "OrderedDict[str, DocumentMemo]" = OrderedDict()
MEMOS_KEPT = 8  # documents; a memo holds the tree and the walks of its document


def _start_worker() -> None:
    """stdout of the server is the JSON-RPC pipe; a worker inherits it, so point it at stderr. Workers run
    analyses, so they get the garbage-collector threshold of a check run."""
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    tune_garbage_collector()


@dataclass(frozen=True)
class Analysed:
    findings: list[Finding]
    calls: tuple[OutgoingCall, ...] = ()  # into other modules of the workspace
    index_change: Optional[IndexChange] = None  # the program is a module of a workspace folder: its new entry there


def analyse(snapshot: Snapshot, config: Optional[Config]) -> "Analysed | tuple":
    """`Analysed`, or (message, line, col) of an `AnalysisError`: exceptions lose their fields across processes.
    A program in a workspace folder is analysed with the other modules' summaries, and a module's
    summary replaces its entry in the index."""
    if config is None:
        return Analysed([])
    workspace = _workspaces.setdefault(snapshot.root, WorkspaceIndex()) if snapshot.root else None
    memo = _memos.pop(snapshot.key, None) or DocumentMemo()
    _memos[snapshot.key] = memo
    while len(_memos) > MEMOS_KEPT:
        _memos.popitem(last=False)
    try:
        joined = snapshot.layout.joined
        analysis = analyze_module(snapshot.source, snapshot.path, config, workspace.project if workspace else None,
                                  snapshot.module, cell_starts=joined.starts if joined else (), memo=memo)
    except AnalysisError as error:
        return (error.message, error.line, error.col)
    change = None
    if workspace is not None and snapshot.module:
        summary = ModuleSummary(analysis.exports, tuple(analysis.calls))
        change = IndexChange(snapshot.root, snapshot.module, workspace.update(snapshot.module, summary), summary)
    return Analysed(analysis.findings, tuple(analysis.calls), change)


def outcome(result: "Analysed | tuple") -> "Analysed | AnalysisError":
    return result if isinstance(result, Analysed) else AnalysisError(*result)


def index_files(root: str, files: list[tuple[str, Config]]) -> None:
    """Summarise files read from disk for the index of workspace folder `root` (they count from
    `finish_index`); modules that already have an entry keep it (open documents: the editor's text wins)."""
    workspace = _workspaces.setdefault(root, WorkspaceIndex())
    for path, config in files:
        module = module_name(path, root)
        if module and module not in workspace.entries and (summary := summarise_file(path, module, config)):
            workspace.entries[module] = summary


def finish_index(root: str) -> None:
    _workspaces.setdefault(root, WorkspaceIndex()).rebuild()


def reindex_file(root: str, path: str, config: Optional[Config]) -> IndexChange:
    """Replace a module's entry with its file on disk (dropped when the file is gone or not checked)."""
    module = module_name(path, root)
    summary = summarise_file(path, module, config) if config is not None else None
    before = _workspaces.setdefault(root, WorkspaceIndex()).update(module, summary)
    return IndexChange(root, module, before, summary)


def regions(source: str) -> list[GradRegion]:
    return find_regions(source)


class Pool:
    """One worker process (threads where processes are unavailable), recreated if a worker dies."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.executor = self._start()

    def _start(self) -> Executor:
        try:
            return ProcessPoolExecutor(
                max_workers=1, mp_context=worker_context(), initializer=_start_worker
            )
        except (OSError, NotImplementedError, ImportError):
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"gradguard-{self.name}")

    async def run(self, function: Callable, *args: Any) -> Any:
        try:
            return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)
        except BrokenProcessPool:
            self.executor = self._start()
            raise

    def stop(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
