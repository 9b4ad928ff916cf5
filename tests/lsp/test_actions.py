"""Code actions: quick fixes from the fix engine, ignore-on-line, source.fixAll.gradguard."""

from lsp_helpers import (
    NOT_CALLED,
    apply_edits,
    code_actions,
    codes,
    edits_of,
    file_uri,
    open_doc,
    published,
    wait_until,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

FIX_ALL = "source.fixAll.gradguard"
FIX_ALL_UNSAFE = "source.fixAllUnsafe.gradguard"


async def test_quick_fix_is_preferred_and_adds_the_call(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(client, uri, NOT_CALLED)
    await wait_until(lambda: published(client, uri))
    diagnostics = published(client, uri)

    actions = await code_actions(client, uri, diagnostics, only=[types.CodeActionKind.QuickFix])
    assert all(a.kind == types.CodeActionKind.QuickFix for a in actions)
    preferred = [a for a in actions if a.is_preferred]
    assert len(preferred) == 1 and actions[0] is preferred[0]
    assert apply_edits(NOT_CALLED, edits_of(preferred[0], uri)) == "import torch\nwith torch.no_grad():\n    pass\n"
    assert preferred[0].diagnostics[0].code == "GG101"
    # VS Code supports versioned documentChanges: the edit names the version it was computed for
    assert preferred[0].edit.document_changes[0].text_document.version == 1

    ignore = actions[-1]
    assert "Ignore GG101" in ignore.title
    assert "GG101" in apply_edits(NOT_CALLED, edits_of(ignore, uri)).splitlines()[1]


async def test_ignore_extends_the_noqa_there(client: LanguageClient, tmp_path):
    """The quick fix writes what `--add-noqa` writes (`tests/test_noqa.py` compares the two)."""
    uri = file_uri(tmp_path)
    text = NOT_CALLED.replace("no_grad:", "no_grad:  # NOQA : E501")
    open_doc(client, uri, text)
    await wait_until(lambda: published(client, uri))

    actions = await code_actions(client, uri, published(client, uri), only=[types.CodeActionKind.QuickFix])
    (ignore,) = [action for action in actions if "Ignore GG101" in action.title]
    assert apply_edits(text, edits_of(ignore, uri)).splitlines()[1] == "with torch.no_grad:  # noqa: E501, GG101"


async def test_fix_all(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    text = NOT_CALLED + "with torch.inference_mode:\n    pass\n"
    open_doc(client, uri, text)
    await wait_until(lambda: len(published(client, uri)) == 2)

    actions = await code_actions(client, uri, [], only=[types.CodeActionKind.SourceFixAll])
    (fix_all,) = actions
    assert fix_all.kind == FIX_ALL
    fixed = apply_edits(text, edits_of(fix_all, uri))
    assert "with torch.no_grad():" in fixed and "with torch.inference_mode():" in fixed


async def test_no_fix_all_without_findings(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(client, uri, "import torch\n")
    await wait_until(lambda: uri in client.diagnostics)
    assert len(await code_actions(client, uri, [], only=[FIX_ALL])) == 0


EVALUATE = """\
import torch
def evaluate(model, loader):
    torch.no_grad()
    model.eval()
    return [model(x) for x in loader]
"""


async def test_fix_all_says_what_it_applies_and_unsafe_fixes_have_their_own_kind(client: LanguageClient, tmp_path):
    """Issue 15 item 6: the safe fix-all names the deletion in its title; GG201's and GG102's wraps are unsafe,
    so only the "including unsafe fixes" action applies them, and fix on save (`source.fixAll`) never sees it."""
    uri = file_uri(tmp_path)
    open_doc(client, uri, EVALUATE)
    await wait_until(lambda: sorted(codes(published(client, uri))) == ["GG102", "GG201"])

    (safe,) = await code_actions(client, uri, [], only=[types.CodeActionKind.SourceFixAll])
    assert safe.kind == FIX_ALL
    assert safe.title == "GradGuard: apply 1 safe fix: Remove `torch.no_grad()` (it has no effect)"
    assert apply_edits(EVALUATE, edits_of(safe, uri)) == EVALUATE.replace("    torch.no_grad()\n", "")

    (unsafe,) = await code_actions(client, uri, [], only=[FIX_ALL_UNSAFE])
    assert unsafe.kind == FIX_ALL_UNSAFE
    assert unsafe.title.startswith(
        "GradGuard: apply 1 fix, including unsafe ones: Turn it into `with torch.no_grad():`"
    )
    assert "    with torch.no_grad():\n        model.eval()\n" in apply_edits(EVALUATE, edits_of(unsafe, uri))


async def test_a_fix_all_offered_with_every_kind_is_computed_once_chosen(client: LanguageClient, tmp_path):
    """Ctrl+. (VS Code) and Neovim's menu ask for every kind at once (no `only`). The fix-all is offered there
    without its edit, which `codeAction/resolve` computes when it is chosen (issue 15: computing both fix-alls
    held VS Code's quick fixes up for seconds on a large file); the resolved action says what it applies."""
    uri = file_uri(tmp_path)
    open_doc(client, uri, EVALUATE)
    await wait_until(lambda: sorted(codes(published(client, uri))) == ["GG102", "GG201"])

    actions = await code_actions(client, uri, published(client, uri))
    assert any(action.kind == types.CodeActionKind.QuickFix and action.edit for action in actions)
    offered = [action for action in actions if action.kind in (FIX_ALL, FIX_ALL_UNSAFE)]
    assert [action.kind for action in offered] == [FIX_ALL, FIX_ALL_UNSAFE]
    assert [action.edit for action in offered] == [None, None]

    safe, unsafe = [await client.code_action_resolve_async(action) for action in offered]
    assert safe.title == "GradGuard: apply 1 safe fix: Remove `torch.no_grad()` (it has no effect)"
    assert apply_edits(EVALUATE, edits_of(safe, uri)) == EVALUATE.replace("    torch.no_grad()\n", "")
    assert "    with torch.no_grad():\n        model.eval()\n" in apply_edits(EVALUATE, edits_of(unsafe, uri))
