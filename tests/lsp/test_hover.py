"""Hover: API explanations (corrected FAQ wording), grad-disabled regions, findings' rule explanations."""
from pytest_lsp import LanguageClient

from lsp_helpers import NOT_CALLED, file_uri, hover_text, hover_until, open_doc, published, wait_until

TRAINING = """\
import torch

def evaluate(model, batch):
    model.eval()
    with torch.no_grad():
        out = model(batch)
        y = out.detach()
    return out
"""


async def test_api_hover_uses_the_corrected_faq(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(client, uri, TRAINING)
    no_grad = await hover_text(client, uri, 4, 17)
    assert "Disables recording of operations for autograd in this thread" in no_grad  # FAQ F1
    assert "72%" not in no_grad and "survey" not in no_grad  # the seed's unsupported statistics
    assert "`model.eval()` only sets `module.training=False`" in await hover_text(client, uri, 3, 11)  # item 7
    assert "shares storage" in await hover_text(client, uri, 6, 16)  # FAQ F5 on .detach
    assert await hover_text(client, uri, 2, 1) == ""  # `def`: nothing to say


async def test_hover_inside_a_grad_disabled_region(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(client, uri, TRAINING)

    text = await hover_until(client, uri, 5, 8, "disabled here")
    assert "Gradients are disabled here by `with torch.no_grad()` (line 5)" in text
    assert "disabled here" not in await hover_text(client, uri, 7, 8)  # after the block


async def test_hover_over_a_finding_shows_its_rule_explanation(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(client, uri, NOT_CALLED)
    await wait_until(lambda: published(client, uri))
    text = await hover_text(client, uri, 1, 8)
    assert "# GG101 `no-grad-not-called`" in text
    assert "`torch.no_grad` is a class; `with` needs an instance" in text  # item 1 on the API itself
