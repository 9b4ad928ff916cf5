"""Position encodings: the same finding on a line with non-ASCII and astral characters, in utf-16/8/32."""

import pytest_lsp
from lsp_helpers import SERVER, code_actions, edits_of, file_uri, hover_text, open_doc, published, wait_until
from lsprotocol import types
from pytest_lsp import LanguageClient

# `torch.no_grad` starts at code point 24 on line 2, after "é" (2 utf-8 bytes) and "😋" (astral:
# 2 utf-16 units, 4 utf-8 bytes).
TEXT = "import torch\nwith (x := 'é😋'), torch.no_grad:  # é😋\n    pass\n"
PREFIX = "with (x := 'é😋'), "
EXPECTED_START = {"utf-32": len(PREFIX), "utf-16": len(PREFIX) + 1, "utf-8": len(PREFIX.encode("utf-8"))}
NAME = len("torch.no_grad")


@pytest_lsp.fixture(config=SERVER, params=["utf-16", "utf-8", "utf-32"])
async def encoding_client(lsp_client: LanguageClient, request):
    capabilities = types.ClientCapabilities(
        general=types.GeneralClientCapabilities(position_encodings=[request.param]),
        text_document=types.TextDocumentClientCapabilities(hover=types.HoverClientCapabilities()),
    )
    result = await lsp_client.initialize_session(types.InitializeParams(capabilities=capabilities))
    assert result.capabilities.position_encoding == request.param
    lsp_client.encoding = request.param
    yield
    await lsp_client.shutdown_session()


async def test_columns_in_the_negotiated_encoding(encoding_client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(encoding_client, uri, TEXT)
    await wait_until(lambda: published(encoding_client, uri))
    (diagnostic,) = published(encoding_client, uri)
    start = EXPECTED_START[encoding_client.encoding]
    assert diagnostic.range == types.Range(types.Position(1, start), types.Position(1, start + NAME))

    # a hover on that column finds the same finding and API
    assert "GG101" in await hover_text(encoding_client, uri, 1, start + 2)

    actions = await code_actions(encoding_client, uri, [diagnostic], only=[types.CodeActionKind.QuickFix])
    preferred = next(a for a in actions if a.is_preferred)
    (edit,) = edits_of(preferred, uri)
    # the fix inserts "()" right after `torch.no_grad`, in the client's units
    assert edit.range.start == types.Position(1, start + NAME) and edit.new_text == "()"
