"""Hover: a finding in brief (its message, evidence, why, a link to the rule page), the corrected FAQ
wording of TORCH-FACTS.md for the API under the cursor, and which statement disabled gradients there.

Short enough to read without scrolling, as Ruff's and Pylance's hovers: the whole rule page stays in
`gradguard rule` and `docs/rules/`."""
from __future__ import annotations

import re
import textwrap
from typing import Optional, Sequence

from lsprotocol import types
from pygls.workspace import PositionCodec

from ..findings import Finding, Span
from ..rules import find_rule
from ..rules.base import Rule
from .convert import to_range
from .documents import Program
from .regions import innermost

# Each text is the "Hover" / corrected-FAQ wording of TORCH-FACTS.md (item or FAQ row in the comment).
NO_GRAD = (
    "**`torch.no_grad`**\n\n"
    # FAQ F1
    "Disables recording of operations for autograd in this thread while the block runs: results get "
    "`requires_grad=False` and no graph is kept, which saves memory. Parameters' `requires_grad` flags are "
    "unchanged. Tensors created with `requires_grad=True` inside the block still require grad.\n\n"
    # FAQ F2
    "For pure inference, use it (or `torch.inference_mode()`); keep the forward/backward of training outside it. "
    "Manual in-place parameter updates belong inside it."
)
NOT_CALLED = (
    # item 1
    "`torch.no_grad` is a class; `with` needs an instance: `with torch.no_grad():`. Without the parentheses, "
    "entering the block raises (TypeError on Python ≥3.11, AttributeError `__enter__` on ≤3.10).\n\n"
)
INFERENCE_MODE = (
    "**`torch.inference_mode`**\n\n"
    # item 11
    "Like `no_grad`, but tensors created here are *inference tensors*: they can't later be saved for backward, "
    "changed in place, or set to `requires_grad=True` outside inference mode. Use `.clone()` outside the block "
    "to get a normal tensor, or use `no_grad` if the results feed training."
)
SET_GRAD_ENABLED = (
    "**`torch.set_grad_enabled`**\n\n"
    # items 4 and 10: an enclosing grad-mode `with` restores its own mode when it exits
    "`torch.set_grad_enabled(False)` called as a statement turns gradient tracking off for the rest of this "
    "thread, until `torch.set_grad_enabled(True)` or the exit of an enclosing grad-mode `with` block. Use "
    "`with torch.set_grad_enabled(False):` to scope it. The argument must be a real `bool`: `0`, `1` and `None` "
    "raise TypeError."
)
ENABLE_GRAD = (
    "**`torch.enable_grad`**\n\n"
    # item 10 summary
    "Inside `no_grad`, re-enables recording for its own block; the enclosing mode comes back when it exits. "
    "It doesn't make tensors require grad: it only lets operations on tensors that already require grad be "
    "recorded."
)
EVAL = (
    "**`Module.eval()`**\n\n"
    # item 7
    "`model.eval()` only sets `module.training=False` on the module and all its submodules. That changes layers "
    "such as Dropout and BatchNorm. Autograd still records everything: outputs keep `requires_grad=True` and "
    "activations stay in memory. For inference also use `torch.no_grad()` or `torch.inference_mode()`."
)
TRAIN = (
    "**`Module.train()`**\n\n"
    # FAQ F3
    "Independent: `eval()` changes layer behaviour (Dropout off, BatchNorm uses running stats and stops updating "
    "them); `no_grad()` stops autograd recording.\n\n"
    # item 8
    "`train()` and `eval()` called inside a `with` block are not undone when the block ends: module mode isn't "
    "scoped by any grad context manager."
)
DETACH = (
    "**`Tensor.detach()`**\n\n"
    # FAQ F5
    "`t.detach()` returns a tensor that shares storage with `t` but is cut from the graph (in-place edits affect "
    "both). `no_grad()` is a thread-local mode: ops inside it aren't recorded, so their results don't require grad."
)
REQUIRES_GRAD = (
    "**`requires_grad`**\n\n"
    # item 15 / FAQ F1
    "`no_grad` never changes a parameter's `requires_grad` flag; it only stops results of operations from being "
    "recorded. Tensors created with `requires_grad=True` inside the block still require grad."
)

# the APIs `regions.hover_facts` finds, by the name it gives them
API_TEXTS = {
    "torch.no_grad": NO_GRAD,
    "torch.inference_mode": INFERENCE_MODE,
    "torch.set_grad_enabled": SET_GRAD_ENABLED,
    "torch.enable_grad": ENABLE_GRAD,
    "Module.eval": EVAL,
    "Module.train": TRAIN,
    "Tensor.detach": DETACH,
    "requires_grad": REQUIRES_GRAD,
}
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
WHY_SENTENCES = 2  # of the rule's "Why is this bad?", in a finding's hover: the rest is on the rule page
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`*(])")


def finding_hover(program: Program, finding: Finding, rule: Rule, uri: str) -> str:
    """The message, the evidence (related statements), the first sentences of why, and where the rest is."""
    parts = [f"**{finding.code}** `{finding.slug}` ({finding.severity})", finding.message]
    evidence = [f"- {_place_label(program, related.span, uri)}: {related.message}" for related in finding.related]
    if evidence:
        parts.append("\n".join(evidence))
    parts.append(why_in_brief(rule))
    parts.append(f"[Full rule page]({rule.url}) · `gradguard rule {rule.code}`")
    return "\n\n".join(parts)


def why_in_brief(rule: Rule) -> str:
    paragraph = " ".join(textwrap.dedent(rule.why).strip().split("\n\n", 1)[0].split())
    # A sentence ends outside quotes, code and parentheses (a quoted warning has sentences of its own).
    ends = [end.start() for end in SENTENCE_END.finditer(paragraph) if _balanced(paragraph[:end.start()])]
    if len(ends) < WHY_SENTENCES:
        return paragraph
    return paragraph[:ends[WHY_SENTENCES - 1]] + " …"


def _balanced(text: str) -> bool:
    return text.count('"') % 2 == 0 and text.count("`") % 2 == 0 and text.count("(") == text.count(")")


def _place_label(program: Program, span: Span, uri: str) -> str:
    """"line 5", or "cell 2, line 5" for another cell of the notebook."""
    place_uri, local = program.layout.place(span)
    label = f"line {local.start_line + 1}"
    if place_uri != uri:
        label = f"cell {program.layout.numbers[program.layout.uris.index(place_uri)]}, {label}"
    return label


def _api_at(program: Program, uri: str, line_text: str, line: int, col: int) -> Optional[tuple[str, int, int]]:
    """(Markdown, start column, end column) of the API name under the cursor, where the name resolves to it."""
    located = program.layout.to_program(uri, line, col)
    if located is None:
        return None
    for name in program.api_names:
        if name.line == located[0] and name.start_col <= col <= name.end_col:
            if not WORD.fullmatch(line_text[name.start_col:name.end_col]):
                return None  # the line was edited since the names were found
            text = API_TEXTS[name.api]
            if name.api == "torch.no_grad" and _used_without_call(line_text, name.end_col):
                text = text.replace("\n\n", "\n\n" + NOT_CALLED, 1)
            return text, name.start_col, name.end_col
    return None


def hover_at(
    program: Optional[Program], uri: str, lines: Sequence[str], codec: PositionCodec, position: types.Position
) -> Optional[types.Hover]:
    if not 0 <= position.line < len(lines):
        return None
    col = codec.position_from_client_units(lines, types.Position(position.line, position.character)).character
    sections: list[str] = []
    hover_range = None
    if program is not None:
        for finding in program.findings:
            finding_uri, span = program.layout.place(finding.span)
            rule = find_rule(finding.code)
            if finding_uri == uri and rule and _contains(span, position.line, col):
                sections.append(finding_hover(program, finding, rule, uri))
                hover_range = to_range(codec, lines, span)

        api = _api_at(program, uri, lines[position.line], position.line, col)
        if api is not None:
            text, start, end = api
            sections.append(text)
            hover_range = hover_range or to_range(codec, lines, Span(position.line, start, position.line, end))

    region = _region_text(program, uri, position.line, col) if program is not None else None
    if region is not None:
        sections.append(region)

    if not sections:
        return None
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(sections)),
        range=hover_range,
    )


def _region_text(program: Program, uri: str, line: int, col: int) -> Optional[str]:
    located = program.layout.to_program(uri, line, col)
    region = innermost(program.regions, located[0]) if located else None
    if region is None or not region.disables:
        return None
    label = _place_label(program, Span(region.anchor_line, 0, region.anchor_line, 0), uri)
    text = region.describe(label)
    return text[:1].upper() + text[1:]


def _used_without_call(line_text: str, end: int) -> bool:
    rest = line_text[end:].lstrip()
    return line_text.lstrip().startswith("with ") and not rest.startswith("(")


def _contains(span: Span, line: int, col: int) -> bool:
    return (span.start_line, span.start_col) <= (line, col) <= (span.end_line, span.end_col)
