"""Analyses and fixes run in worker processes, not threads: `ast.parse` and libcst hold the GIL for a
whole parse, which would stall hovers and cancellations on the event loop while a large file is checked.
A worker that crashes (deeply nested code can overflow the C stack) takes only itself down.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Optional

from ..analysis import AnalysisError, analyze
from ..config import Config
from ..findings import Finding
from .documents import Snapshot
from .regions import GradRegion, find_regions


def _quiet_stdout() -> None:
    """stdout of the server is the JSON-RPC pipe; a worker inherits it, so point it at stderr."""
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())


def analyse(snapshot: Snapshot, config: Optional[Config]) -> tuple:
    """("ok", findings) or ("error", message, line, col): exceptions lose their fields across processes."""
    if config is None:
        return ("ok", [])
    try:
        joined = snapshot.layout.joined
        return ("ok", analyze(snapshot.source, snapshot.path, config, cell_starts=joined.starts if joined else ()))
    except AnalysisError as error:
        return ("error", error.message, error.line, error.col)


def outcome(result: tuple) -> "list[Finding] | AnalysisError":
    return result[1] if result[0] == "ok" else AnalysisError(*result[1:])


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
                max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_quiet_stdout
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
