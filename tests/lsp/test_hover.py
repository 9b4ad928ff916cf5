"""Hover: API explanations (corrected FAQ wording) where names resolve to the API, grad-disabled regions,
findings in brief."""

from gradguard import Config, analyze
from gradguard.apis import API_TEXTS
from gradguard.apis import NOT_CALLED as NOT_CALLED_TEXT
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


async def test_no_region_hover_inside_a_function_defined_in_the_block(client: LanguageClient, tmp_path):
    """The worker's body runs in another thread, with gradients enabled (TORCH-FACTS 12)."""
    uri = file_uri(tmp_path)
    open_doc(
        client,
        uri,
        """\
import threading
import torch
with torch.no_grad():
    x = torch.ones(2)
    def work():
        y = x * 2
    threading.Thread(target=work).start()
""",
    )
    assert "disabled here by `with torch.no_grad()` (line 3)" in await hover_until(client, uri, 3, 4, "disabled here")
    assert "disabled here" not in await hover_text(client, uri, 5, 8)
    assert "disabled here" in await hover_text(client, uri, 6, 4)


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
    gg202_page = next(rule for rule in RULES if rule.code == "GG202").url  # the page installed with the package
    assert "gradguard rule GG202" in text and f"]({gg202_page})" in text
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


# Claims that TORCH-FACTS.md does not record, or contradicts (issue 15 item 7), by the item that says otherwise.
UNMEASURED = {
    "scores come out noisy and too low": "item 9 measures varying outputs and drifting statistics, not scores",
    "trains worse": "no item measures training quality",
    "saw inference mode on": "item 13 records a caller between yields seeing grad off under no_grad only",
    "doesn't carry into `async def`": "item 14: only the decorator has no effect there",
    "freezes the parameters permanently": "item 18e: until `requires_grad_(True)`",
    "It is not scoped.": "item 10: an enclosing grad-mode `with` restores the mode at its exit",
}


def test_rule_and_hover_texts_claim_only_what_torch_facts_records():
    texts = [*API_TEXTS.values(), NOT_CALLED_TEXT]
    for rule in RULES:
        texts += [rule.summary, rule.why, rule.fix_safety]
        texts += [
            f.message for source in rule.fires for f in analyze(source, "example.py", Config(select=(rule.code,)))
        ]
    flat = [" ".join(text.split()) for text in texts]
    assert [phrase for phrase in UNMEASURED if any(phrase in text for text in flat)] == []
    assert "until `torch.set_grad_enabled(True)` or the exit of an enclosing grad-mode `with` block" in " ".join(
        API_TEXTS["torch.set_grad_enabled"].split()
    )
