"""When results are published: an idle edit at once, a burst only at its end; code actions for the newest text."""

import asyncio

from gradguard.lsp.actions import FIX_ALL_KIND
from lsp_helpers import (
    NOT_CALLED,
    apply_edits,
    change,
    code_actions,
    edits_of,
    file_uri,
    open_doc,
    published,
    record_publications,
    wait_until,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

# Long enough that the analysis of the burst's first edit is still running when the last edit arrives.
TRAINING_BLOCK = """\
def train_step_{i}(model, optimizer, x, y):
    model.train()
    optimizer.zero_grad()
    loss = (model(x) - y).pow(2).mean()
    loss.backward()
    optimizer.step()
    return loss.item()


"""
LONG_FILE = NOT_CALLED + "\n\n" + "".join(TRAINING_BLOCK.format(i=i) for i in range(300))


async def test_an_idle_edit_is_published_once(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(client, uri, NOT_CALLED)
    await wait_until(lambda: published(client, uri))
    history = record_publications(client)

    change(client, uri, 2, (0, 0), (0, 0), "x = 1\n")
    await wait_until(lambda: history)
    await asyncio.sleep(1)  # room for a second, wrong publication (regions and the fix parse follow it)
    assert [p.version for p in history] == [2]
    (diagnostic,) = history[0].diagnostics
    assert diagnostic.range.start.line == 2


async def test_a_burst_during_an_analysis_publishes_only_its_last_version(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(client, uri, LONG_FILE)
    await wait_until(lambda: published(client, uri))
    history = record_publications(client)

    for version in range(2, 52):
        change(client, uri, version, (0, 0), (0, 0), f"x{version} = {version}\n")

    await wait_until(lambda: history and history[-1].version == 51)
    assert [p.version for p in history] == [51]
    (diagnostic,) = history[-1].diagnostics
    assert diagnostic.range.start.line == 51


async def test_edits_after_a_publication_are_analysed(client: LanguageClient, tmp_path):
    """Each edit lands while regions (and later the fix parse) of the previous version are computed."""
    uri = file_uri(tmp_path)
    open_doc(client, uri, LONG_FILE)
    await wait_until(lambda: published(client, uri))
    history = record_publications(client)

    for version in range(2, 6):
        change(client, uri, version, (0, 0), (0, 0), f"x{version} = {version}\n")
        await wait_until(lambda version=version: history and history[-1].version == version)
        assert history[-1].diagnostics[0].range.start.line == version


async def test_a_save_during_a_burst_publishes_at_once(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(client, uri, NOT_CALLED)
    await wait_until(lambda: published(client, uri))
    history = record_publications(client)

    change(client, uri, 2, (0, 0), (0, 0), "x = 1\n")
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri=uri)))
    await wait_until(lambda: history)
    assert history[-1].version == 2


async def test_a_code_action_after_an_edit_fixes_the_new_version(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(client, uri, NOT_CALLED)
    await wait_until(lambda: published(client, uri))
    first = await code_actions(client, uri, published(client, uri), only=[types.CodeActionKind.QuickFix])
    assert apply_edits(NOT_CALLED, edits_of(first[0], uri)) == "import torch\nwith torch.no_grad():\n    pass\n"
    await asyncio.sleep(1)  # the fix engine's parse of version 1 is kept in the fix worker by now

    history = record_publications(client)
    change(client, uri, 2, (0, 0), (0, 0), "import os\n")
    await wait_until(lambda: history and history[-1].version == 2)
    edited = "import os\n" + NOT_CALLED
    actions = await code_actions(client, uri, history[-1].diagnostics, only=[types.CodeActionKind.QuickFix])
    assert actions[0].edit.document_changes[0].text_document.version == 2
    assert (
        apply_edits(edited, edits_of(actions[0], uri)) == "import os\nimport torch\nwith torch.no_grad():\n    pass\n"
    )


async def test_a_fix_all_right_after_an_edit_waits_for_its_analysis(client: LanguageClient, tmp_path):
    """Fix on save: the editor sends the change and asks for the fix-all at once, before any diagnostics
    of the new text exist; the answer is the fix-all of that text, not nothing."""
    uri = file_uri(tmp_path)
    open_doc(client, uri, "import torch\n")
    await wait_until(lambda: uri in client.diagnostics)

    change(client, uri, 2, (1, 0), (1, 0), "with torch.no_grad:\n    pass\n")
    (action,) = await code_actions(client, uri, [], only=[FIX_ALL_KIND])
    assert action.edit.document_changes[0].text_document.version == 2
    assert apply_edits("import torch\nwith torch.no_grad:\n    pass\n", edits_of(action, uri)) == (
        "import torch\nwith torch.no_grad():\n    pass\n"
    )
