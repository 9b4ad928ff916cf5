"""`analyze(source, path, config) -> findings`: the one entry point every front calls.

Pure: no I/O, no global state. Suppression, selection and severity are applied here,
once, so a rule never looks at `noqa` comments or settings itself.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace

from .config import Config
from .dataflow.classindex import imported_uses, module_classes_entry, reexports
from .dataflow.crossfile import NO_CLASSES, Export, ModuleClasses, OutgoingCall, ProjectIndex, call_order
from .dataflow.export import exports, outgoing_calls, unseen_references
from .dataflow.facts import ModuleFacts, build_facts, release
from .dataflow.memo import FactsMemo
from .dataflow.models import module_classes
from .dataflow.names import Names, dotted
from .dataflow.places import (
    UNGATED_API_TOKENS,
    ApiName,
    GradRegion,
    api_names,
    api_uses,
    grad_off_statements,
    grad_regions,
)
from .dataflow.tokens import is_identifier_char, names_something_relevant
from .dataflow.traverse import statements_within
from .findings import Finding
from .incremental import DocumentMemo, Found
from .lines import LINE_BREAK
from .notebook import JoinedCells
from .report import Rendering, Report
from .rules import RULES, Rule
from .rules.handback import with_handed_back_forwards
from .rules.intent import result_may_train

DEFAULT_CONFIG = Config()
SKIP_FILE = re.compile(r"^[ \t]*#[ \t]*gradguard:[ \t]*skip-file\b", re.MULTILINE)
# no leading \b: a pattern that starts with a literal is searched for 20x faster (`undef` is left out by hand)
DEFINED_NAME = re.compile(r"def\s+(\w+)")


class AnalysisError(Exception):
    """The source cannot be analysed (it does not parse, or nests too deeply)."""

    def __init__(self, message: str, line: int = 0, col: int = 0) -> None:
        super().__init__(message)
        self.message, self.line, self.col = message, line, col  # 0-based position


def analyze(
    source: str,
    path: str = "<string>",
    config: Config = DEFAULT_CONFIG,
    project: ProjectIndex | None = None,
    module: str = "",
    cell_starts: Sequence[int] = (),
    cell_numbers: Sequence[int] = (),
) -> list[Finding]:
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
    # for the editor's hover: where gradients are off and by what, and the names of APIs `apis.py` explains
    grad_regions: list[GradRegion] = field(default_factory=list)
    api_names: list[ApiName] = field(default_factory=list)


def analyze_module(
    source: str,
    path: str = "<string>",
    config: Config = DEFAULT_CONFIG,
    project: ProjectIndex | None = None,
    module: str = "",
    cell_starts: Sequence[int] = (),
    cell_numbers: Sequence[int] = (),
    memo: DocumentMemo | None = None,
    hover_places: bool = False,
) -> ModuleAnalysis:
    """`analyze`, plus what the file tells the project index (`module`: its dotted name in the project).
    `memo`: the same object for every version of one document, for faster analyses after an edit.
    `hover_places`: also find what the editor's hover explains (`grad_regions`, `api_names`): a walk of the
    whole tree, which a check run does not pay for.
    A notebook whose joined cells do not parse is analysed without the cells that do not parse alone."""
    try:
        return _analyze_module(source, path, config, project, module, cell_starts, cell_numbers, memo, hover_places)
    except AnalysisError:
        if not cell_starts:
            raise
        joined = JoinedCells(source, tuple(cell_starts))
        left_out = tuple(_unparsable_cells(joined))
        if not left_out:
            raise  # each cell parses, but not all of them in a row
    kept = joined.without(cell.cell for cell in left_out).source
    analysis = _analyze_module(kept, path, config, project, module, cell_starts, cell_numbers, memo, hover_places)
    return replace(analysis, left_out=left_out)


def _unparsable_cells(joined: JoinedCells) -> Iterator[UnparsableCell]:
    for cell, start in enumerate(joined.starts):
        try:
            parse(joined.cell_source(cell))
        except AnalysisError as error:
            yield UnparsableCell(cell, error.message, start + error.line, error.col)


def _analyze_module(
    source: str,
    path: str,
    config: Config,
    project: ProjectIndex | None,
    module: str,
    cell_starts: Sequence[int],
    cell_numbers: Sequence[int],
    memo: DocumentMemo | None,
    hover_places: bool,
) -> ModuleAnalysis:
    if "skip-file" in source and SKIP_FILE.search(source):  # the literal first: 10x cheaper on files without it
        return ModuleAnalysis([])
    if not might_have_findings(source, config):  # no finding possible: parsed only for the index and the hover
        classes = NO_CLASSES
        if module and ("torch" in source or _may_define_modules_through_star_import(source)):  # classes others build
            with suppress(AnalysisError):  # code that cannot hold a finding is not ours to report
                classes = _classes_entry(parse(source), source, None, path, module)
        elif module and path.replace("\\", "/").endswith("__init__.py"):  # the names a package re-exports
            classes = reexports(source, module)
        hovered = hover_places and any(token in source for token in UNGATED_API_TOKENS)
        package = path.replace("\\", "/").endswith("__init__.py")  # its imports are re-exports, followed
        calls = imported_uses(source, module, package) if module and not package and "import" in source else []
        return ModuleAnalysis([], calls=calls, classes=classes, api_names=_api_names_alone(source) if hovered else [])
    rules = enabled_rules(config, path)
    lines = LINE_BREAK.split(source) if hover_places else []  # split only when something is rendered

    def run(tree: ast.Module, facts_memo: FactsMemo | None) -> tuple[Found, ModuleFacts]:
        report = Report()
        facts = build_facts(tree, config, path, source, project, module, facts_memo)
        for rule in rules:
            rule.check(facts, report)
        found = Found(
            report.reported,
            with_handed_back_forwards(facts, exports(facts)),
            sorted({*outgoing_calls(facts, result_may_train(facts)), *unseen_references(facts)}, key=call_order),
            grad_off_statements(facts, lines) if hover_places else [],
            api_uses(facts.names, tree) if hover_places else [],
        )
        return found, facts

    try:
        if memo is None:
            found, facts = run(parse(source), None)
            classes = _classes_entry(facts.tree, source, facts, path, module) if module else NO_CLASSES
            release(facts)  # a memo keeps its facts for the next analysis; without one they are done with
        else:
            seen = project.changes_seen_by(module) if project is not None else None
            context = (config, path, module, seen, hover_places)
            found = memo.analyse(source, parse, context, run)
            whole = ast.Module(body=[s for chunk in memo.reparser.chunks for s in chunk], type_ignores=[])
            classes = _classes_entry(whole, source, None, path, module) if module else NO_CLASSES
    except RecursionError:
        raise AnalysisError("code nests too deeply to analyse") from None
    if not found.reported and not hover_places:  # most files: no need to split them into lines
        return ModuleAnalysis([], found.exports, found.calls, classes=classes)
    lines = lines or LINE_BREAK.split(source)
    rendering = Rendering(lines, config, cell_starts, cell_numbers)
    return ModuleAnalysis(
        rendering.findings(found.reported, rules),
        found.exports,
        found.calls,
        classes=classes,
        grad_regions=grad_regions(found.grad_off),
        api_names=api_names(found.api_uses, lines),
    )


def _may_define_modules_through_star_import(source: str) -> bool:
    """`from .parts import *` then `class UNet(nn.Module): def forward(...)`: torch reaches the file only
    through another module of the project, and a class with a `forward` is a module (`models.module_classes`)."""
    return "import *" in source and "def forward" in source


def _api_names_alone(source: str) -> list[ApiName]:
    """The hover's API names of a file the analysis skips (none gives it gradients off anywhere)."""
    try:
        tree = parse(source)
    except AnalysisError:
        return []  # not PyTorch code: its syntax errors are not ours to report
    names = Names(tree)
    names.note_aliases(tree.body)
    return api_names(api_uses(names, tree), LINE_BREAK.split(source))


def _classes_entry(tree: ast.Module, source: str, facts: ModuleFacts | None, path: str, module: str) -> ModuleClasses:
    """The module's classes for the project index, from its facts when it was analysed."""
    if facts is None:
        names = Names(
            [
                s
                for top in tree.body
                for s in (top, *statements_within(top))
                if isinstance(s, (ast.Import, ast.ImportFrom))
            ]
        )
        names.note_aliases(tree.body)
        local_modules = module_classes(tree, names)
    else:
        names, local_modules = facts.names, facts.module_classes
    return module_classes_entry(
        tree,
        source,
        names,
        local_modules,
        module,
        path.replace("\\", "/").endswith("/__init__.py"),
        (lambda node: id(node) in facts.relevant) if facts is not None else None,
        _models_handed_to(facts) if facts is not None else (),
    )


def _models_handed_to(facts: ModuleFacts) -> set[str]:
    """What the calls that receive a model call (`CAM(model, layer)`: "torchcam.CAM"), as imported: whether
    such code switches the mode is known only through the project index."""
    return {
        event.qualified
        for fn in facts.functions
        if fn.model_keys
        for event in fn.call_events()
        if event.qualified is not None
        and any(dotted(a) in fn.model_keys for a in [*event.node.args, *(k.value for k in event.node.keywords)])
    }


def might_have_findings(source: str, config: Config) -> bool:
    """The text gate: every finding involves a grad-mode or mode-switch name, a load, a functional
    dropout, a validation loader, or a function named for evaluation. Files without any are not parsed,
    so a syntax error in them is not reported either."""
    return names_something_relevant(source) or any(
        config.is_eval_function_name(match.group(1))
        for match in DEFINED_NAME.finditer(source)
        if not is_identifier_char(source, match.start() - 1)
    )


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
        rule
        for rule in RULES
        if (not config.select or any(matches(s, rule) for s in config.select))
        and not any(matches(i, rule) for i in ignored)
    ]
