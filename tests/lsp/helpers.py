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


def file_uri(tmp_path: Path, name: str = "model.py") -> str:
    return (tmp_path / name).as_uri()


def open_doc(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
        )
    )


def change(client: LanguageClient, uri: str, version: int, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
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
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text
