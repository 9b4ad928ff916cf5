"""Notebooks (LSP 3.17 sync): code cells analysed in order as one program; results land in the right cell."""
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_helpers import SERVER, apply_edits, code_actions, hover_text, hover_until, published, wait_until

NOTEBOOK = "file:///tmp/gradguard-tests/analysis.ipynb"
CELLS = [
    ("import torch\n%matplotlib inline\n", types.NotebookCellKind.Code),
    ("# Notes\nnot python at all (", types.NotebookCellKind.Markup),
    ("x = 1\nwith torch.no_grad:\n    pass\n", types.NotebookCellKind.Code),
]


def cell_uri(index: int) -> str:
    return f"vscode-notebook-cell:/tmp/gradguard-tests/analysis.ipynb#cell{index}"


@pytest_lsp.fixture(config=SERVER)
async def notebook_client(lsp_client: LanguageClient):
    # No recorded client declares notebook support (README G6): build the capabilities by hand.
    capabilities = types.ClientCapabilities(
        notebook_document=types.NotebookDocumentClientCapabilities(
            synchronization=types.NotebookDocumentSyncClientCapabilities()
        ),
        workspace=types.WorkspaceClientCapabilities(
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True)
        ),
    )
    result = await lsp_client.initialize_session(types.InitializeParams(capabilities=capabilities))
    assert result.capabilities.notebook_document_sync is not None
    yield
    await lsp_client.shutdown_session()


def open_notebook(client: LanguageClient) -> None:
    client.notebook_document_did_open(
        types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(
                uri=NOTEBOOK, notebook_type="jupyter-notebook", version=1,
                cells=[types.NotebookCell(kind=kind, document=cell_uri(i)) for i, (_, kind) in enumerate(CELLS)],
            ),
            cell_text_documents=[
                types.TextDocumentItem(
                    uri=cell_uri(i), version=1, text=text,
                    language_id="python" if kind == types.NotebookCellKind.Code else "markdown",
                )
                for i, (text, kind) in enumerate(CELLS)
            ],
        )
    )


async def test_finding_lands_in_its_cell_and_fixes_edit_that_cell(notebook_client: LanguageClient):
    open_notebook(notebook_client)
    await wait_until(lambda: published(notebook_client, cell_uri(2)))
    assert len(published(notebook_client, cell_uri(0))) == 0  # the magic line is not an error
    assert cell_uri(1) not in notebook_client.diagnostics  # markdown cells are not analysed
    (diagnostic,) = published(notebook_client, cell_uri(2))
    assert diagnostic.code == "GG101"
    assert diagnostic.range == types.Range(types.Position(1, 5), types.Position(1, 18))  # cell coordinates

    hover = await hover_text(notebook_client, cell_uri(2), 1, 8)
    assert "GG101" in hover

    actions = await code_actions(notebook_client, cell_uri(2), [diagnostic], only=[types.CodeActionKind.QuickFix])
    preferred = next(a for a in actions if a.is_preferred)
    (document_change,) = preferred.edit.document_changes
    assert document_change.text_document.uri == cell_uri(2)
    assert apply_edits(CELLS[2][0], document_change.edits) == "x = 1\nwith torch.no_grad():\n    pass\n"


async def test_cell_edit_republishes_the_cell(notebook_client: LanguageClient):
    open_notebook(notebook_client)
    await wait_until(lambda: published(notebook_client, cell_uri(2)))
    notebook_client.notebook_document_did_change(
        types.DidChangeNotebookDocumentParams(
            notebook_document=types.VersionedNotebookDocumentIdentifier(uri=NOTEBOOK, version=2),
            change=types.NotebookDocumentChangeEvent(
                cells=types.NotebookDocumentCellChanges(
                    text_content=[
                        types.NotebookDocumentCellContentChanges(
                            document=types.VersionedTextDocumentIdentifier(uri=cell_uri(2), version=2),
                            changes=[
                                types.TextDocumentContentChangePartial(
                                    range=types.Range(types.Position(1, 18), types.Position(1, 18)), text="()"
                                )
                            ],
                        )
                    ]
                )
            ),
        )
    )
    await wait_until(lambda: len(published(notebook_client, cell_uri(2))) == 0)
    text = await hover_until(notebook_client, cell_uri(2), 2, 5, "disabled here")
    assert "disabled here by `with torch.no_grad()` (line 2)" in text


async def test_notebook_fix_all_on_save_covers_the_cells(notebook_client: LanguageClient):
    """`notebook.codeActionsOnSave` asks for `notebook.source.fixAll.gradguard` on the first cell."""
    open_notebook(notebook_client)
    await wait_until(lambda: published(notebook_client, cell_uri(2)))
    actions = await code_actions(notebook_client, cell_uri(0), [], only=["notebook.source.fixAll.gradguard"])
    (action,) = actions
    assert action.kind == "notebook.source.fixAll.gradguard"
    (document_change,) = action.edit.document_changes
    assert document_change.text_document.uri == cell_uri(2)
    assert apply_edits(CELLS[2][0], document_change.edits) == "x = 1\nwith torch.no_grad():\n    pass\n"
