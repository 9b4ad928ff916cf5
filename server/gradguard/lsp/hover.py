"""Hover: a finding's rule explanation, the corrected FAQ wording of TORCH-FACTS.md for the API under
the cursor, and which statement disabled gradients where the cursor is."""
from __future__ import annotations

import re
from typing import Optional, Sequence

from lsprotocol import types
from pygls.workspace import PositionCodec

from ..findings import Span
from ..rules import find_rule
from ..vocabulary import GRAD_MODE_APIS
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
    # item 22
    "Avoids recording the autograd graph, so intermediate activations are freed right away (lower memory). "
    "Speed-ups are usually modest.\n\n"
    # FAQ F4
    "It doesn't change how `backward()` runs, but anything computed inside the block has no graph: "
    "backpropagating through those results fails ('element 0 of tensors does not require grad…') or silently "
    "leaves the parameters used in the block without gradients.\n\n"
    # FAQ F2
    "*Should inference always use it?* For pure inference, yes (or `torch.inference_mode()`). Keep the "
    "forward/backward of training outside it; manual in-place parameter updates belong inside `torch.no_grad()`.\n\n"
    # FAQ F6
    "*Refactoring to it:* check that no loss needed for training is computed inside the block; call "
    "`model.eval()` as well; remember the mode doesn't carry into other threads or `async def`."
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
    "to get a normal tensor, or use `no_grad` if the results feed training.\n\n"
    # FAQ F2
    "For pure inference, use it or `torch.no_grad()`; keep the forward/backward of training outside it."
)
SET_GRAD_ENABLED = (
    "**`torch.set_grad_enabled`**\n\n"
    # item 4
    "`torch.set_grad_enabled(False)` called as a statement turns gradient tracking off for the rest of this "
    "thread, until `torch.set_grad_enabled(True)`. It is not scoped. Use `with torch.set_grad_enabled(False):` "
    "to scope it.\n\n"
    "The argument must be a real `bool`: `0`, `1` and `None` raise TypeError."
)
ENABLE_GRAD = (
    "**`torch.enable_grad`**\n\n"
    # item 10 summary
    "Inside `no_grad`, re-enables recording for its own block; the enclosing mode comes back when it exits. "
    "It doesn't make tensors require grad: it only lets operations on tensors that already require grad be "
    "recorded. Inside `inference_mode` results are still inference tensors with `requires_grad=False`; only "
    "`torch.inference_mode(False)` leaves inference mode."
)
EVAL = (
    "**`Module.eval()`**\n\n"
    # item 7
    "`model.eval()` only sets `module.training=False` on the module and all its submodules. That changes layers "
    "such as Dropout and BatchNorm. Autograd still records everything: outputs keep `requires_grad=True` and "
    "activations stay in memory. For inference also use `torch.no_grad()` or `torch.inference_mode()`.\n\n"
    # FAQ F3
    "Independent: `eval()` changes layer behaviour (Dropout off, BatchNorm uses running stats and stops updating "
    "them); `no_grad()` stops autograd recording. Inference usually needs both."
)
TRAIN = (
    "**`Module.train()`**\n\n"
    # FAQ F3
    "Independent: `eval()` changes layer behaviour (Dropout off, BatchNorm uses running stats and stops updating "
    "them); `no_grad()` stops autograd recording. Inference usually needs both.\n\n"
    # items 8 and 18
    "`train()` and `eval()` called inside a `with` block are not undone when the block ends: module mode isn't "
    "scoped by any grad context manager. `eval()` is `train(False)`; both return the module, and `train(mode)` "
    "needs a real `bool`."
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
    "recorded. Tensors created with `requires_grad=True` inside the block still require grad.\n\n"
    # item 18e
    "`requires_grad_(False)` freezes the parameters permanently; autograd still records ops whose inputs require "
    "grad, so gradients still reach the inputs."
)

# word under the cursor -> text; attribute names only count after a dot (`model.eval`, not `eval(...)`)
GRAD_MODE_TEXTS = {
    "torch.no_grad": NO_GRAD,
    "torch.inference_mode": INFERENCE_MODE,
    "torch.set_grad_enabled": SET_GRAD_ENABLED,
    "torch.enable_grad": ENABLE_GRAD,
}
MODULE_APIS = {api.rsplit(".", 1)[1]: GRAD_MODE_TEXTS[api] for api in GRAD_MODE_APIS}
METHOD_APIS = {
    "eval": EVAL,
    "train": TRAIN,
    "detach": DETACH,
    "requires_grad": REQUIRES_GRAD,
    "requires_grad_": REQUIRES_GRAD,
}
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def api_hover(line_text: str, col: int) -> Optional[tuple[str, int, int]]:
    """(Markdown, start column, end column) for the API named under code-point column `col`, or None."""
    for match in WORD.finditer(line_text):
        if match.start() <= col <= match.end():
            return _describe(line_text, match)
    return None


def _describe(line_text: str, match: re.Match) -> Optional[tuple[str, int, int]]:
    word, after_dot = match.group(), line_text[: match.start()].rstrip().endswith(".")
    text = MODULE_APIS.get(word) or (METHOD_APIS.get(word) if after_dot else None)
    if text is None:
        return None
    if word == "no_grad" and _used_without_call(line_text, match.end()):
        text = text.replace("\n\n", "\n\n" + NOT_CALLED, 1)
    return text, match.start(), match.end()


def _used_without_call(line_text: str, end: int) -> bool:
    rest = line_text[end:].lstrip()
    return line_text.lstrip().startswith("with ") and not rest.startswith("(")


def _demoted(markdown: str) -> str:
    """Rule pages start at `#`; in a hover popup that renders as a banner, so drop two levels."""
    return re.sub(r"^(#+) ", lambda m: "#" * min(len(m.group(1)) + 2, 6) + " ", markdown, flags=re.MULTILINE)


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
                sections.append(f"**{finding.code}** {finding.message}\n\n{_demoted(rule.explanation())}")
                hover_range = to_range(codec, lines, span)

    api = api_hover(lines[position.line], col)
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
    anchor_uri, anchor = program.layout.place(Span(region.anchor_line, 0, region.anchor_line, 0))
    label = f"line {anchor.start_line + 1}"
    if anchor_uri != uri:
        label = f"cell {program.layout.numbers[program.layout.uris.index(anchor_uri)]}, {label}"
    text = region.describe(label)
    return text[:1].upper() + text[1:]


def _contains(span: Span, line: int, col: int) -> bool:
    return (span.start_line, span.start_col) <= (line, col) <= (span.end_line, span.end_col)
