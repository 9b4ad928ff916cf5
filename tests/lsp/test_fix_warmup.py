"""The fix engine parses an open document ahead of quick-fix requests (issue 15: a quick fix right after
opening a file waited for a whole libcst parse)."""

import asyncio
import re

from lsp_helpers import NOT_CALLED, change, code_actions, file_uri, open_doc, wait_until
from lsprotocol import types
from pytest_lsp import LanguageClient
from test_analysed_once import analysed_versions, pull
from test_scheduling import LONG_FILE

TYPING_GAP = 0.12  # seconds between changes: shorter than the debounce and the idle wait of later parses together


def fix_parses(client: LanguageClient, uri: str) -> list[tuple[int, str]]:
    """(version, how) of each parse the server's trace reports for the fix engine."""
    return [
        (int(match.group(1)), match.group(2))
        for message in client.traces
        if (match := re.search(rf"fix engine parsed {re.escape(uri)} version \((\d+),\): ([a-z -]+)", message))
    ]


async def test_first_parse_starts_at_once_and_survives_typing(traced_pull_client: LanguageClient, tmp_path):
    """Someone starts typing as soon as the file shows its diagnostics: the whole parse of the first text is
    not put off until the typing pauses (each change used to cancel it), so the quick fix asked after the
    typing finds a tree to re-parse the edits from."""
    client = traced_pull_client
    uri = file_uri(tmp_path)
    text = NOT_CALLED + "\n" + LONG_FILE.replace(NOT_CALLED, "")  # GG101 (a code fix) on line 2
    open_doc(client, uri, text)
    await wait_until(lambda: "1" in analysed_versions(client, uri))
    last_line = len(text.splitlines())
    versions = range(2, 22)
    for version in versions:
        change(client, uri, version, (last_line, 0), (last_line, 0), f"# typed {version}\n")
        await asyncio.sleep(TYPING_GAP)
        last_line += 1
    await wait_until(lambda: fix_parses(client, uri))
    assert fix_parses(client, uri)[0] == (1, "whole"), [trace for trace in client.traces if "fix engine" in trace]
    report = await pull(client, uri)
    (diagnostic,) = [d for d in report.items if d.code == "GG101"]
    actions = await code_actions(client, uri, [diagnostic], only=[types.CodeActionKind.QuickFix])
    assert "GradGuard: Call it: `torch.no_grad()`" in [action.title for action in actions], actions
