"""`analyze(source, path, config) -> findings`: the one entry point every front calls.

Pure: no I/O, no global state. Suppression, selection and severity are applied here,
once, so a rule never looks at `noqa` comments or settings itself.
"""
from __future__ import annotations

import ast
import fnmatch
import re
from dataclasses import dataclass, field
from typing import Iterator, Optional, Sequence

from .config import Config
from .dataflow.classindex import module_classes_entry, reexports
from .dataflow.crossfile import NO_CLASSES, Export, ModuleClasses, OutgoingCall, ProjectIndex
from .dataflow.facts import ModuleFacts, build_facts, exports, outgoing_calls, statements_within
from .dataflow.models import module_classes
from .dataflow.names import Names
from .dataflow.memo import FactsMemo
from .dataflow.tokens import names_something_relevant
from .findings import Finding
from .incremental import DocumentMemo, Found
from .lines import LINE_BREAK
from .notebook import JoinedCells
from .report import Rendering, Report
from .rules import RULES, Rule

DEFAULT_CONFIG = Config()
SKIP_FILE = re.compile(r"^[ \t]*#[ \t]*gradguard:[ \t]*skip-file\b", re.MULTILINE)
DEFINED_NAME = re.compile(r"\bdef\s+(\w+)")


class AnalysisError(Exception):
    """The source cannot be analysed (it does not parse, or nests too deeply)."""

    def __init__(self, message: str, line: int = 0, col: int = 0) -> None:
        super().__init__(message)
        self.message, self.line, self.col = message, line, col  # 0-based position


def analyze(source: str, path: str = "<string>", config: Config = DEFAULT_CONFIG,
            project: Optional[ProjectIndex] = None, module: str = "", cell_starts: Sequence[int] = (),
            cell_numbers: Sequence[int] = ()) -> list[Finding]:
    """For a notebook's joined code cells, `cell_starts` (`JoinedCells.starts`) and the numbers the
    front shows for them (default 1, 2, ...), so messages name cells rather than joined lines."""
    return analyze_module(source, path, config, project, module, cell_starts, cell_numbers).findings


@dataclass(frozen=True)
class UnparsableCell:
    """A notebook cell left out of the analysis: Jupyter compiles each cell alone, so this one fails
    and the others run."""

    cell: int  # index into the code cells given (`cell_starts`)
    message: str
    line: int  # 0-based, in the joined source
    col: int


@dataclass(frozen=True)
class ModuleAnalysis:
    findings: list[Finding]
    exports: dict[str, Export] = field(default_factory=dict)  # for other files of the project
    calls: list[OutgoingCall] = field(default_factory=list)
    left_out: tuple[UnparsableCell, ...] = ()  # notebooks: the cells that do not parse
    classes: ModuleClasses = NO_CLASSES  # for the project's class index


def analyze_module(source: str, path: str = "<string>", config: Config = DEFAULT_CONFIG,
                   project: Optional[ProjectIndex] = None, module: str = "",
                   cell_starts: Sequence[int] = (), cell_numbers: Sequence[int] = (),
                   memo: Optional[DocumentMemo] = None) -> ModuleAnalysis:
    """`analyze`, plus what the file tells the project index (`module`: its dotted name in the project).
    `memo`: the same object for every version of one document, for faster analyses after an edit.
    A notebook whose joined cells do not parse is analysed without the cells that do not parse alone."""
    try:
        return _analyze_module(source, path, config, project, module, cell_starts, cell_numbers, memo)
    except AnalysisError:
        if not cell_starts:
            raise
        joined = JoinedCells(source, tuple(cell_starts))
        left_out = tuple(_unparsable_cells(joined))
        if not left_out:
            raise  # each cell parses, but not all of them in a row
    kept = joined.without(cell.cell for cell in left_out).source
    analysis = _analyze_module(kept, path, config, project, module, cell_starts, cell_numbers, memo)
    return ModuleAnalysis(analysis.findings, analysis.exports, analysis.calls, left_out, analysis.classes)


def _unparsable_cells(joined: JoinedCells) -> Iterator[UnparsableCell]:
    for cell, start in enumerate(joined.starts):
        try:
            parse(joined.cell_source(cell))
        except AnalysisError as error:
            yield UnparsableCell(cell, error.message, start + error.line, error.col)


def _analyze_module(source: str, path: str, config: Config, project: Optional[ProjectIndex], module: str,
                    cell_starts: Sequence[int], cell_numbers: Sequence[int],
                    memo: Optional[DocumentMemo]) -> ModuleAnalysis:
    if SKIP_FILE.search(source):
        return ModuleAnalysis([])
    if not might_have_findings(source, config):
        if "torch" in source:
            tree = parse(source)  # PyTorch code that does not parse is still reported, not skipped silently
            if module:  # model classes other files may build
                return ModuleAnalysis([], classes=_classes_entry(tree, source, None, path, module))
        elif module and path.replace("\\", "/").endswith("__init__.py"):  # the names a package re-exports
            return ModuleAnalysis([], classes=reexports(source, module))
        return ModuleAnalysis([])
    rules = enabled_rules(config, path)

    def run(tree: ast.Module, facts_memo: Optional[FactsMemo]) -> tuple[Found, ModuleFacts]:
        report = Report()
        facts = build_facts(tree, config, path, source, project, module, facts_memo)
        for rule in rules:
            rule.check(facts, report)
        return Found(report.reported, exports(facts), outgoing_calls(facts)), facts

    try:
        if memo is None:
            found, facts = run(parse(source), None)
            classes = _classes_entry(facts.tree, source, facts, path, module) if module else NO_CLASSES
        else:
            context = (config, path, module, (project, project.changes) if project is not None else None)
            found = memo.analyse(source, parse, context, run)
            whole = ast.Module(body=[s for chunk in memo.reparser.chunks for s in chunk], type_ignores=[])
            classes = _classes_entry(whole, source, None, path, module) if module else NO_CLASSES
    except RecursionError:
        raise AnalysisError("code nests too deeply to analyse") from None
    rendering = Rendering(LINE_BREAK.split(source), config, cell_starts, cell_numbers)
    return ModuleAnalysis(rendering.findings(found.reported, rules), found.exports, found.calls, classes=classes)


def _classes_entry(tree: ast.Module, source: str, facts: Optional[ModuleFacts], path: str, module: str) -> ModuleClasses:
    """The module's classes for the project index, from its facts when it was analysed."""
    if facts is None:
        names = Names([s for top in tree.body for s in (top, *statements_within(top)) if isinstance(s, (ast.Import, ast.ImportFrom))])
        names.note_aliases(tree.body)
        local_modules = module_classes(tree, names)
    else:
        names, local_modules = facts.names, facts.module_classes
    return module_classes_entry(tree, source, names, local_modules, module, path.replace("\\", "/").endswith("/__init__.py"),
                                (lambda node: id(node) in facts.relevant) if facts is not None else None)


def might_have_findings(source: str, config: Config) -> bool:
    """The text gate: every finding involves a grad-mode or mode-switch name, a load, a functional
    dropout, a validation loader, or a function named for evaluation. Files without any are not parsed."""
    return names_something_relevant(source) or any(
        config.is_eval_function_name(name) for name in DEFINED_NAME.findall(source))


def parse(source: str) -> ast.Module:
    """No file name: to place a syntax error CPython reads the file so named, which is not the text
    parsed here for a notebook (its JSON) or an editor's unsaved buffer."""
    try:
        return ast.parse(source)
    except SyntaxError as error:
        line = max((error.lineno or 1) - 1, 0)
        col = max((error.offset or 1) - 1, 0)
        raise AnalysisError(f"syntax error: {error.msg}", line, col) from None
    except (RecursionError, MemoryError):
        raise AnalysisError("code nests too deeply to parse") from None
    except ValueError as error:  # e.g. source with NUL bytes
        raise AnalysisError(f"cannot parse: {error}") from None


def matches(code_or_slug: str, rule: Rule) -> bool:
    """`GG2` selects every GG2xx rule; a slug selects its rule."""
    token = code_or_slug.strip()
    return rule.code.startswith(token.upper()) if token[:2].upper() == "GG" else token == rule.slug


KNOWN_SELECTORS = f"the codes {', '.join(rule.code for rule in RULES)}, a prefix such as GG2, or a rule's slug"


def unknown_selectors(tokens: Sequence[str]) -> list[str]:
    """Those of `select`/`ignore`'s codes, prefixes and slugs that match no rule."""
    return [token for token in tokens if not any(matches(token, rule) for rule in RULES)]


def enabled_rules(config: Config, path: str) -> list[Rule]:
    ignored = list(config.ignore)
    for glob, codes in config.per_file_ignores.items():
        if fnmatch.fnmatch(path.replace("\\", "/"), glob) or fnmatch.fnmatch(path, f"*/{glob}"):
            ignored.extend(codes)
    return [
        rule for rule in RULES
        if (not config.select or any(matches(s, rule) for s in config.select))
        and not any(matches(i, rule) for i in ignored)
    ]
