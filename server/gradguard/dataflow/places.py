"""Places of the code the fronts explain (the editor's hover), as queries over what the analysis found:
- where gradients are off, and which statement turned them off: the grad mode the walk carried to each
  statement (`FunctionFacts.grad_before`), so a helper called only inside `no_grad`, a
  `torch.set_grad_enabled(False)` statement and a `@torch.no_grad()` decorator count as the rules see them;
- which names resolve to an API `apis.py` explains: `torch.no_grad` however imported, `.eval()` and
  `.train()` only where they are module calls (not `args.train`).

They are found as nodes (`GradOff`, `ApiUse`), which an edit elsewhere in the document moves with their
statements (`incremental.py`), and placed on lines last (`grad_regions`, `api_names`).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from ..vocabulary import GRAD_MODE_APIS
from .models import module_method_receiver
from .names import Names
from .state import Grad, Possible, only
from .traverse import descendants

if TYPE_CHECKING:
    from .facts import ModuleFacts
    from .functions import FunctionFacts

Origin = Union[ast.stmt, ast.expr]  # a `with` statement, a decorator or a call
STATEMENT_LISTS = ("body", "orelse", "finalbody")
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# The APIs explained whose names the text gate of `analyze` does not look for: a file that names only
# these is not analysed, but its names are found for the hover.
UNGATED_API_TOKENS = ("detach", "requires_grad")
GRAD_MODE_NAMES = frozenset(api.rsplit(".", 1)[1] for api in GRAD_MODE_APIS)  # `torch.no_grad` is written `<x>.no_grad`


@dataclass(frozen=True)
class GradOff:
    """From `statement` up to the line before `until` (or its own last line), gradients are off because of
    `origin`, a statement written `origin_text`; or back on (or unknown), when `origin` is None."""

    statement: ast.stmt
    until: ast.stmt | None  # the next statement of the same block
    origin: Origin | None
    origin_text: str = ""


@dataclass(frozen=True)
class ApiUse:
    node: ast.Name | ast.Attribute  # its last identifier is the name the hover explains
    api: str  # a key of `apis.API_TEXTS`: "torch.no_grad", "Module.eval", "Tensor.detach", "requires_grad"...
    entered_uncalled: bool = False  # `with torch.no_grad:` (GG101)


@dataclass(frozen=True)
class GradRegion:
    """0-based lines [first_line, last_line] run with gradients off, by `statement` on `anchor_line`."""

    first_line: int
    last_line: int
    statement: str  # as written, e.g. "with torch.no_grad()"
    anchor_line: int

    def describe(self, anchor_label: str) -> str:
        return f"gradients are disabled here by `{self.statement}` ({anchor_label})"


@dataclass(frozen=True)
class ApiName:
    """A name that resolves to an API `apis.py` explains: 0-based `line`, code-point columns [start, end)."""

    line: int
    start_col: int
    end_col: int
    api: str
    entered_uncalled: bool = False


# ---- found on the facts ------------------------------------------------------------------------------
def grad_off_statements(facts: ModuleFacts, lines: list[str]) -> list[GradOff]:
    """Where the grad mode at a statement differs from the one around it (the function's start counts as on)."""
    found: list[GradOff] = []
    for fn in facts.functions:
        if fn.grad_before and not isinstance(fn.node, ast.Lambda):
            _changes(fn, fn.node.body, None, lines, found, fn is not facts.body)
    return found


def _changes(
    fn: FunctionFacts,
    body: list[ast.stmt],
    around: Origin | None,
    lines: list[str],
    found: list[GradOff],
    up_to_next: bool = True,
) -> None:
    """`up_to_next`: a change holds up to the next statement of the block, not of the module's body (an
    analysis after an edit may leave some of its statements out, `incremental.py`)."""
    for index, statement in enumerate(body):
        if isinstance(statement, DEFINITIONS):
            if around is not None:  # its body runs when it is called: walked as a function of its own
                found.append(GradOff(statement, None, None))
            continue
        grad = fn.grad_before.get(id(statement))
        origin, text = _disabled_by(grad, lines) if grad is not None else (around, "")  # None: not reached
        if origin is not around:
            until = body[index + 1] if up_to_next and index + 1 < len(body) else None
            found.append(GradOff(statement, until, origin, text))
        for name in STATEMENT_LISTS:
            _changes(fn, getattr(statement, name, None) or [], origin, lines, found)
        for block in [*getattr(statement, "handlers", ()), *getattr(statement, "cases", ())]:
            _changes(fn, block.body, origin, lines, found)


def _disabled_by(grad: Possible, lines: list[str]) -> tuple[Origin | None, str]:
    """The statement to name when every path turns gradients off (the earliest one written), else None."""
    if not only(grad, Grad.DISABLED):
        return None, ""
    for setting in sorted(grad, key=lambda s: (getattr(s.origin, "lineno", 0), getattr(s.origin, "col_offset", 0))):
        origin = setting.origin
        if setting.via == "with" and isinstance(origin, (ast.With, ast.AsyncWith)):
            item = next((i for i in origin.items if isinstance(i.context_expr, ast.Call)), origin.items[0])
            return origin, f"with {_text(lines, item.context_expr)}"
        if setting.via == "decorator" and isinstance(origin, ast.expr):
            return origin, f"@{_text(lines, origin)}"
        if setting.via in ("call", "callee") and isinstance(origin, ast.Call):
            return origin, _text(lines, origin)
    return None, ""  # a framework hook, or callers in other files: no statement here to name


def api_uses(names: Names, tree: ast.Module) -> list[ApiUse]:
    found = []
    entered: set[int] = set()  # what `with` blocks enter: a node comes before its children
    for node in descendants([tree], ()):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            entered.update(id(item.context_expr) for item in node.items)
        elif isinstance(node, ast.Name) or (isinstance(node, ast.Attribute) and node.attr in GRAD_MODE_NAMES):
            qualified = names.qualified(node)
            if qualified in GRAD_MODE_APIS:
                found.append(ApiUse(node, qualified, id(node) in entered))
        elif isinstance(node, ast.Attribute) and node.attr == "requires_grad":
            found.append(ApiUse(node, "requires_grad"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            if method in ("eval", "train") and module_method_receiver(node) is not None:
                found.append(ApiUse(node.func, f"Module.{method}"))
            elif method == "detach" and not (node.args or node.keywords):
                found.append(ApiUse(node.func, "Tensor.detach"))
            elif method == "requires_grad_":
                found.append(ApiUse(node.func, "requires_grad"))
    return found


# ---- placed on lines ---------------------------------------------------------------------------------
def grad_regions(changes: list[GradOff]) -> list[GradRegion]:
    """Disjoint runs of lines with gradients off: each change holds from its statement to the next
    statement of its block (comments and blank lines between them included), nested changes win."""
    by_line: dict[int, GradOff] = {}
    for change in sorted(changes, key=lambda c: (c.statement.lineno, c.statement.col_offset)):
        statement, until = change.statement, change.until
        last = until.lineno - 2 if until is not None else (statement.end_lineno or statement.lineno) - 1
        for line in range(statement.lineno - 1, last + 1):
            by_line[line] = change
    regions: list[GradRegion] = []
    for line in sorted(by_line):
        change = by_line[line]
        if change.origin is None:
            continue
        region = GradRegion(line, line, change.origin_text, change.origin.lineno - 1)
        previous = regions[-1] if regions else None
        if (
            previous is not None
            and previous.last_line == line - 1
            and (previous.statement, previous.anchor_line) == (region.statement, region.anchor_line)
        ):
            regions[-1] = GradRegion(previous.first_line, line, previous.statement, previous.anchor_line)
        else:
            regions.append(region)
    return regions


def region_at(regions: Sequence[GradRegion], line: int) -> GradRegion | None:
    return next((region for region in regions if region.first_line <= line <= region.last_line), None)


def api_names(uses: list[ApiUse], lines: list[str]) -> list[ApiName]:
    """In the order they are written."""
    return sorted((_api_name(use, lines) for use in uses), key=lambda name: (name.line, name.start_col))


def _api_name(use: ApiUse, lines: list[str]) -> ApiName:
    """Placed on the last identifier of the node (`no_grad` of `torch.no_grad`), which ends where the node ends."""
    node = use.node
    identifier = node.attr if isinstance(node, ast.Attribute) else node.id
    line = (node.end_lineno or node.lineno) - 1
    end_byte = node.end_col_offset or 0
    text = lines[line] if line < len(lines) else ""
    end = len(text.encode("utf-8")[:end_byte].decode("utf-8", errors="replace"))
    return ApiName(line, end - len(identifier), end, use.api, use.entered_uncalled)


def _text(lines: list[str], node: ast.expr) -> str:
    """The node as written when it fits on one line (`ast` columns count UTF-8 bytes), else unparsed."""
    if node.lineno == node.end_lineno and node.lineno <= len(lines):
        encoded = lines[node.lineno - 1].encode("utf-8")
        return encoded[node.col_offset : node.end_col_offset].decode("utf-8", errors="replace")
    return " ".join(ast.unparse(node).split())
