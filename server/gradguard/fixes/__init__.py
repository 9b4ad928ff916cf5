"""The fix engine: text edits for findings, computed with libcst on demand, composed like Ruff's.

- `fixes_for(source, finding, config)`: every fix of one finding, the preferred one first and
  "Ignore GGnnn on this line" last.
- `apply_fixes(source, fixes)`: the fixes whose edits do not overlap, applied together.
- `fix_all(source, path, config, unsafe)`: analyse, apply each finding's first allowed fix, repeat
  until nothing changes (at most `MAX_ROUNDS` rounds).
"""
from __future__ import annotations

from typing import Iterator, Sequence

from ..analysis import analyze
from ..config import Config
from ..findings import Finding, Fix
from .context import FixContext
from .noqa import ignore_fix
from .registry import BUILDERS
from .text import apply_fixes
from .tree import source_tree

MAX_ROUNDS = 4

__all__ = ["MAX_ROUNDS", "apply_fixes", "code_fixes", "fix_all", "fixes_for"]


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
    builders = BUILDERS.get(finding.code, ())
    tree = source_tree(source) if builders else None
    if tree is None:
        return
    context = FixContext(source, finding, config, tree, tuple(cell_starts))
    for build in builders:
        yield from build(context)


def fix_all(source: str, path: str = "<string>", config: Config = Config(), unsafe: bool = False) -> str:
    """Raises `AnalysisError` when the source does not parse."""
    for _ in range(MAX_ROUNDS):
        chosen = [fix for finding in analyze(source, path, config) if (fix := _first_allowed(source, finding, config, unsafe))]
        fixed = apply_fixes(source, chosen)
        if fixed == source:
            break
        source = fixed
    return source


def _first_allowed(source: str, finding: Finding, config: Config, unsafe: bool) -> Fix | None:
    return next((fix for fix in _code_fixes(source, finding, config) if unsafe or fix.applicability == "safe"), None)
