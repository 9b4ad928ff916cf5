"""Shared helpers of the language-server tests: documents, polling, applying edits."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Callable

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "gradguard"])
NOT_CALLED = "import torch\nwith torch.no_grad:\n    pass\n"  # GG101 on `torch.no_grad`, line 2


def accept_registration(params: types.RegistrationParams) -> None:
    """Answers client/registerCapability, as VS Code does (pytest-lsp's client has no handler for it)."""
    return None


def file_uri(tmp_path: Path, name: str = "model.py") -> str:
    return (tmp_path / name).as_uri()


def open_doc(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
        )
    )


def change(
    client: LanguageClient, uri: str, version: int, start: tuple[int, int], end: tuple[int, int], text: str
) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(*start), types.Position(*end)), text=text
                )
            ],
        )
    )


async def wait_until(predicate: Callable[[], object], timeout: float = 20.0) -> None:
    """Poll: no timing assumptions, only a generous upper bound."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def published(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    return list(client.diagnostics.get(uri, ()))


def codes(diagnostics) -> list:
    return [d.code for d in diagnostics]


def apply_edits(text: str, edits) -> str:
    """Apply TextEdits given in utf-16 units (the default encoding) to `text`."""
    lines = text.splitlines(keepends=True)

    def offset(position: types.Position) -> int:
        if position.line >= len(lines):
            return len(text)
        line = lines[position.line]
        units = 0
        for index, char in enumerate(line):
            if units >= position.character:
                return sum(map(len, lines[: position.line])) + index
            units += 2 if ord(char) > 0xFFFF else 1
        return sum(map(len, lines[: position.line])) + len(line)

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


def record_publications(client: LanguageClient) -> list[types.PublishDiagnosticsParams]:
    """Every publishDiagnostics from now on, in order (pytest-lsp keeps only the latest per URI)."""
    history: list[types.PublishDiagnosticsParams] = []
    features = client.protocol.fm.features
    keep_latest = features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def record(params: types.PublishDiagnosticsParams) -> None:
        history.append(params)
        keep_latest(params)

    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = record
    return history


async def hover_until(client: LanguageClient, uri: str, line: int, character: int, expected: str) -> str:
    """Hover until `expected` shows up (regions are computed after the diagnostics are published)."""
    deadline = time.monotonic() + 20
    text = await hover_text(client, uri, line, character)
    while expected not in text and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        text = await hover_text(client, uri, line, character)
    return text


async def hover_text(client: LanguageClient, uri: str, line: int, character: int) -> str:
    result = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line, character))
    )
    return result.contents.value if result else ""


async def code_actions(client: LanguageClient, uri: str, diagnostics, only=None, rng=None):
    rng = rng or (diagnostics[0].range if diagnostics else types.Range(types.Position(0, 0), types.Position(0, 0)))
    return await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=rng,
            context=types.CodeActionContext(diagnostics=list(diagnostics), only=only),
        )
    )


def edits_of(action: types.CodeAction, uri: str) -> list[types.TextEdit]:
    edit = action.edit
    if edit.document_changes:
        return [e for change in edit.document_changes if change.text_document.uri == uri for e in change.edits]
    return list(edit.changes.get(uri, []))
