"""Which functions are worth walking, decided from the text: those naming something a rule looks at,
those whose name says evaluation, and the callers and callees of those (their effects reach each other)."""

from __future__ import annotations

import ast
import bisect
import re
from typing import Callable, Union

from ..config import Config
from ..lines import line_starts
from ..vocabulary import INFERENCE_NAME_PREFIXES
from .tokens import IDENTIFIER, call_positions, relevant_positions

Definition = Union[ast.FunctionDef, ast.AsyncFunctionDef]
SELF_ATTRIBUTE = re.compile(r"self\.(\w+)")  # no leading \b: a literal prefix makes it 10x faster


def relevant_definitions(tree: ast.Module, defs: list[Definition], source: str, config: Config) -> set[int]:
    """ids of the function definitions worth walking: their text names something a rule looks at,
    their name says evaluation, they call (by name) a function that is relevant (its effects reach
    them), or a relevant function names them (a helper it calls, a worker it starts).
    Works on positions in the source (of the tokens, then of the calls of each relevant name): slicing
    and searching the text of every definition costs more than walking the relevant ones."""
    offsets = line_starts(source)
    spans = {
        id(d): (
            offsets[min([d.lineno, *(x.lineno for x in d.decorator_list)]) - 1],
            offsets[min(d.end_lineno or d.lineno, len(offsets) - 1)],
        )
        for d in defs
    }
    hits = sorted(relevant_positions(source))
    relevant = {
        id(d)
        for d in defs
        if config.is_eval_function_name(d.name)
        or d.name.startswith(INFERENCE_NAME_PREFIXES)
        or _any_within(hits, spans[id(d)])
    }
    if not relevant:
        return relevant
    top_level = {id(d) for d in tree.body if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef))}
    written: set[str] = set()  # the words and `self.` attributes of the relevant definitions
    attributes: set[str] = set()
    for start, end in _merged([spans[id(d)] for d in defs if id(d) in relevant]):
        written.update(IDENTIFIER.findall(source, start, end))
        attributes.update(SELF_ATTRIBUTE.findall(source, start, end))
    relevant |= {id(d) for d in defs if d.name in attributes or (id(d) in top_level and d.name in written)}
    pending = [d.name for d in defs if id(d) in relevant]
    holders = _holders(defs, spans)
    followed: set[str] = set()
    while pending:  # a call of a relevant function makes its caller relevant (its effects reach it)
        name = pending.pop()
        if name in followed:
            continue
        followed.add(name)
        for position in call_positions(source, name):
            for d in holders(position):
                if id(d) not in relevant:
                    relevant.add(id(d))
                    pending.append(d.name)
    return relevant


def _holders(defs: list[Definition], spans: dict[int, tuple[int, int]]) -> Callable[[int], list[Definition]]:
    """A function from a position in the source to the definitions whose text holds it, innermost first.
    Each lookup steps back only over the definitions nested in the same outermost one."""
    ordered = sorted(defs, key=lambda d: spans[id(d)][0])
    starts = [spans[id(d)][0] for d in ordered]
    parent: dict[int, Definition | None] = {}
    open_definitions: list[Definition] = []
    for d in ordered:
        while open_definitions and spans[id(open_definitions[-1])][1] <= spans[id(d)][0]:
            open_definitions.pop()
        parent[id(d)] = open_definitions[-1] if open_definitions else None
        open_definitions.append(d)

    def holders(position: int) -> list[Definition]:
        index = bisect.bisect_right(starts, position) - 1
        while index >= 0:
            innermost: Definition | None = ordered[index]
            if position < spans[id(innermost)][1]:
                found = []
                while innermost is not None:
                    found.append(innermost)
                    innermost = parent[id(innermost)]
                return found
            if parent[id(innermost)] is None:
                return []  # outermost definitions before this one ended before it began
            index -= 1
        return []

    return holders


def _any_within(positions: list[int], span: tuple[int, int]) -> bool:
    return bisect.bisect_left(positions, span[0]) < bisect.bisect_left(positions, span[1])


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, disjoint (nested definitions lie inside their parents)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
