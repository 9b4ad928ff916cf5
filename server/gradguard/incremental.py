"""Analysing a document again after an edit, redoing only what the edit can have changed.

The language server keeps a `DocumentMemo` per open document. Three things carry over:
- the parse of the top-level statements the edit did not touch (`reparse.py`);
- per-function work on those statements: own nodes, model names, walks (`dataflow/memo.py`);
- the results of *isolated* chunks. A chunk is a run of top-level statements from one column-0
  line to the next (`Reparser.chunks`). It is isolated when it holds only `def`s and `class`es,
  imports nothing, its names (of functions and classes at any depth, and `global`s) are written
  nowhere else in the file, and it writes no name that another chunk defines. Nothing else in the
  file then calls it, names it, or is called by it, and every finding, export and outgoing call in
  it depends on its own text, the module's imports and non-`def` code, the settings and the
  project index only (see `_isolated`). An isolated chunk whose statements the re-parse kept
  (moved down or up, or not), under the same context, keeps what the rules reported on it, which
  is rendered again at its new place (`report.py`); the rest of the file is analysed with those
  chunks left out. tests/fuzz/test_incremental_analysis.py checks, on generated programs and edits,
  that the result is always what an analysis of the whole text gives.
"""

from __future__ import annotations

import ast
import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Callable

from .dataflow.crossfile import Export, OutgoingCall, call_order
from .dataflow.export import outgoing_calls, unseen_references
from .dataflow.facts import ModuleFacts
from .dataflow.functions import FunctionFacts
from .dataflow.memo import FactsMemo
from .dataflow.places import ApiUse, GradOff
from .dataflow.tokens import IDENTIFIER
from .dataflow.traverse import statements_within
from .reparse import Reparser
from .report import Reported, start_of
from .rules.intent import result_may_train

DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
IMPORTS = (ast.Import, ast.ImportFrom)


@dataclass(frozen=True)
class Found:
    """What an analysis of a module (or of a part of it) found, before it is rendered as findings."""

    reported: list[Reported]
    exports: dict[str, Export]  # for other files of the project
    calls: list[OutgoingCall]
    grad_off: list[GradOff]  # for the hover (dataflow/places.py)
    api_uses: list[ApiUse]


@dataclass(frozen=True)
class Chunk:
    start: int  # 0-based line
    end: int  # 0-based line after it
    statements: tuple[ast.stmt, ...]
    text: str


@dataclass(frozen=True)
class ChunkNames:
    written: frozenset[str]  # every identifier in its text (strings and comments too: more is safe)
    defined: frozenset[str]  # names it binds at module level, or the functions and classes it defines
    isolable: bool  # only definitions, and no import
    imports: tuple[str, ...]  # its import statements, at any depth (a name imported anywhere is resolved everywhere)


class DocumentMemo:
    """What the analyses of one document that changes edit by edit (an editor's buffer) keep for the next."""

    def __init__(self) -> None:
        self.reparser = Reparser()
        self.facts = FactsMemo()
        self._names: dict[str, ChunkNames] = {}  # by chunk text
        self._results: dict[tuple[ast.stmt, ...], Found] = {}  # isolated chunks, by their statements (the objects)
        self._context: Any = None
        self.analysed = (0, 0)  # top-level statements the last analysis walked, of all: for the server's trace

    def analyse(
        self,
        source: str,
        parse_whole: Callable[[str], ast.Module],
        context: Any,
        run: Callable[[ast.Module, FactsMemo], tuple[Found, ModuleFacts]],
    ) -> Found:
        """`run` analyses a tree whose statements are a part of `source`'s. `context` holds what
        every result depends on besides the text: settings, path, the project index's state."""
        self.reparser.parse(source, parse_whole)
        chunks = list(self._chunks())
        names = {chunk.text: self._names.get(chunk.text) or _chunk_names(chunk) for chunk in chunks}
        self._names = names
        # the imports and texts themselves, not the number of chunks: adding or removing a function (a paste, its
        # undo) leaves the results of the others as they were
        shared = (
            context,
            *(imports for c in chunks if (imports := names[c.text].imports)),
            *(c.text for c in chunks if not names[c.text].isolable),
        )
        if shared != self._context:
            self._context, self._results = shared, {}
        isolated = _isolated(chunks, names)
        reused = {c.statements: self._results[c.statements] for c in isolated if c.statements in self._results}
        analysed = [statement for chunk in chunks if chunk.statements not in reused for statement in chunk.statements]
        self.analysed = (len(analysed), sum(len(chunk.statements) for chunk in chunks))
        self.facts.start(context)  # walks check their other inputs themselves
        try:
            found, facts = run(ast.Module(body=analysed, type_ignores=[]), self.facts)
        finally:
            self.facts.finish()
        self._results = {**reused, **_found_by_chunk(found, facts, [c for c in isolated if c.statements not in reused])}
        return Found(
            [*found.reported, *(r for part in reused.values() for r in part.reported)],
            {**found.exports, **{name: e for part in reused.values() for name, e in part.exports.items()}},
            sorted(
                {*found.calls, *(c for part in reused.values() for c in part.calls)},
                key=call_order,
            ),
            [*found.grad_off, *(g for part in reused.values() for g in part.grad_off)],
            [*found.api_uses, *(u for part in reused.values() for u in part.api_uses)],
        )

    def _chunks(self) -> Iterator[Chunk]:
        parser = self.reparser
        ends = [*parser.starts[1:], len(parser.lines)]
        for start, end, statements in zip(parser.starts, ends, parser.chunks):
            yield Chunk(start, end, tuple(statements), "".join(parser.lines[start:end]))


def _chunk_names(chunk: Chunk) -> ChunkNames:
    statements = [nested for top in chunk.statements for nested in [top, *statements_within(top)]]
    isolable = (
        bool(chunk.statements)
        and all(isinstance(s, DEFINITIONS) for s in chunk.statements)
        and not any(isinstance(s, IMPORTS) for s in statements)
    )
    defined = {s.name for s in statements if isinstance(s, DEFINITIONS)}
    defined.update(name for s in statements if isinstance(s, (ast.Global, ast.Nonlocal)) for name in s.names)
    # module-level code: every name it binds (names bound inside definitions are theirs, or `global`s, above)
    defined.update(
        node.id
        for top in chunk.statements
        if not isinstance(top, (*IMPORTS, *DEFINITIONS))
        for node in ast.walk(top)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    )
    imports = tuple(ast.dump(s) for s in statements if isinstance(s, IMPORTS))
    return ChunkNames(frozenset(IDENTIFIER.findall(chunk.text)), frozenset(defined), isolable, imports)


def _isolated(chunks: list[Chunk], names: dict[str, ChunkNames]) -> list[Chunk]:
    """The chunks nothing else in the file depends on, and that depend on nothing else in it but its
    imports and module-level code (whose text is part of the context)."""
    writers: dict[str, int] = {}
    definers: dict[str, int] = {}
    for chunk in chunks:
        for name in names[chunk.text].written:
            writers[name] = writers.get(name, 0) + 1
        for name in names[chunk.text].defined:
            definers[name] = definers.get(name, 0) + 1
    isolated = []
    for chunk in chunks:
        own = names[chunk.text]
        if (
            own.isolable
            and all(writers.get(name, 0) <= 1 for name in own.defined)
            and all(definers.get(name, 0) <= (name in own.defined) for name in own.written)
        ):
            isolated.append(chunk)
    return isolated


def _found_by_chunk(found: Found, facts: ModuleFacts, chunks: list[Chunk]) -> dict[tuple[ast.stmt, ...], Found]:
    """The part of what was found that lies in each of `chunks` (analysed in `facts`)."""
    starts = [chunk.start for chunk in chunks]

    def holder(node: ast.AST) -> tuple[ast.stmt, ...] | None:
        line = start_of(node)[0] - 1
        index = bisect.bisect_right(starts, line) - 1
        return chunks[index].statements if index >= 0 and line < chunks[index].end else None

    parts = {c.statements: Found([], {}, [], [], []) for c in chunks}
    for reported in found.reported:
        if (key := holder(reported.node)) is not None:
            parts[key].reported.append(reported)
    for change in found.grad_off:
        if (key := holder(change.statement)) is not None:
            parts[key].grad_off.append(change)
    for use in found.api_uses:
        if (key := holder(use.node)) is not None:
            parts[key].api_uses.append(use)
    for name, export in found.exports.items():
        if name in facts.by_name and (key := holder(facts.by_name[name].node)) is not None:
            parts[key].exports[name] = export
    functions: dict[tuple[ast.stmt, ...], list[FunctionFacts]] = {}
    for fn in facts.functions:
        if fn is not facts.body and (key := holder(fn.node)) is not None:
            functions.setdefault(key, []).append(fn)
    for key, inside in functions.items():
        parts[key].calls.extend(
            [*outgoing_calls(facts, result_may_train(facts), inside), *unseen_references(facts, inside, key)]
        )
    return parts
