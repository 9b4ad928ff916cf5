"""Analyses and fixes run in worker processes, not threads: `ast.parse` and libcst hold the GIL for a
whole parse, which would stall hovers and cancellations on the event loop while a large file is checked.
A worker that crashes (deeply nested code can overflow the C stack) takes only itself down.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import OrderedDict
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Callable

from ..analysis import AnalysisError, UnparsableCell, analyze_module
from ..config import Config
from ..dataflow.crossfile import OutgoingCall, module_name
from ..dataflow.places import ApiName, GradRegion
from ..findings import Finding
from ..incremental import DocumentMemo
from ..processes import tune_garbage_collector, worker_context
from .documents import Snapshot
from .summaries import IndexChange, ModuleSummary, WorkspaceIndex, summarise_file

# The index of each workspace folder lives in the analysis worker process, so it is not pickled
# with every request: the server sends it file updates only.
_workspaces: dict[str, WorkspaceIndex] = {}
# What the last analysis of each recently analysed program leaves for the next (incremental.py), by key;
# the least recently analysed are dropped, so closed documents do not need a message of their own.
_memos: OrderedDict[str, DocumentMemo] = OrderedDict()
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
    index_change: IndexChange | None = None  # the program is a module of a workspace folder: its new entry there
    left_out: tuple[UnparsableCell, ...] = ()  # notebook cells that do not parse, analysed without them
    regions: tuple[GradRegion, ...] = ()  # for the hover
    api_names: tuple[ApiName, ...] = ()
    statements: tuple[int, int] = (0, 0)  # top-level statements analysed (the others' results reused), of all


def analyse(snapshot: Snapshot, config: Config | None) -> Analysed | tuple:
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
        analysis = analyze_module(
            snapshot.source,
            snapshot.path,
            config,
            workspace.project if workspace else None,
            snapshot.module,
            cell_starts=joined.starts if joined else (),
            cell_numbers=snapshot.layout.numbers,
            memo=memo,
            hover_places=True,
        )
    except AnalysisError as error:
        return (error.message, error.line, error.col)
    change = None
    if workspace is not None and snapshot.module:
        summary = ModuleSummary(analysis.exports, tuple(analysis.calls), analysis.classes)
        change = IndexChange(snapshot.root, snapshot.module, workspace.update(snapshot.module, summary), summary)
    return Analysed(
        analysis.findings,
        tuple(analysis.calls),
        change,
        analysis.left_out,
        tuple(analysis.grad_regions),
        tuple(analysis.api_names),
        memo.analysed,
    )


def outcome(result: Analysed | tuple) -> Analysed | AnalysisError:
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


def reindex_file(root: str, path: str, config: Config | None) -> IndexChange:
    """Replace a module's entry with its file on disk (dropped when the file is gone or not checked)."""
    module = module_name(path, root)
    summary = summarise_file(path, module, config) if config is not None else None
    before = _workspaces.setdefault(root, WorkspaceIndex()).update(module, summary)
    return IndexChange(root, module, before, summary)


class Pool:
    """One worker process (threads where processes are unavailable), recreated if a worker dies.

    With `stop_cancelled`, a job whose caller is cancelled (`$/cancelRequest`, or a newer request) while
    it runs stops with its worker, and a fresh worker takes the jobs waiting behind it: a fix-all of a
    large file takes minutes, and the worker would otherwise finish it for nobody. Only for pools of
    long jobs: a new worker costs a second of CPU (it imports libcst) and loses the fix engine's parses."""

    def __init__(self, name: str, stop_cancelled: bool = False) -> None:
        self.name = name
        self.stop_cancelled = stop_cancelled
        self.executor = self._start()
        self.jobs: set[Future] = set()  # submitted and not done
        self.displaced: set[Future] = set()  # stopped with a worker that ran another job: to be run again

    def _start(self) -> Executor:
        try:
            return ProcessPoolExecutor(max_workers=1, mp_context=worker_context(), initializer=_start_worker)
        except (OSError, NotImplementedError, ImportError):
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"gradguard-{self.name}")

    def start(self) -> None:
        """Start the worker ahead of its first job."""
        self.executor.submit(len, "")

    async def run(self, function: Callable, *args: Any) -> Any:
        while True:
            executor = self.executor
            job = executor.submit(function, *args)
            self.jobs.add(job)
            try:
                await _settled(job)
            except asyncio.CancelledError:
                if not job.cancel() and self.stop_cancelled and self.executor is executor:
                    self._stop_worker(job)
                raise
            finally:
                self.jobs.discard(job)
            displaced = job in self.displaced
            self.displaced.discard(job)
            if displaced and (job.cancelled() or isinstance(job.exception(), BrokenProcessPool)):
                continue
            try:
                return job.result()
            except BrokenProcessPool:
                if self.executor is executor:  # not yet replaced (by another job that saw it broken)
                    self.executor = self._start()
                raise

    def _stop_worker(self, cancelled: Future) -> None:
        stopped = self.executor
        self.executor = self._start()
        self.displaced |= self.jobs - {cancelled}
        _terminate(stopped)

    def stop(self) -> None:
        """The server is exiting: a running job is not waited for (Python's exit would wait for it)."""
        _terminate(self.executor)


_started_early: dict[str, Pool] = {}


def start_early(name: str) -> None:
    """Start the worker of the pool `name` before the server that uses it is built (`pool_named`): a worker
    spends a few tenths of a second starting Python and importing the analysis, which then overlap the
    server's own imports (pygls and lsprotocol, half a second) instead of delaying the first analysis."""
    pool = _started_early[name] = Pool(name)
    pool.start()


def pool_named(name: str) -> Pool:
    """The pool started early under that name, or a new one."""
    return _started_early.pop(name, None) or Pool(name)


def _settled(job: Future) -> asyncio.Future[None]:
    """Done when `job` is, whatever its outcome; cancelling the awaiting task leaves `job` to the caller
    (`asyncio.wrap_future` would cancel it too, and a displaced job would look like a cancelled caller)."""
    loop = asyncio.get_running_loop()
    settled = loop.create_future()

    def mark() -> None:
        if not settled.done():
            settled.set_result(None)

    def on_done(_: Future) -> None:  # in a thread of the executor
        with suppress(RuntimeError):  # the loop is closed: the server is exiting
            loop.call_soon_threadsafe(mark)

    job.add_done_callback(on_done)
    return settled


def _terminate(executor: Executor) -> None:
    processes = list((getattr(executor, "_processes", None) or {}).values())  # a thread cannot be stopped
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
