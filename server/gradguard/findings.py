"""What the analysis hands to the fronts: findings, their locations and their fixes.

Positions are 0-based lines and 0-based columns counted in Unicode code points.
The fronts convert once, at their edge: the CLI to 1-based rows and columns,
the language server to the negotiated LSP position encoding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Union

Severity = Literal["error", "warning", "info", "hint"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info", "hint")
Applicability = Literal["safe", "unsafe"]
JSONValue = Union[str, int, float, bool, None]


@dataclass(frozen=True, order=True)
class Span:
    start_line: int
    start_col: int
    end_line: int
    end_col: int


@dataclass(frozen=True)
class Related:
    """A statement that explains a finding: the `with` that disabled gradients, the `eval()` call..."""

    span: Span
    message: str


@dataclass(frozen=True)
class Edit:
    span: Span
    new_text: str


@dataclass(frozen=True)
class Fix:
    title: str
    applicability: Applicability
    edits: tuple[Edit, ...]
    preferred: bool = False
    # Fixes with the same key never apply in one round of fix-all, however far apart their edits (as
    # Ruff's isolation levels): deleting two statements of one block could each be right and empty it.
    isolation: tuple[str, int] | None = None


@dataclass(frozen=True)
class Finding:
    code: str
    slug: str
    severity: Severity
    message: str
    span: Span
    related: tuple[Related, ...] = ()
    # JSON-safe facts the fix engine needs (receiver name, anchor statement...), so fixes
    # are computed later, only when asked for, without re-running the analysis.
    data: Mapping[str, JSONValue] = field(default_factory=dict, compare=False, hash=False)
