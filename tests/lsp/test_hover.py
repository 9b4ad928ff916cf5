"""Hover: API explanations (corrected FAQ wording) where names resolve to the API, grad-disabled regions,
findings in brief."""

from gradguard.lsp.hover import why_in_brief
from gradguard.rules import RULES
from lsp_helpers import NOT_CALLED, file_uri, hover_text, hover_until, open_doc, published, wait_until
from pytest_lsp import LanguageClient

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
    no_grad = await hover_until(client, uri, 4, 17, "no_grad")  # API names are found after the analysis
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
    text = await hover_until(client, uri, 1, 8, "`torch.no_grad` is a class")  # item 1 on the API itself
    assert "**GG101** `no-grad-not-called` (error)" in text


EVALUATION = """\
import torch

def evaluate(model, loader, args):
    model.train()
    for x in loader:
        out = model(x)
    return out, args.train
"""


async def test_a_finding_hover_is_short_with_evidence_why_and_a_link(client: LanguageClient, tmp_path):
    """The message, the related statement, a few sentences of why, and where the full page is: not the page."""
    uri = file_uri(tmp_path)
    open_doc(client, uri, EVALUATION)
    await wait_until(lambda: published(client, uri))
    (gg202,) = [d for d in published(client, uri) if d.code == "GG202"]
    text = await hover_text(client, uri, 5, 16)
    assert gg202.message in text
    assert "- line 4: training mode set here" in text  # the evidence
    assert "gradguard rule GG202" in text and "docs/rules/GG202-" in text
    assert "## Example" not in text and "## Use instead" not in text and "## References" not in text
    sections = text.split("\n\n---\n\n")
    assert [section.split()[0] for section in sections] == ["**GG201**", "**GG202**"]  # both findings of this line
    assert all(len(section) < 1000 and section.count("\n") < 12 for section in sections), [len(s) for s in sections]


async def test_api_hovers_are_short(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(client, uri, TRAINING)
    for line, character, expected in [(4, 17, "torch.no_grad"), (3, 11, "Module.eval()"), (6, 16, "Tensor.detach()")]:
        text = await hover_until(client, uri, line, character, expected)
        assert expected in text and len(text) < 600


async def test_module_hovers_only_on_module_calls(client: LanguageClient, tmp_path):
    """`args.train` is a command-line flag, not `Module.train()`."""
    uri = file_uri(tmp_path)
    open_doc(client, uri, EVALUATION)
    assert "Module.train()" in await hover_until(client, uri, 3, 11, "Module.train()")
    assert "Module.train()" not in await hover_text(client, uri, 6, 23)  # `args.train`


async def test_api_hovers_only_where_the_name_resolves_to_the_api(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    text = (
        "import torch\n"
        "from torch import no_grad as frozen\n"
        "def no_grad():\n"  # a function of this module that happens to be called no_grad
        "    return None\n"
        "with frozen():\n"
        "    no_grad()\n"
        "x = eval('1')\n"
    )
    open_doc(client, uri, text)
    assert "**`torch.no_grad`**" in await hover_until(client, uri, 4, 7, "torch.no_grad")  # the alias
    assert await hover_text(client, uri, 5, 6) == "Gradients are disabled here by `with frozen()` (line 5)"
    assert await hover_text(client, uri, 6, 5) == ""  # the builtin `eval`


def test_each_ruleswhy_in_brief_is_whole_sentences_of_its_why():
    """Cut at a sentence end, never inside a quoted warning (GG110) or inline code."""
    for rule in RULES:
        brief = why_in_brief(rule)
        words = " ".join(rule.why.split())
        assert words.startswith(brief.removesuffix(" …")), rule.code
        assert brief.count('"') % 2 == 0 and brief.count("`") % 2 == 0, rule.code
        assert len(brief) < 500, rule.code
