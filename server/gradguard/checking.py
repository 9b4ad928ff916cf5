"""Checking one file, and many in parallel: read, analyse, pick fixes, apply them.

`check_file` runs in worker processes, so it takes and returns plain picklable data.
Results come back in the order the files were given, whatever `jobs` is.

Two passes make summaries cross files: the first analyses every file on its own and collects
what each exports (`evaluate` leaves the model in eval mode) and calls; the files for which
that index says something (they call such a function, or a function they walk is called from
`no_grad` elsewhere) are analysed again with it.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from .analysis import AnalysisError, analyze, analyze_module
from .cache import Cache, cache_key
from .config import Config
from .dataflow.crossfile import NO_CLASSES, Definition, Export, ModuleClasses, OutgoingCall, ProjectIndex, module_name
from .dataflow.state import Mode
from .files import FileProblem, SourceFile, WriteRefused, decode_source, notebook_with_sources, write_target
from .findings import Applicability, Edit, Finding, Fix, Related, Span
from .fixdata import FixData
from .noqa import add_noqa_comments
from .notebook import cells_after_fixes, join_cells
from .processes import tune_garbage_collector, worker_context
from .rules import BY_CODE

# Below this much source a worker process costs more to start (imports; libcst too when fixing) than it saves.
PARALLEL_MIN_BYTES = 512 * 1024


@dataclass(frozen=True)
class Options:
    with_fixes: bool = False  # attach each finding's preferred fix (json, sarif)
    mark_fixable: bool = False  # only whether each finding has a fix, and how safe (text): libcst only when it must
    apply_fixes: bool = False  # compute the fixed text (--fix, --diff)
    unsafe_fixes: bool = False
    add_noqa: bool = False
    cache_dir: str | None = None
    # --fix, --add-noqa: the real folders named on the command line (see `files.write_target`); None: no writing
    write_into: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Task:
    path: str  # as shown to the user
    analysis_path: str  # relative to the project root: what per-file-ignores match
    config: Config
    options: Options
    project: ProjectIndex | None = None  # the second pass: other files' summaries
    project_digest: str = ""  # the second pass: a hash of what `project` was built from, for the cache key
    source: bytes | None = None  # `gradguard check -`: the bytes read from standard input; None: read `path`

    @property
    def module(self) -> str:
        return module_name(self.analysis_path, ".")


@dataclass(frozen=True)
class Problem:
    message: str
    line: int | None = None  # 0-based
    col: int | None = None


@dataclass(frozen=True)
class FileResult:
    path: str
    findings: tuple[Finding, ...] = ()
    fixes: tuple[Fix | None, ...] = ()  # aligned with findings (only with Options.with_fixes)
    # aligned with findings (with Options.with_fixes or mark_fixable): the applicability of each one's fix, if any
    fixable: tuple[Applicability | None, ...] = ()
    problem: Problem | None = None  # the file could not be checked
    left_out_cells: tuple[Problem, ...] = ()  # notebooks: cells that do not parse, the others checked without them
    cell_starts: tuple[int, ...] | None = None  # notebooks: joined line where each code cell starts
    cell_indexes: tuple[int, ...] = ()  # notebooks: index of each code cell in the `cells` array
    original_text: str | None = None  # set when `new_text` is
    new_text: str | None = None  # after --fix / --add-noqa, when it differs
    encoding: str = "utf-8"
    changes: int = 0  # fixes applied or noqa comments added
    fixed: tuple[str, ...] = ()  # --fix, --diff: the code of each finding the fixes removed (`--show-fixes`)
    notes: tuple[str, ...] = field(default=())
    exports: tuple[tuple[str, Export], ...] = ()  # for the project index
    calls: tuple[OutgoingCall, ...] = ()
    classes: ModuleClasses = NO_CLASSES

    @property
    def problems(self) -> tuple[Problem, ...]:
        """What is reported as an error (exit status 2): the file's problem, or its cells'."""
        return ((self.problem,) if self.problem else ()) + self.left_out_cells

    def locate(self, span: Span) -> tuple[int | None, Span]:
        """A span of the analysed text -> (notebook cell number or None, span within that cell). Cells are
        numbered as Jupyter shows them: from 1, markdown cells counted."""
        if self.cell_starts is None:
            return None, span
        code_cell = max(i for i, start in enumerate(self.cell_starts) if start <= span.start_line)
        offset = self.cell_starts[code_cell]
        return self.cell_indexes[code_cell] + 1, Span(
            span.start_line - offset, span.start_col, span.end_line - offset, span.end_col
        )


Progress = Callable[[int, int, str], None]  # (files done, files in this pass, the pass): the CLI's progress bar


def check_all(tasks: list[Task], jobs: int, progress: Progress = lambda done, total, what: None) -> list[FileResult]:
    tune_garbage_collector()
    return _second_pass(tasks, _check(tasks, jobs, progress, "checked"), jobs, progress)


def _check(tasks: list[Task], jobs: int, progress: Progress, what: str) -> list[FileResult]:
    """Cache hits are answered here; only the misses go to worker processes, when there is enough to do."""
    results: list[FileResult | None] = [_cached(task) for task in tasks]
    missing = [task for task, result in zip(tasks, results) if result is None]
    workers = min(jobs, os.cpu_count() or 1, len(missing))
    computed: list[FileResult] = []

    def collect(fresh: Iterator[FileResult]) -> None:
        for result in fresh:
            computed.append(result)
            progress(len(tasks) - len(missing) + len(computed), len(tasks), what)

    progress(len(tasks) - len(missing), len(tasks), what)
    if workers <= 1 or sum(map(_size, missing)) < PARALLEL_MIN_BYTES:
        collect(map(check_file, missing))
    else:
        with worker_context().Pool(workers, tune_garbage_collector) as pool:
            collect(pool.imap(check_file, missing, chunksize=max(1, len(missing) // (workers * 8))))
    fresh = iter(computed)
    return [result if result is not None else next(fresh) for result in results]


def _second_pass(tasks: list[Task], results: list[FileResult], jobs: int, progress: Progress) -> list[FileResult]:
    index = _index(tasks, results)
    again = [
        i
        for i, (task, result) in enumerate(zip(tasks, results))
        if result.problem is None and _index_matters(index, task.module, result)
    ]
    if not again:
        return results
    merged = _redo(tasks, results, again, index, jobs, progress, "checked again with the other files' summaries")
    return _third_pass(tasks, merged, index, jobs, progress)


def _third_pass(
    tasks: list[Task], results: list[FileResult], before: ProjectIndex, jobs: int, progress: Progress
) -> list[FileResult]:
    """The models a call hands to another file's function may be known only in the second pass (`net = UNet()`,
    a class of a third file): the files whose functions now receive models in training mode, once more."""
    index = _index(tasks, results)
    again = [
        i
        for i, (task, result) in enumerate(zip(tasks, results))
        if result.problem is None
        and _handed_in_training_mode(index, task.module, result)
        and index.handed.get(task.module) != before.handed.get(task.module)
    ]
    if not again:
        return results
    return _redo(tasks, results, again, index, jobs, progress, "checked again with the models other files hand over")


def _index(tasks: list[Task], results: list[FileResult]) -> ProjectIndex:
    index = ProjectIndex()
    for task, result in zip(tasks, results):  # every module first, so that calls find their target
        index.add(task.module, dict(result.exports), [], result.classes)
    for task, result in zip(tasks, results):
        index.add(task.module, dict(result.exports), list(result.calls), result.classes)
    return index


def _redo(
    tasks: list[Task],
    results: list[FileResult],
    again: list[int],
    index: ProjectIndex,
    jobs: int,
    progress: Progress,
    what: str,
) -> list[FileResult]:
    digest = _index_digest(tasks, results)
    redone = _check([replace(tasks[i], project=index, project_digest=digest) for i in again], jobs, progress, what)
    merged = list(results)
    for i, result in zip(again, redone):
        merged[i] = result
    return merged


CLASS_DEPENDENT_RULES = frozenset({"GG201", "GG202", "GG205"})  # silent for some model classes (the class index)


def _index_digest(tasks: list[Task], results: list[FileResult]) -> str:
    """The project index is built from every file's exports and calls alone: equal digests, equal index."""
    summary = sorted(json.dumps([task.module, _summary_to_json(result)]) for task, result in zip(tasks, results))
    return hashlib.sha256("\n".join(summary).encode("utf-8", "surrogateescape")).hexdigest()


def _index_matters(index: ProjectIndex, module: str, result: FileResult) -> bool:
    """Whether the index can change the file's result: a call in it resolves to another file's summary, or a
    function it walked (those are its exports, trivial ones too) is called without gradients from another
    file. The entry state of a function that is not walked changes nothing."""
    calls_summarised = any(
        (export := index.export(call.module, call.function)) is not None
        and (not export.trivial or _may_hand_over_training_mode(call))
        for call in result.calls
    )
    walked = dict(result.exports)
    called_without_grad = any(
        v != "enabled"
        for function, sites in index.incoming.get(module, {}).items()
        if function in walked
        for values in sites
        for v in values
    )
    # a project class it builds or derives from is a module, its models' classes may explain a finding away; or
    # a model it hands to project code keeps its mode there
    uses_module_class = any(index.is_module_class(reference) for reference in result.classes.uses) or any(
        index.leaves_mode(reference) for reference in result.classes.hands_models_to
    )
    # a class here inherits a training loop from another file: its methods may run after it (`predict()` after `fit()`)
    inherits_training = any(
        index.inherits_training(base) for _, definition in result.classes.definitions for base in definition.bases
    )
    # a finding here, and a class here derives from one that calls its own methods without gradients: the overrides
    # here are called so (only the findings can change: every library model derives from one whose `generate` does)
    overridden_without_grad = bool(result.findings) and any(
        index.calls_methods_without_grad(base)
        for _, definition in result.classes.definitions
        for base in definition.bases
    )
    return (
        calls_summarised
        or called_without_grad
        or overridden_without_grad
        or _handed_in_training_mode(index, module, result)
        or uses_module_class
        or inherits_training
        or any(finding.code in CLASS_DEPENDENT_RULES for finding in result.findings)
    )


def _may_hand_over_training_mode(call: OutgoingCall) -> bool:
    """A model in training mode, or unknown only because a call of this function (the previous iteration's)
    may have switched it: once the function's summary is known, the call may hand over training mode."""
    return any(Mode.TRAIN.value in modes and Mode.UNKNOWN.value in modes for _, modes in call.models)


def _handed_in_training_mode(index: ProjectIndex, module: str, result: FileResult) -> bool:
    """A function the file walked gets a model in training mode from a call in another file."""
    walked = dict(result.exports)
    return any(
        modes == (Mode.TRAIN.value,)
        for function, calls in index.handed.get(module, {}).items()
        if function in walked
        for models, _ in calls
        for _, modes in models
    )


def _size(task: Task) -> int:
    try:
        return os.stat(task.path).st_size
    except OSError:
        return 0


def check_file(task: Task) -> FileResult:
    data = _read(task)
    if isinstance(data, FileResult):
        return data
    try:
        result = _check_data(task, data)
    except Exception as error:  # a bug in one rule or fix must not stop the run or hide other files
        return FileResult(task.path, problem=Problem(f"internal error, please report: {type(error).__name__}: {error}"))
    if cache := _cache(task):
        cache.put(_key(task, data), result_to_json(result))
    return result


def _cached(task: Task) -> FileResult | None:
    cache = _cache(task)
    data = _read(task) if cache else None
    if cache is None or not isinstance(data, bytes):
        return None
    stored = cache.get(_key(task, data))
    return replace(result_from_json(stored), path=task.path) if stored is not None else None


def _read(task: Task) -> bytes | FileResult:
    if task.source is not None:
        return task.source
    path = task.path
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return FileResult(path, problem=Problem("not a regular file"))
        with open(path, "rb") as stream:
            return stream.read()
    except OSError as error:
        return FileResult(path, problem=Problem(f"cannot read: {error.strerror or error}"))


def _cache(task: Task) -> Cache | None:
    """The second pass is cached under the digest of the project index it used."""
    options = task.options
    if (task.project is not None and not task.project_digest) or not options.cache_dir or _writes(options):
        return None
    return Cache(Path(options.cache_dir))


def _key(task: Task, data: bytes) -> str:
    options = task.options
    return cache_key(
        repr((task.config, options.with_fixes, options.mark_fixable, task.project_digest)), task.analysis_path, data
    )


def _writes(options: Options) -> bool:
    return options.apply_fixes or options.add_noqa


def _check_data(task: Task, data: bytes) -> FileResult:
    try:
        source = decode_source(task.path, data)
    except FileProblem as problem:
        return FileResult(task.path, problem=Problem(problem.message, problem.line, problem.col))
    cells: dict[str, Any] = (
        dict(cell_starts=source.cells.starts, cell_indexes=source.cell_indexes) if source.cells else {}
    )
    try:
        analysis = analyze_module(
            source.text,
            task.analysis_path,
            task.config,
            task.project,
            task.module,
            cell_starts=cells.get("cell_starts", ()),
            cell_numbers=[i + 1 for i in cells.get("cell_indexes", ())],
        )
    except AnalysisError as error:
        return FileResult(task.path, problem=Problem(error.message, error.line, error.col), **cells)
    findings = analysis.findings
    left_out = tuple(
        Problem(f"{cell.message}; this cell is left out, the others are checked without it", cell.line, cell.col)
        for cell in analysis.left_out
    )
    if source.cells is not None and left_out:  # fixes are made to the program that was analysed
        kept = source.cells.without(cell.cell for cell in analysis.left_out)
        source = replace(source, text=kept.source, cells=kept)
    result = FileResult(
        task.path,
        tuple(findings),
        left_out_cells=left_out,
        encoding=source.encoding,
        exports=tuple(analysis.exports.items()),
        calls=tuple(analysis.calls),
        classes=analysis.classes,
        **cells,
    )
    if task.options.with_fixes:
        fixes = tuple(_first_fix(source, f, task.config) for f in findings)
        result = replace(result, fixes=fixes, fixable=tuple(fix.applicability if fix else None for fix in fixes))
    elif task.options.mark_fixable:
        result = replace(result, fixable=tuple(_fix_applicability(source, f, task.config) for f in findings))
    if task.options.apply_fixes:
        result = _apply_fixes(task, source, result, data)
    elif task.options.add_noqa:
        result = _add_noqa(task, source, result)
    return result


def _apply_fixes(task: Task, source: SourceFile, result: FileResult, data: bytes) -> FileResult:
    from .fixes import fix_rounds  # the fix engine imports libcst (0.4 CPU-s): only runs that fix pay for it

    fixed = fix_rounds(source.text, task.analysis_path, task.config, unsafe=task.options.unsafe_fixes)
    result = replace(result, notes=(fixed.stopped,)) if fixed.stopped else result
    text = fixed.text
    if text == source.text:
        return result
    if refused := _write_refused(task):
        return replace(result, notes=(refused,))
    if not _parses(text):
        return replace(
            result, notes=("fixes skipped: the fixed code would not parse (a GradGuard bug, please report)",)
        )
    if source.cells is not None:
        return _apply_notebook_fixes(task, source, result, data, text)
    remaining = analyze(text, task.analysis_path, task.config, task.project, task.module)
    return replace(
        result,
        findings=tuple(remaining),
        fixes=(),
        fixable=(),
        original_text=source.text,
        new_text=text,
        changes=max(len(result.findings) - len(remaining), 1),
        fixed=_removed(result.findings, remaining),
    )


def _apply_notebook_fixes(task: Task, source: SourceFile, result: FileResult, data: bytes, fixed: str) -> FileResult:
    """The fixed program goes back into the cells it came from; the JSON keeps its layout."""
    assert source.cells is not None
    sources = cells_after_fixes(source.cells, source.cell_sources, fixed)
    if sources is None:
        return replace(result, notes=("fixes skipped: a fix would span two cells or touch a magic line",))
    changed = {index: new for index, old, new in zip(source.cell_indexes, source.cell_sources, sources) if new != old}
    original = data.decode(source.encoding)
    new_text = notebook_with_sources(original, changed)
    if new_text is None:
        return replace(result, notes=("fixes skipped: the notebook's JSON layout could not be kept",))
    joined = join_cells(sources)
    remaining = analyze(
        joined.source,
        task.analysis_path,
        task.config,
        task.project,
        task.module,
        cell_starts=joined.starts,
        cell_numbers=[i + 1 for i in source.cell_indexes],
    )
    return replace(
        result,
        findings=tuple(remaining),
        fixes=(),
        fixable=(),
        original_text=original,
        new_text=new_text,
        cell_starts=joined.starts,
        changes=max(len(result.findings) - len(remaining), 1),
        fixed=_removed(result.findings, remaining),
    )


def _removed(before: tuple[Finding, ...], after: list[Finding]) -> tuple[str, ...]:
    return tuple((Counter(f.code for f in before) - Counter(f.code for f in after)).elements())


def _write_refused(task: Task) -> str | None:
    """Why the file must be left as it is, found before the changes are computed for nothing; writing checks again."""
    if task.options.write_into is None:
        return None
    try:
        write_target(task.path, task.options.write_into)
    except WriteRefused as refused:
        return f"left unchanged: {refused}"
    except OSError:  # reported when writing
        pass
    return None


def _add_noqa(task: Task, source: SourceFile, result: FileResult) -> FileResult:
    if source.is_notebook or not result.findings:
        return result
    text, added = add_noqa_comments(source.text, result.findings)
    if not added:
        return result
    if refused := _write_refused(task):
        return replace(result, notes=(refused,))
    return replace(result, original_text=source.text, new_text=text, changes=added)


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _fix_applicability(source: SourceFile, finding: Finding, config: Config) -> Applicability | None:
    """Known from the rule when its fix is always made (the fix engine costs 0.2 CPU-s to load), else computed."""
    rule = BY_CODE.get(finding.code)
    if rule is not None and rule.always_fixed is not None:
        return rule.always_fixed
    fix = _first_fix(source, finding, config)
    return fix.applicability if fix else None


def _first_fix(source: SourceFile, finding: Finding, config: Config) -> Fix | None:
    """The preferred code fix; the "ignore on this line" fix is not offered as *the* fix."""
    from .fixes import code_fixes  # libcst: see _apply_fixes

    cell_starts = source.cells.starts if source.cells else ()
    return next(
        (
            fix
            for fix in code_fixes(source.text, finding, config, cell_starts)
            if source.cells is None or not source.cells.edits_magic(edit.span for edit in fix.edits)
        ),
        None,
    )


# Cache entries: FileResult as JSON, without the fields that only writing modes fill.


def result_to_json(result: FileResult) -> dict[str, Any]:
    return {
        "findings": [_finding_to_json(f) for f in result.findings],
        "fixes": [_fix_to_json(f) if f else None for f in result.fixes],
        "fixable": list(result.fixable),
        "problem": [result.problem.message, result.problem.line, result.problem.col] if result.problem else None,
        "left_out_cells": [[p.message, p.line, p.col] for p in result.left_out_cells],
        "cell_starts": list(result.cell_starts) if result.cell_starts is not None else None,
        "cell_indexes": list(result.cell_indexes),
        "encoding": result.encoding,
        **_summary_to_json(result),
    }


def _summary_to_json(result: FileResult) -> dict[str, Any]:
    """What the file tells the project index."""
    return {
        "exports": [
            [name, [list(e.params), e.grad_exit, [[k, list(v)] for k, v in e.mode_exit], e.trains_unset, e.forwards]]
            for name, e in result.exports
        ],
        "calls": [
            [c.module, c.function, list(c.grad), [[argument, list(modes)] for argument, modes in c.models], c.site]
            for c in result.calls
        ],
        "classes": [
            [[name, _definition_to_json(d)] for name, d in result.classes.definitions],
            [list(i) for i in result.classes.imports],
            list(result.classes.uses),
            list(result.classes.hands_models_to),
        ],
    }


def _definition_to_json(definition: Definition) -> list[Any]:
    return [
        list(definition.bases),
        definition.module,
        list(definition.forward_methods),
        definition.forward_needs_grad,
        definition.forward_sets_grad,
        list(definition.layers) if definition.layers is not None else None,
        list(definition.parts),
        list(definition.graph_free) if definition.graph_free is not None else None,
        list(definition.leaves_mode) if definition.leaves_mode is not None else None,
        [[name, list(parts) if parts is not None else None] for name, parts in definition.static_methods],
        definition.plain,
    ]


def _definition_from_json(entry: list[Any]) -> Definition:
    bases, module, methods, needs_grad, sets_grad, layers, parts, graph_free, leaves_mode, static, plain = entry
    return Definition(
        tuple(bases),
        module,
        tuple(methods),
        needs_grad,
        sets_grad,
        tuple(layers) if layers is not None else None,
        tuple(parts),
        tuple(graph_free) if graph_free is not None else None,
        tuple(leaves_mode) if leaves_mode is not None else None,
        tuple((name, tuple(own) if own is not None else None) for name, own in static),
        plain,
    )


def result_from_json(entry: dict[str, Any]) -> FileResult:
    return FileResult(
        path="",
        findings=tuple(_finding_from_json(f) for f in entry["findings"]),
        fixes=tuple(_fix_from_json(f) if f else None for f in entry["fixes"]),
        fixable=tuple(entry["fixable"]),
        problem=Problem(*entry["problem"]) if entry["problem"] else None,
        left_out_cells=tuple(Problem(*problem) for problem in entry["left_out_cells"]),
        cell_starts=tuple(entry["cell_starts"]) if entry["cell_starts"] is not None else None,
        cell_indexes=tuple(entry["cell_indexes"]),
        encoding=entry["encoding"],
        exports=tuple(
            (
                name,
                Export(
                    tuple(params),
                    tuple(grad) if grad is not None else None,
                    tuple((k, tuple(v)) for k, v in modes),
                    trains,
                    tuple(forwards),
                ),
            )
            for name, (params, grad, modes, trains, forwards) in entry["exports"]
        ),
        calls=tuple(
            OutgoingCall(module, function, tuple(grad), tuple((a, tuple(m)) for a, m in models), site)
            for module, function, grad, models, site in entry["calls"]
        ),
        classes=ModuleClasses(
            tuple((name, _definition_from_json(d)) for name, d in entry["classes"][0]),
            tuple((name, target) for name, target in entry["classes"][1]),
            tuple(entry["classes"][2]),
            tuple(entry["classes"][3]),
        ),
    )


def _span_to_json(span: Span) -> list[int]:
    return [span.start_line, span.start_col, span.end_line, span.end_col]


def _finding_to_json(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "slug": finding.slug,
        "severity": finding.severity,
        "message": finding.message,
        "span": _span_to_json(finding.span),
        "related": [[_span_to_json(r.span), r.message] for r in finding.related],
        "data": finding.data.to_json() if finding.data is not None else None,
    }


def _finding_from_json(entry: dict[str, Any]) -> Finding:
    return Finding(
        entry["code"],
        entry["slug"],
        entry["severity"],
        entry["message"],
        Span(*entry["span"]),
        tuple(Related(Span(*span), message) for span, message in entry["related"]),
        FixData.from_json(entry["data"]),
    )


def _fix_to_json(fix: Fix) -> dict[str, Any]:
    return {
        "title": fix.title,
        "applicability": fix.applicability,
        "preferred": fix.preferred,
        "edits": [[_span_to_json(e.span), e.new_text] for e in fix.edits],
    }


def _fix_from_json(entry: dict[str, Any]) -> Fix:
    edits = tuple(Edit(Span(*span), text) for span, text in entry["edits"])
    return Fix(entry["title"], entry["applicability"], edits, entry["preferred"])
