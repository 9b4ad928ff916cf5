"""Requests for unknown or closed documents and out-of-range positions get quiet answers; the server stays up."""

from lsp_helpers import NOT_CALLED, change, code_actions, file_uri, hover_text, open_doc, published, wait_until
from lsprotocol import types
from pytest_lsp import LanguageClient


async def test_unknown_and_closed_documents(client: LanguageClient, tmp_path):
    unknown = file_uri(tmp_path, "never_opened.py")
    (tmp_path / "never_opened.py").write_text(NOT_CALLED)  # on disk, but not open: not read
    assert await hover_text(client, unknown, 1, 8) == ""
    assert len(await code_actions(client, unknown, [])) == 0

    uri = file_uri(tmp_path)
    open_doc(client, uri, NOT_CALLED)
    await wait_until(lambda: published(client, uri))
    diagnostics = published(client, uri)
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri)))
    assert await hover_text(client, uri, 1, 8) == ""
    assert len(await code_actions(client, uri, diagnostics)) == 0

    change(client, unknown, 2, (0, 0), (0, 0), "x")  # a change for a document never opened: pygls fails
    await wait_until(lambda: any("internal error" in m.message for m in client.log_messages))
    assert unknown not in client.diagnostics
    assert len(client.messages) == 0  # logged to the output channel, never a pop-up

    open_doc(client, uri, NOT_CALLED, version=3)  # still serving
    await wait_until(lambda: published(client, uri))


async def test_out_of_range_positions(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(client, uri, NOT_CALLED)
    await wait_until(lambda: published(client, uri))
    assert await hover_text(client, uri, 99, 0) == ""
    await hover_text(client, uri, 1, 500)  # past the end of the line: clamped, answered without an error
    far = types.Range(types.Position(1000, 0), types.Position(1000, 10))
    assert len(await code_actions(client, uri, [], rng=far, only=[types.CodeActionKind.QuickFix])) == 0


async def test_garbage_data_in_a_diagnostic(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(client, uri, NOT_CALLED)
    await wait_until(lambda: published(client, uri))
    forged = types.Diagnostic(
        range=types.Range(types.Position(1, 5), types.Position(1, 18)),
        message="x",
        source="gradguard",
        code="GG101",
        data={"code": "GG101", "span": "nonsense"},
    )
    assert len(await code_actions(client, uri, [forged], only=[types.CodeActionKind.QuickFix])) == 0
