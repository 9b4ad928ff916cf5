"""`gradguard` over LSP: thin handlers around `GradGuardServer` (state.py). stdio by default, or `--tcp`."""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Callable

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from .actions import FIX_ALL_KIND, FIX_ALL_UNSAFE_KIND, NOTEBOOK_FIX_ALL_KIND, PlannedAction, fix_all, quick_fixes
from .convert import SOURCE, finding_from_data, to_code_action, use_lsp_positions
from .documents import Edit, Program
from .hover import hover_at
from .state import CHANGE_DEBOUNCE_SECONDS, GradGuardServer

server = GradGuardServer()


def guarded(default: Any) -> Callable:
    """A failing handler logs to the client's output and answers `default`; the server stays up."""

    def decorate(handler: Callable) -> Callable:
        if asyncio.iscoroutinefunction(handler):

            @functools.wraps(handler)
            async def run_async(ls: GradGuardServer, params: Any) -> Any:
                try:
                    return await handler(ls, params)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    ls.log_exception(handler.__name__)
                    return default

            return run_async

        @functools.wraps(handler)
        def run(ls: GradGuardServer, params: Any) -> Any:
            try:
                return handler(ls, params)
            except Exception:
                ls.log_exception(handler.__name__)
                return default

        return run

    return decorate


# ---------------------------------------------------------------------- lifecycle and settings


@server.feature(types.INITIALIZE)
@guarded(None)
def initialize(ls: GradGuardServer, params: types.InitializeParams) -> None:
    # Runs before capabilities are computed: settings are in place for the first didOpen (no race),
    # and pull diagnostics are advertised only to clients that can pull.
    ls.settings.set_editor(params.initialization_options)
    ls.protocol.trace = params.trace or types.TraceValue.Off  # pygls takes only `$/setTrace` into account
    # pygls built the workspace just before this handler and no document is open yet.
    use_lsp_positions(ls.workspace)
    text_caps = params.capabilities.text_document
    ls.pull = bool(text_caps and text_caps.diagnostic)
    ls.analysis_pool.start()  # if cli.py has not started it yet: its imports overlap the rest of the handshake
    if ls.pull:
        ls.feature(
            types.TEXT_DOCUMENT_DIAGNOSTIC,
            types.DiagnosticOptions(identifier=SOURCE, inter_file_dependencies=False, workspace_diagnostics=False),
        )(pull_diagnostics)


@server.feature(types.INITIALIZED)
@guarded(None)
async def initialized(ls: GradGuardServer, params: types.InitializedParams) -> None:
    encoding = ls.workspace.position_encoding
    ls.log(
        f"GradGuard {ls.version} ready: position encoding {getattr(encoding, 'value', encoding)}, "
        f"diagnostics {'pulled by the client' if ls.pull else 'pushed'}"
    )
    if await fetch_configuration(ls):
        ls.reanalyse_all()
    await watch_files(ls)  # the workers and the workspace index start with the first analysis (state.py)


async def watch_files(ls: GradGuardServer) -> None:
    """Ask the client to report changes of pyproject.toml (`[tool.gradguard]` edits apply without a
    restart) and of Python files (the workspace index follows changes made outside the editor)."""
    workspace_caps = ls.client_capabilities.workspace
    watching = workspace_caps and workspace_caps.did_change_watched_files
    if not (watching and watching.dynamic_registration):
        return
    watchers = [types.FileSystemWatcher(glob_pattern=pattern) for pattern in ("**/pyproject.toml", "**/*.py")]
    registration = types.Registration(
        id="gradguard-files",
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
    )
    try:
        await ls.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
    except JsonRpcException as error:  # the client declined: such changes then apply on restart
        ls.log(f"pyproject.toml and Python files are not watched: {error}")


async def fetch_configuration(ls: GradGuardServer) -> bool:
    """Ask the client for the `gradguard` section; True when the settings changed."""
    workspace_caps = ls.client_capabilities.workspace
    if not (workspace_caps and workspace_caps.configuration):
        return False
    (section,) = await ls.workspace_configuration_async(
        types.ConfigurationParams(items=[types.ConfigurationItem(section=SOURCE)])
    )
    return isinstance(section, dict) and ls.settings.set_editor(section)


@server.feature(types.SHUTDOWN)
@guarded(None)
def shutdown(ls: GradGuardServer, params: None) -> None:
    ls.stop_workers()


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
@guarded(None)
async def did_change_configuration(ls: GradGuardServer, params: types.DidChangeConfigurationParams) -> None:
    workspace_caps = ls.client_capabilities.workspace
    if workspace_caps and workspace_caps.configuration:
        changed = await fetch_configuration(ls)
    else:
        changed = ls.settings.set_editor(params.settings)
    if changed:
        ls.reanalyse_all()


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
@guarded(None)
async def did_change_watched_files(ls: GradGuardServer, params: types.DidChangeWatchedFilesParams) -> None:
    if any(change.uri.endswith("pyproject.toml") for change in params.changes):
        ls.settings.reload()
        ls.reanalyse_all()
    await ls.reindex([change.uri for change in params.changes if change.uri.endswith(".py")])


# ---------------------------------------------------------------------- text documents


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
@guarded(None)
def did_open(ls: GradGuardServer, params: types.DidOpenTextDocumentParams) -> None:
    key = ls.program_key(params.text_document.uri)
    if key:
        ls.schedule(key, 0)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
@guarded(None)
def did_change(ls: GradGuardServer, params: types.DidChangeTextDocumentParams) -> None:
    # pygls has already applied the changes to the workspace document.
    key = ls.program_key(params.text_document.uri)
    if not key:
        return
    program = ls.programs.get(key)
    if program is not None:
        follow_edits(program, params.text_document.uri, params.text_document.version, params.content_changes)
    if ls.settings.run_on_type:
        ls.schedule(key, CHANGE_DEBOUNCE_SECONDS)


def follow_edits(
    program: Program, uri: str, version: int, changes: Sequence[types.TextDocumentContentChangeEvent]
) -> None:
    """Keep the last good findings on their statements while the code does not parse or is analysed."""
    for change in changes:
        if isinstance(change, types.TextDocumentContentChangePartial):
            start, end = change.range.start, change.range.end
            program.follow_edit(Edit(uri, version, start.line, start.character, end.line, end.character, change.text))
        else:  # a whole-text change cannot be followed
            program.follow_edit(Edit(uri, version, 0, 0, 0, 0, change.text, whole=True))


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
@guarded(None)
def did_save(ls: GradGuardServer, params: types.DidSaveTextDocumentParams) -> None:
    if params.text_document.uri.endswith("pyproject.toml"):
        ls.settings.reload()
        ls.reanalyse_all()
        return
    key = ls.program_key(params.text_document.uri)
    if key:
        ls.schedule(key, 0)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
@guarded(None)
async def did_close(ls: GradGuardServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    if ls.workspace.get_notebook_document(cell_uri=uri) is None:
        ls.forget(uri)
        ls.clear([uri])
        await ls.reindex([uri])  # its unsaved text no longer stands for the module: the file on disk does


# ---------------------------------------------------------------------- notebooks


@server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
@guarded(None)
def notebook_did_open(ls: GradGuardServer, params: types.DidOpenNotebookDocumentParams) -> None:
    ls.schedule(params.notebook_document.uri, 0)


@server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
@guarded(None)
def notebook_did_change(ls: GradGuardServer, params: types.DidChangeNotebookDocumentParams) -> None:
    key = params.notebook_document.uri
    program = ls.programs.get(key)
    cells = params.change.cells
    if program is not None and cells is not None and cells.structure is None:
        for text in cells.text_content or []:
            follow_edits(program, text.document.uri, text.document.version, text.changes)
    if ls.settings.run_on_type:
        ls.schedule(key, CHANGE_DEBOUNCE_SECONDS)


@server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
@guarded(None)
def notebook_did_save(ls: GradGuardServer, params: types.DidSaveNotebookDocumentParams) -> None:
    ls.schedule(params.notebook_document.uri, 0)


@server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
@guarded(None)
def notebook_did_close(ls: GradGuardServer, params: types.DidCloseNotebookDocumentParams) -> None:
    program = ls.forget(params.notebook_document.uri)
    published = program.published_uris if program else set()
    ls.clear(sorted(published | {cell.uri for cell in params.cell_text_documents}))


# ---------------------------------------------------------------------- pull diagnostics


@guarded(types.FullDocumentDiagnosticReport(items=[]))
async def pull_diagnostics(ls: GradGuardServer, params: types.DocumentDiagnosticParams):
    uri = params.text_document.uri
    program = await ls.pulled_analysis(uri)
    key = ls.program_key(uri)
    if program is None or key is None:
        return types.FullDocumentDiagnosticReport(items=[])
    # An older text's result moved to this one has no id: it is never answered as unchanged.
    result_id = repr(program.analysed) if ls.is_current(key, program) else None
    if result_id is not None and params.previous_result_id == result_id:
        return types.UnchangedDocumentDiagnosticReport(result_id=result_id)
    return types.FullDocumentDiagnosticReport(items=ls.diagnostics(program).get(uri, []), result_id=result_id)


# ---------------------------------------------------------------------- hover


@server.feature(types.TEXT_DOCUMENT_HOVER)
@guarded(None)
def hover(ls: GradGuardServer, params: types.HoverParams) -> types.Hover | None:
    uri = params.text_document.uri
    doc = ls.open_document(uri)
    if doc is None:
        return None
    program = ls.programs.get(ls.program_key(uri) or "")
    return hover_at(program, uri, doc.lines, ls.workspace.position_codec, params.position)


# ---------------------------------------------------------------------- code actions


def _kind_value(kind: Any) -> str:
    # CodeActionKind is a str Enum; str() gives "CodeActionKind.QuickFix" on Python 3.11.
    return kind.value if isinstance(kind, types.CodeActionKind) else str(kind)


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND, FIX_ALL_UNSAFE_KIND, NOTEBOOK_FIX_ALL_KIND],
        resolve_provider=True,
    ),
)
@guarded([])
async def code_action(ls: GradGuardServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    key = ls.program_key(uri)
    snapshot = ls.snapshot(key) if key else None
    if key is None or snapshot is None:
        return []
    config = ls.settings.config_for(snapshot.path)
    if config is None:
        return []
    only = [_kind_value(kind) for kind in params.context.only or []]
    # The lightbulb asks at every cursor move, for no kind in particular, and shows no source actions:
    # a fix-all (minutes on a large file) is computed only when some request names it or is invoked.
    lightbulb = not only and params.context.trigger_kind == types.CodeActionTriggerKind.Automatic
    # Ctrl+. and Neovim's menu ask for every kind: a fix-all is offered there and computed only once chosen
    # (`codeAction/resolve`), by clients that can resolve an action's edit. VS Code does not even show
    # source actions in that menu, and computing them held up its quick fixes for seconds.
    deferred = not only and ls.resolves_edits()

    def wanted(kind: str) -> bool:
        return not only or any(kind == prefix or kind.startswith(prefix + ".") for prefix in only)

    in_notebook = snapshot.layout.joined is not None
    fix_all_kinds = [
        kind
        for kind in (FIX_ALL_KIND, FIX_ALL_UNSAFE_KIND, *((NOTEBOOK_FIX_ALL_KIND,) if in_notebook else ()))
        if wanted(kind) and not lightbulb
    ]
    program = ls.programs.get(key)
    actions: list[types.CodeAction] = []
    if wanted(types.CodeActionKind.QuickFix.value):
        current = ls.analysis_of(snapshot, program)
        source = current.source if current else snapshot.source  # without a notebook's cells that do not parse
        layout = snapshot.layout
        for diagnostic in params.context.diagnostics:
            finding = finding_from_data(diagnostic.data) if diagnostic.source == SOURCE else None
            if finding is None:
                continue
            planned = await ls.fixes_of(
                current, snapshot, ("quickfix", finding), ls.fix_pool, quick_fixes, source, finding, config, layout
            )
            actions.extend(_code_action(ls, plan, [diagnostic]) for plan in planned)

    for kind in fix_all_kinds:
        if deferred:
            if program is not None and program.findings:
                actions.append(types.CodeAction(title=DEFERRED_FIX_ALL_TITLES[kind], kind=kind, data={"uri": uri}))
            continue
        plan = await planned_fix_all(ls, uri, kind)
        if plan is not None:
            actions.append(_code_action(ls, plan, []))
    if ls.stamp(snapshot) != ls.stamp(ls.snapshot(key) or snapshot):
        return []  # the text changed while fixes were computed: these edits would land in the wrong place
    return actions


# What a fix-all offered before it is computed says: its edits, and the title that lists them, come with
# `codeAction/resolve`.
DEFERRED_FIX_ALL_TITLES = {
    FIX_ALL_KIND: "GradGuard: apply every safe fix in the file",
    FIX_ALL_UNSAFE_KIND: "GradGuard: apply every fix in the file, including unsafe ones",
    NOTEBOOK_FIX_ALL_KIND: "GradGuard: apply every safe fix in the notebook",
}


@server.feature(types.CODE_ACTION_RESOLVE)
@guarded(None)
async def resolve_code_action(ls: GradGuardServer, action: types.CodeAction) -> types.CodeAction:
    """A fix-all offered unresolved gets its edit, and the title that says what it applies."""
    uri = action.data.get("uri") if isinstance(action.data, dict) else None
    if action.edit is not None or not isinstance(uri, str) or action.kind not in DEFERRED_FIX_ALL_TITLES:
        return action
    plan = await planned_fix_all(ls, uri, action.kind)
    if plan is None:  # nothing left to fix, or the text keeps changing
        action.title, action.edit = "GradGuard: nothing to fix", types.WorkspaceEdit(changes={})
        return action
    return _code_action(ls, plan, [])


async def planned_fix_all(ls: GradGuardServer, uri: str, kind: str) -> PlannedAction | None:
    """The fix-all of `kind` for the newest text of `uri`. Asked right after an edit (fix on save), it waits
    for that text's analysis (shared with the diagnostics) rather than answering nothing."""
    program = await ls.newest_analysis(uri)
    key = ls.program_key(uri)
    snapshot = ls.snapshot(key) if key else None
    current = ls.analysis_of(snapshot, program) if snapshot else None
    config = ls.settings.config_for(snapshot.path) if snapshot else None
    if snapshot is None or current is None or not current.findings or config is None:
        return None
    unsafe = kind == FIX_ALL_UNSAFE_KIND
    plan = await ls.fixes_of(
        current,
        snapshot,
        ("fixAll", unsafe),
        ls.fix_all_pool,
        fix_all,
        current.source,
        snapshot.path,
        config,
        snapshot.layout,
        list(current.findings),
        unsafe,
    )
    if plan is None or ls.stamp(snapshot) != ls.stamp(ls.snapshot(snapshot.key) or snapshot):
        return None  # none, or for a text changed since: the edits would land in the wrong place
    return replace(plan, kind=kind)


def _code_action(ls: GradGuardServer, plan: PlannedAction, diagnostics: list[types.Diagnostic]) -> types.CodeAction:
    workspace_caps = ls.client_capabilities.workspace
    versioned = bool(
        workspace_caps and workspace_caps.workspace_edit and workspace_caps.workspace_edit.document_changes
    )
    return to_code_action(plan, diagnostics, ls.open_document, ls.workspace.position_codec, versioned)


# ---------------------------------------------------------------------- entry point


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="gradguard server", description="GradGuard language server (stdio by default)."
    )
    parser.add_argument("--stdio", action="store_true", help="serve over stdin/stdout (the default)")
    parser.add_argument("--tcp", action="store_true", help="serve over TCP instead of stdio")
    parser.add_argument("--host", default="127.0.0.1", help="TCP host (default: loopback only)")
    parser.add_argument("--port", type=int, default=2087, help="TCP port (default: 2087)")
    args = parser.parse_args(argv)
    # stdout is the JSON-RPC pipe: Python logging goes to stderr, and pygls' per-message INFO logs stay off.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="gradguard %(levelname)s %(message)s")
    logging.getLogger("pygls").setLevel(logging.WARNING)
    if args.tcp:
        server.start_tcp(args.host, args.port)
    else:
        server.start_io()
    server.stop_workers()  # the client may have gone away without a shutdown request
    return server.protocol.exit_status
