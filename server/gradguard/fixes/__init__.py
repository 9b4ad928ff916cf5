"""The fix engine: text edits for findings, computed with libcst on demand, composed like Ruff's.

- `fixes_for(source, finding, config)`: every fix of one finding, the preferred one first and
  "Ignore GGnnn on this line" last.
- `apply_fixes(source, fixes)`: the fixes whose edits neither overlap nor touch, applied together.
- `fix_rounds(source, path, config, unsafe)`: analyse, apply each finding's first allowed fix, repeat
  until nothing changes; `fix_all` is its text.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..analysis import AnalysisError, analyze
from ..config import Config
from ..findings import Finding, Fix
from ..rules import BY_CODE
from .context import Builder, FixContext
from .noqa import ignore_fix
from .text import apply_fixes, taken_fixes
from .tree import source_tree

# Each round applies at least one fix, and a fix may uncover one more finding (a bare `no_grad()` that
# the `with` of the one before it now holds): a file that needs more rounds than this is going round
# in circles.
ROUNDS_PER_FINDING = 2

__all__ = ["FixedSource", "apply_fixes", "code_fixes", "fix_all", "fix_rounds", "fixes_for"]


@dataclass(frozen=True)
class FixedSource:
    text: str
    stopped: str | None = None  # why the rounds stopped before nothing was left to change, for the user
    applied: tuple[str, ...] = ()  # the title of each fix applied, in order


def fix_all(source: str, path: str = "<string>", config: Config = Config(), unsafe: bool = False) -> str:
    """Raises `AnalysisError` when the source does not parse."""
    return fix_rounds(source, path, config, unsafe).text


def fix_rounds(source: str, path: str = "<string>", config: Config = Config(), unsafe: bool = False) -> FixedSource:
    """Rounds of fixes until a round changes nothing, at most `ROUNDS_PER_FINDING` per finding at the start.
    Fixes that overlap or touch wait for the next round. Raises `AnalysisError` when the source does not parse."""
    findings = analyze(source, path, config)
    bound = ROUNDS_PER_FINDING * (len(findings) + 1)
    applied: list[str] = []
    for _ in range(bound):
        allowed = [fix for finding in findings if (fix := _first_allowed(source, finding, config, unsafe))]
        taken = taken_fixes(source, allowed)
        fixed = apply_fixes(source, taken)
        if fixed == source:
            return FixedSource(source, applied=tuple(applied))
        try:
            findings = analyze(fixed, path, config)
        except AnalysisError as error:
            return FixedSource(
                source,
                f"fixes stopped: the next ones would leave code that does not analyse "
                f"({error.message}), a GradGuard bug, please report",
                tuple(applied),
            )
        applied.extend(fix.title for fix in taken)
        source = fixed
    return FixedSource(
        source, f"fixes stopped after {bound} rounds, still changing the code; run the fix again", tuple(applied)
    )


def fixes_for(source: str, finding: Finding, config: Config, cell_starts: Sequence[int] = ()) -> tuple[Fix, ...]:
    """`cell_starts`: for a notebook's joined source, the lines where cells begin; no fix crosses one."""
    fixes = code_fixes(source, finding, config, cell_starts)
    ignore = ignore_fix(source, finding)
    return fixes + ((ignore,) if ignore else ())


def code_fixes(source: str, finding: Finding, config: Config, cell_starts: Sequence[int] = ()) -> tuple[Fix, ...]:
    """The fixes that change code (no ignore fix), preferred first."""
    return tuple(sorted(_code_fixes(source, finding, config, cell_starts), key=lambda fix: not fix.preferred))


def _code_fixes(source: str, finding: Finding, config: Config, cell_starts: Sequence[int] = ()) -> Iterator[Fix]:
    """Computed one at a time, in builder order (each builder yields its preferred fix first)."""
    found = builders(finding.code)
    tree = source_tree(source) if found else None
    if tree is None:
        return
    context = FixContext(source, finding, config, tree, tuple(cell_starts))
    for build in found:
        yield from build(context)


def builders(code: str) -> tuple[Builder, ...]:
    """The fix builders the rule declares (`Rule.fixes`), preferred first."""
    rule = BY_CODE.get(code)
    return tuple(_builder(name) for name in rule.fixes) if rule is not None else ()


def _builder(name: str) -> Builder:
    module, function = name.rsplit(".", 1)
    return getattr(importlib.import_module(f"{__name__}.{module}"), function)


def _first_allowed(source: str, finding: Finding, config: Config, unsafe: bool) -> Fix | None:
    return next((fix for fix in _code_fixes(source, finding, config) if unsafe or fix.applicability == "safe"), None)
