"""Each text version is analysed once, however many requests ask for its results."""

import asyncio
import re
from collections import Counter

from lsp_helpers import change, file_uri, open_doc, wait_until
from lsprotocol import types
from pytest_lsp import LanguageClient
from test_scheduling import LONG_FILE


def analysed_versions(client: LanguageClient, uri: str) -> Counter:
    """How often each version of `uri` was analysed, from the server's trace lines."""
    return Counter(
        match.group(1)
        for message in client.traces
        if (match := re.search(rf"analysed {re.escape(uri)} version \((\d+),\)", message))
    )


async def pull(client: LanguageClient, uri: str) -> types.DocumentDiagnosticReport:
    return await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )


async def test_pulls_after_each_edit_analyse_each_version_once(traced_pull_client: LanguageClient, tmp_path):
    """As VS Code does: a pull after every change, while the server's own analysis of it runs too."""
    client = traced_pull_client
    uri = file_uri(tmp_path)
    open_doc(client, uri, LONG_FILE)
    reports = [pull(client, uri)]
    for version in range(2, 6):
        change(client, uri, version, (0, 0), (0, 0), f"x{version} = {version}\n")
        reports.append(pull(client, uri))
        reports.append(pull(client, uri))  # a second pull of the same version (another editor view)
        await asyncio.sleep(0.05)
    last = (await asyncio.gather(*reports))[-1]
    assert [d.code for d in last.items] == ["GG101"]
    await wait_until(lambda: "5" in analysed_versions(client, uri))
    await asyncio.sleep(1)  # room for a second analysis of the last version
    counts = analysed_versions(client, uri)
    assert counts["5"] == 1 and set(counts.values()) == {1}, counts
