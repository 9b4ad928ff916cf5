"""In a workspace folder, an edit re-analyses what it touched, whatever it does to the file's own entry in the
workspace index (issue 15: after a paste, its undo and the next edit, each analysis of a 5,000-line file was a
whole one; so was the analysis after the index was built, which the first keystrokes waited for)."""

import re

import pytest_lsp
from lsp_helpers import SERVER, accept_registration, change, open_doc, wait_until
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

FUNCTION = """\
def train_step_{i}(model, optimizer, x, y):
    model.train()
    loss = (model(x) - y).pow(2).mean()
    loss.backward()
    optimizer.step()


"""
SCRIPT = "import torch\n\n\n" + "".join(FUNCTION.format(i=i) for i in range(40))
PASTE_AT = (3 + 7 * 20, 0)  # before train_step_20
PASTED = FUNCTION.format(i="pasted")


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient, tmp_path):
    """VS Code 1.65.2 with a workspace folder, and the server's verbose trace in `lsp_client.traces`."""
    lsp_client.traces = []
    lsp_client.feature(types.LOG_TRACE)(lambda params: lsp_client.traces.append(params.message))
    lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)(accept_registration)
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=tmp_path.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=tmp_path.as_uri(), name="project")],
            trace=types.TraceValue.Verbose,
        )
    )
    yield
    await lsp_client.shutdown_session()


def walked(client: LanguageClient, uri: str, version: int) -> list[tuple[int, int]]:
    """(top-level statements walked, all of them) of each analysis of `version`, from the server's trace."""
    pattern = rf"analysed {re.escape(uri)} version \({version},\) in \d+ ms \((\d+) of (\d+) top-level statements\)"
    return [(int(m.group(1)), int(m.group(2))) for trace in client.traces if (m := re.search(pattern, trace))]


async def test_paste_undo_and_newline_analyse_what_they_touch(client: LanguageClient, tmp_path):
    path = tmp_path / "train.py"
    path.write_text(SCRIPT)
    uri = path.as_uri()
    open_doc(client, uri, SCRIPT)
    # the analysis on opening, then the one after the workspace index is built
    await wait_until(lambda: len(walked(client, uri, 1)) == 2, timeout=60)
    (whole, statements), (recheck, _) = walked(client, uri, 1)
    assert whole == statements == 41 and recheck == 1  # only the imports' chunk, which is never isolated

    edits = [
        (PASTE_AT, PASTE_AT, PASTED),  # a function pasted
        (PASTE_AT, (PASTE_AT[0] + PASTED.count("\n"), 0), ""),  # its undo
        ((PASTE_AT[0] - 1, 0), (PASTE_AT[0] - 1, 0), "\n"),  # a new line between two functions
    ]
    for version, (start, end, text) in enumerate(edits, start=2):
        change(client, uri, version, start, end, text)
        await wait_until(lambda version=version: walked(client, uri, version), timeout=60)
    # the imports, the pasted function and the one before it (its last lines changed); then the imports and
    # that function, twice
    assert [walked(client, uri, version)[0][0] for version in (2, 3, 4)] == [3, 2, 2], client.traces
