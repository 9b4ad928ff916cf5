"""The running server's view of the editor: which programs are open, analysing them, publishing results."""

from __future__ import annotations

import asyncio
import os
import traceback
from collections.abc import Sequence
from typing import Any, Callable
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from .. import __version__
from .actions import prepare_fixes
from .convert import left_out_note, syntax_note, to_diagnostic
from .documents import Program, Snapshot, Stamp, file_snapshot, notebook_snapshot
from .protocol import GradGuardProtocol
from .settings import Settings
from .summaries import MAX_FILES, IndexChange, python_files
from .workers import Analysed, Pool, analyse, finish_index, index_files, outcome, pool_named, reindex_file

# A result is published only once its text has been left alone this long, so a burst of edits publishes
# only its last version; the analysis runs meanwhile, so an idle edit waits max(analysis, this), not the sum.
# 40 ms: longer than the gap between auto-repeated keys (about 30 ms), so a held key still publishes once.
CHANGE_DEBOUNCE_SECONDS = 0.04
# After a publish, the fix engine parses the text ahead of quick-fix requests once the text stays unchanged
# this long. Only the first parse of a document is a whole one (seconds on a large file), and it starts at
# once; later texts re-parse what the edit touched (fixes/tree.py), so a parse during typing costs little.
FIX_WARMUP_IDLE_SECONDS = 0.1
INDEX_BATCH = 20  # files per request while the workspace index is built: analyses of open files get turns
PYTHON_SUFFIXES = (".py", ".pyi")
NOTEBOOK_SYNC = types.NotebookDocumentSyncOptions(
    notebook_selector=[
        types.NotebookDocumentFilterWithCells(
            notebook="jupyter-notebook", cells=[types.NotebookCellLanguage(language="python")]
        )
    ],
    save=True,
)


class GradGuardServer(LanguageServer):
    protocol: GradGuardProtocol  # `protocol_cls` below

    def __init__(self) -> None:
        super().__init__(
            "gradguard",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            notebook_document_sync=NOTEBOOK_SYNC,
            protocol_cls=GradGuardProtocol,
        )
        self.settings = Settings(self.log)
        self.programs: dict[str, Program] = {}
        self.analysing: dict[str, tuple[Stamp, asyncio.Task]] = {}  # per program: the text being analysed
        self.pending: dict[str, asyncio.Task] = {}  # analysing a program until its newest text is published
        self.publish_after: dict[str, float] = {}  # per program: loop time before which no result is published
        self.follow_ups: dict[str, asyncio.Task] = {}  # after a publish: the fix engine's parse
        self.first_parses: dict[str, asyncio.Task] = {}  # the fix engine's whole parse of a program: edits let it run
        self.fix_parsed: set[str] = set()  # programs the fix engine parses or has parsed a text of
        self.warming: asyncio.Task | None = None  # the one parse for the fix engine that may run
        # Per program: how often it was analysed again because other files' summaries changed (in its stamp).
        self.rechecks: dict[str, int] = {}
        self.indexing: asyncio.Task | None = None
        self.background_started = False  # see start_background_work
        self.pull = False  # the client pulls diagnostics (textDocument/diagnostic) instead of receiving pushes
        self.pulled_older: set[str] = set()  # programs whose last pull was answered with an older text's result
        # Separate workers, so a slow fix computation does not delay diagnostics.
        self.analysis_pool = pool_named("analysis")
        self.fix_pool = Pool("fixes")
        # A fix-all of a large file can take minutes: its own worker, started on the first one, so quick
        # fixes (of any document) never wait behind it, and stopped when its request is cancelled.
        self.fix_all_pool = Pool("fix-all", stop_cancelled=True)

    def stop_workers(self) -> None:
        """Drop pending analyses and queued fix computations so the process can exit promptly."""
        analyses = [task for _, task in self.analysing.values()]
        for task in [
            *analyses,
            *self.pending.values(),
            *self.follow_ups.values(),
            *self.first_parses.values(),
            *([self.indexing] if self.indexing else []),
        ]:
            task.cancel()
        self.analysing.clear()
        self.pending.clear()
        self.follow_ups.clear()
        self.first_parses.clear()
        self.analysis_pool.stop()
        self.fix_pool.stop()
        self.fix_all_pool.stop()

    # ------------------------------------------------------------------ logging

    def log(self, message: str, level: types.MessageType = types.MessageType.Info) -> None:
        self.window_log_message(types.LogMessageParams(type=level, message=f"[gradguard] {message}"))

    def trace(self, message: str) -> None:
        """`$/logTrace` when the client asked for a verbose trace: the server's own timings."""
        if self.protocol.trace == types.TraceValue.Verbose:
            self.log_trace(types.LogTraceParams(message=f"[gradguard] {message}"))

    def log_exception(self, context: str) -> None:
        self.log(f"{context} failed:\n{traceback.format_exc()}", types.MessageType.Error)

    def report_server_error(self, error: Exception, source: object) -> None:
        """Errors go to the output channel, never as pop-ups: one bad handler must not spam the user.
        pygls' reader passes JSON that does not decode here (ValueError) and answers nothing itself."""
        if source is JsonRpcException and isinstance(error, ValueError):
            self.protocol.answer_parse_error()
            self.log(f"a message that is not JSON: {error}", types.MessageType.Error)
            return
        detail = getattr(error, "data", None) or error
        self.log(f"internal error ({getattr(source, '__name__', source)}): {detail}", types.MessageType.Error)

    # ------------------------------------------------------------------ documents

    def open_document(self, uri: str) -> TextDocument | None:
        """Only documents the editor opened; `workspace.get_text_document` would invent one from disk."""
        return self.workspace.text_documents.get(unquote(uri))

    def program_key(self, uri: str) -> str | None:
        """The program a document belongs to: its notebook, or itself when it is a Python file."""
        notebook = self.workspace.get_notebook_document(cell_uri=uri)
        if notebook is not None:
            return notebook.uri
        doc = self.open_document(uri)
        if doc is None or not (doc.language_id == "python" or doc.uri.endswith(PYTHON_SUFFIXES)):
            return None
        return doc.uri

    def open_program_keys(self) -> list[str]:
        keys = {self.program_key(doc.uri) for doc in list(self.workspace.text_documents.values())}
        return sorted(key for key in keys if key)

    def workspace_roots(self) -> list[str]:
        uris = [folder.uri for folder in self.workspace.folders.values()]
        if not uris and self.workspace.root_uri:
            uris = [self.workspace.root_uri]
        return sorted({path for uri in uris if (path := to_fs_path(uri))})

    def workspace_root(self, path: str) -> str:
        """The innermost workspace folder holding `path`, or ""."""
        return max(
            (root for root in self.workspace_roots() if path.startswith(os.path.join(root, ""))), key=len, default=""
        )

    def snapshot(self, key: str) -> Snapshot | None:
        notebook = self.workspace.get_notebook_document(notebook_uri=key)
        if notebook is not None:
            cells = []
            for index, cell in enumerate(notebook.cells):
                doc = self.open_document(cell.document)
                if cell.kind == types.NotebookCellKind.Code and doc is not None:
                    cells.append((cell.document, doc.source, doc.version, index))
            path = to_fs_path(notebook.uri) or notebook.uri
            return notebook_snapshot(notebook.uri, path, cells, self.workspace_root(path)) if cells else None
        doc = self.open_document(key)
        if doc is None:
            return None
        path = to_fs_path(doc.uri) or doc.uri
        return file_snapshot(doc.uri, path, doc.source, doc.version or 0, self.workspace_root(path))

    def stamp(self, snapshot: Snapshot) -> Stamp:
        return (snapshot.layout.uris, snapshot.versions, self.settings.generation, self.rechecks.get(snapshot.key, 0))

    def forget(self, key: str) -> Program | None:
        _, analysis = self.analysing.pop(key, (None, None))
        if analysis is not None:
            analysis.cancel()
        self.fix_parsed.discard(key)
        for tasks in (self.pending, self.follow_ups, self.first_parses):
            task = tasks.pop(key, None)
            if task is not None:
                task.cancel()
        self.publish_after.pop(key, None)
        self.rechecks.pop(key, None)
        self.pulled_older.discard(key)
        return self.programs.pop(key, None)

    # ------------------------------------------------------------------ analysis

    async def refresh(self, key: str) -> Program | None:
        """Analyse the program if it changed. One analysis of a program runs at a time, of its newest text
        when it starts: a caller asking while an older text is analysed waits for that analysis and gets its
        result moved through the edits made since (`is_current` false; asking again analyses the newest
        text). So a text typed over before its turn is never analysed, and nobody waits behind analyses of
        texts already gone (each pull of a typing client started one, and they queued up in the worker).
        None when it closed, or changed meanwhile in a way the result cannot follow (result dropped). Each
        text is analysed once however many ask (the server's own loop, pulls, fix-all)."""
        snapshot = self.snapshot(key)
        if snapshot is None:
            return None
        program = self.programs.setdefault(key, Program(key, snapshot.layout))
        stamp = self.stamp(snapshot)
        if program.analysed == stamp:
            return program
        running = self.analysing.get(key)
        if running is None:
            running = (stamp, asyncio.ensure_future(self._analyse(key, snapshot, stamp, program)))
            self.analysing[key] = running
        # Shielded: a caller that is cancelled (a pull superseded by the next one) leaves it to the others.
        return await asyncio.shield(running[1])

    async def pulled_analysis(self, uri: str) -> Program | None:
        """What a `textDocument/diagnostic` pull of `uri` answers. A client that can be asked to pull again
        gets the first result in, which may be an older text's moved through the edits made since: while
        someone types faster than the analysis runs, VS Code cancels each pull at the next keystroke, so a
        pull waiting for its own text's analysis was never answered until the typing stopped. The client is
        asked to pull again once the newest text's result is in (`_analyse_until_published`). Other clients
        wait for the newest text's result."""
        if not self.can_ask_to_pull_again():
            return await self.newest_analysis(uri)
        key, program = self.program_key(uri), None
        for _ in range(3):  # the result of a text changed in a way it cannot follow is dropped: try again
            if key is None:
                return None
            program = await self.refresh(key)
            if program is not None:
                break
            key = self.program_key(uri)
        if key is None:
            return None
        # Dropped three times (a notebook edited during each analysis: results cannot be moved through its
        # edits): the findings kept, moved through the edits where they could be, rather than none, which
        # would clear the editor's.
        program = program or self.programs.get(key)
        if program is None:
            return None
        if not self.is_current(key, program):
            self.pulled_older.add(key)
            if key not in self.pending:  # pulls analyse even when not run on type
                self.schedule(key, 0)
        return program

    async def newest_analysis(self, uri: str) -> Program | None:
        """The program of `uri` analysed for its newest text; None when it closed or kept changing."""
        # The document may change while it is analysed: try again on the newer text. The first wait may be
        # for an older text's analysis, already running.
        for _ in range(4):
            key = self.program_key(uri)
            if not key:
                return None
            program = await self.refresh(key)
            if program is not None and self.is_current(key, program):
                return program
        return None

    def analysis_of(self, snapshot: Snapshot, program: Program | None) -> Program | None:
        """`program` if it holds the analysis of this very text (not an older one's findings moved)."""
        if program is not None and program.analysed == self.stamp(snapshot) and program.syntax_error is None:
            return program
        return None

    async def fixes_of(
        self, current: Program | None, snapshot: Snapshot, cache_key: tuple, pool: Pool, compute: Callable, *args: Any
    ) -> Any:
        """Fixes computed for the analysed text are kept until it changes: editors ask for code actions on
        every cursor move."""
        if current and cache_key in current.fixes:
            return current.fixes[cache_key]
        result = await pool.run(compute, *args)
        if current and current.analysed == self.stamp(snapshot):
            current.fixes[cache_key] = result
        return result

    def resolves_edits(self) -> bool:
        """The client can ask for a code action's edit once it is chosen (`codeAction/resolve`)."""
        text_caps = self.client_capabilities.text_document
        resolve = text_caps and text_caps.code_action and text_caps.code_action.resolve_support
        return bool(resolve and "edit" in resolve.properties)

    def is_current(self, key: str, program: Program) -> bool:
        snapshot = self.snapshot(key)
        return snapshot is not None and program.analysed == self.stamp(snapshot)

    async def _analyse(self, key: str, snapshot: Snapshot, stamp: Stamp, program: Program) -> Program | None:
        try:
            config = self.settings.config_for(snapshot.path)
            loop = asyncio.get_running_loop()
            started = loop.time()
            result = outcome(await self.analysis_pool.run(analyse, snapshot, config))
            if not self.background_started:
                self.background_started = True
                self.start_background_work()
            milliseconds = (loop.time() - started) * 1000
            statements = (
                f" ({result.statements[0]} of {result.statements[1]} top-level statements)"
                if isinstance(result, Analysed)
                else ""
            )
            self.trace(f"analysed {key} version {snapshot.versions} in {milliseconds:.0f} ms{statements}")
            if isinstance(result, Analysed) and result.index_change is not None:
                self.recheck(self.affected_by(result.index_change))  # the index changed, even if this result is dropped
            latest = self.snapshot(key)
            if latest is None or self.programs.get(key) is not program:
                return None
            if self.stamp(latest) == stamp:
                program.record(snapshot, stamp, result)
                return program
            # Typed in meanwhile: the result, moved through the edits, is still worth showing until the
            # newest text is analysed (a person typing on a large file may never pause as long as an analysis).
            only_typed = self.stamp(latest)[2:] == stamp[2:]  # same settings and other files' summaries
            if only_typed and isinstance(result, Analysed) and program.catch_up(snapshot, stamp, result):
                return program
            return None
        finally:
            if self.analysing.get(key, (None, None))[1] is asyncio.current_task():
                del self.analysing[key]

    def schedule(self, key: str, quiet: float = CHANGE_DEBOUNCE_SECONDS) -> None:
        """Analyse the program's newest text as soon as its previous analysis is done, and publish it once
        the text has been left alone for `quiet` seconds (0: at once, e.g. on save)."""
        self.publish_after[key] = asyncio.get_running_loop().time() + quiet
        follow_up = self.follow_ups.pop(key, None)
        if follow_up is not None:
            follow_up.cancel()
        if key not in self.pending:  # a running analysis loop picks the newer text up itself
            self.pending[key] = asyncio.ensure_future(self._analyse_until_published(key))

    async def _analyse_until_published(self, key: str) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                program = await self.refresh(key)
                if program is None:
                    if self.snapshot(key) is None:
                        return  # closed
                    continue  # the text changed during the analysis: analyse the newest one now
                self.start_first_parse(key, program)
                wait = self.publish_after.get(key, 0) - loop.time()
                if not self.is_current(key, program):
                    # An older text's findings moved to the newest: shown while the newest one is analysed,
                    # unless the text is still in the middle of a burst of changes.
                    if wait <= 0 and not self.pull:
                        self.publish(program)
                    continue
                if wait <= 0:
                    break
                await asyncio.sleep(wait)  # then refresh again: a no-op unless the text changed meanwhile
            if not self.pull:
                self.publish(program)
            elif key in self.pulled_older:
                self.pulled_older.discard(key)
                self.ask_to_pull_again()
            if program.syntax_error is None and program.findings:
                self.follow_ups[key] = asyncio.ensure_future(self._follow_up(key, program))
        except asyncio.CancelledError:
            raise
        except Exception:
            self.log_exception(f"analysis of {key}")
        finally:
            if self.pending.get(key) is asyncio.current_task():
                del self.pending[key]

    def start_first_parse(self, key: str, program: Program) -> None:
        """The fix engine's first parse of a program is a whole one (seconds on a large file), which a quick fix
        would wait for: it starts with the first result, typed over or not, and finishes while the text changes
        (a person often types on at once). Later texts re-parse only their edits from it (`_follow_up`)."""
        if key not in self.fix_parsed and program.syntax_error is None and program.findings:
            self.fix_parsed.add(key)
            self.first_parses[key] = asyncio.ensure_future(self._parse_for_fixes(key, program))

    async def _follow_up(self, key: str, program: Program) -> None:
        """Cancelled by the next change (`schedule`): the fix engine's parse is for this text only."""
        try:
            await asyncio.sleep(FIX_WARMUP_IDLE_SECONDS)
            await self._parse_for_fixes(key, program)
        finally:
            if self.follow_ups.get(key) is asyncio.current_task():
                del self.follow_ups[key]

    async def _parse_for_fixes(self, key: str, program: Program) -> None:
        """The fix engine parses the published text, in its own worker, ahead of quick-fix requests."""
        try:
            # Only the program published last: opening many files must not queue a parse for each. A program's
            # first parse is left to finish: its next texts re-parse only their edits from it.
            if self.warming is not None and self.warming is not self.first_parses.get(key):
                self.warming.cancel()
            self.warming = asyncio.current_task()
            # the program's text now: a later analysis replaces it in `program`
            source, versions = program.source, program.analysed[1] if program.analysed else ()
            codes = sorted({finding.code for finding in program.findings})
            loop = asyncio.get_running_loop()
            started = loop.time()
            parsed = await self.fix_pool.run(prepare_fixes, source, codes)
            milliseconds = (loop.time() - started) * 1000
            self.trace(f"fix engine parsed {key} version {versions}: {parsed}, {milliseconds:.0f} ms")
        except asyncio.CancelledError:
            raise
        except Exception:
            self.log_exception(f"parse for fixes of {key}")
        finally:
            if self.first_parses.get(key) is asyncio.current_task():
                del self.first_parses[key]
            if self.warming is asyncio.current_task():
                self.warming = None

    def reanalyse_all(self) -> None:
        for key in self.open_program_keys():
            self.schedule(key, 0)
        self.ask_to_pull_again()

    def recheck(self, keys: list[str]) -> None:
        """Analyse programs again although their text did not change: summaries of other files did."""
        for key in keys:
            self.rechecks[key] = self.rechecks.get(key, 0) + 1
            self.schedule(key, 0)
        if keys:
            self.ask_to_pull_again()

    def can_ask_to_pull_again(self) -> bool:
        workspace_caps = self.client_capabilities.workspace
        refresh = workspace_caps and workspace_caps.diagnostics and workspace_caps.diagnostics.refresh_support
        return self.pull and bool(refresh)

    def ask_to_pull_again(self) -> None:
        if self.can_ask_to_pull_again():
            self.workspace_diagnostic_refresh(None)

    # ------------------------------------------------------------------ workspace index

    def affected_by(self, change: IndexChange) -> list[str]:
        """The open programs whose analysis depends on what changed in one module's summary."""
        return [
            key for key, program in self.programs.items() if change.affects(program.root, program.module, program.calls)
        ]

    def start_background_work(self) -> None:
        """After the first analysis, not before it: the first diagnostics wait for neither the other workers'
        start (each imports for a few tenths of a CPU-second, on the cores the analysis needs) nor the
        workspace index."""
        self.fix_pool.start()
        self.indexing = asyncio.ensure_future(self.index_workspaces())

    async def index_workspaces(self) -> None:
        """Summarise every module of each workspace folder in the analysis worker, a batch at a time so
        the open files' analyses are not held up, then check the open programs again with the index."""
        try:
            for root in self.workspace_roots():
                paths = await self.analysis_pool.run(python_files, root)
                for start in range(0, len(paths), INDEX_BATCH):
                    batch = [
                        (path, config)
                        for path in paths[start : start + INDEX_BATCH]
                        if (config := self.settings.config_for(path)) is not None
                    ]
                    await self.analysis_pool.run(index_files, root, batch)
                await self.analysis_pool.run(finish_index, root)
                limit = f" (the first {MAX_FILES})" if len(paths) >= MAX_FILES else ""
                self.log(f"workspace index of {root}: {len(paths)} Python files{limit}")
            self.recheck([key for key, program in self.programs.items() if program.root])
        except asyncio.CancelledError:
            raise
        except Exception:
            self.log_exception("indexing the workspace")

    async def reindex(self, uris: list[str]) -> None:
        """Python files changed on disk (or were closed in the editor): their summaries are read from
        disk again, and the open programs that depend on them are checked again. Open documents are
        left to their own analyses: the editor's text wins over the file."""
        for uri in uris:
            path = to_fs_path(uri)
            root = self.workspace_root(path) if path and path.endswith(".py") else ""
            if path and root and self.open_document(uri) is None:
                change = await self.analysis_pool.run(reindex_file, root, path, self.settings.config_for(path))
                self.recheck(self.affected_by(change))

    # ------------------------------------------------------------------ diagnostics

    def diagnostics(self, program: Program) -> dict[str, list[types.Diagnostic]]:
        codec = self.workspace.position_codec
        lines_cache: dict[str, Sequence[str]] = {}

        def lines_of(uri: str) -> Sequence[str]:
            if uri not in lines_cache:
                doc = self.open_document(uri)
                lines_cache[uri] = doc.lines if doc is not None else []
            return lines_cache[uri]

        by_uri: dict[str, list[types.Diagnostic]] = {uri: [] for uri in program.layout.uris}
        for finding in program.findings:
            uri, diagnostic = to_diagnostic(finding, program.layout.place, lines_of, codec)
            by_uri.setdefault(uri, []).append(diagnostic)
        if program.syntax_error is not None:
            uri, note = syntax_note(program.syntax_error, program.layout.place, lines_of, codec)
            by_uri.setdefault(uri, []).append(note)
        for cell in program.left_out:
            uri, note = left_out_note(cell, program.layout.place, lines_of, codec)
            by_uri.setdefault(uri, []).append(note)
        return by_uri

    def publish(self, program: Program) -> None:
        """Called with no `await` since the stamp check, so the versions sent are the analysed ones."""
        by_uri = self.diagnostics(program)
        for uri in sorted(set(by_uri) | program.published_uris):
            doc = self.open_document(uri)
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(
                    uri=uri, version=doc.version if doc else None, diagnostics=by_uri.get(uri, [])
                )
            )
        program.published_uris = set(by_uri)

    def clear(self, uris: list[str]) -> None:
        if self.pull:
            return
        for uri in uris:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
