"""The shape of a rule: one object holds its code, slug, texts, examples and check."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..findings import Applicability, Severity

if TYPE_CHECKING:
    from ..dataflow.facts import ModuleFacts
    from ..report import Report

# The rule pages shipped with the package (`docs/rules/`, linked into the package as `rulepages`): the project
# declares no web address, so diagnostics and hovers link the installed page.
RULE_PAGES = (Path(__file__).parent.parent / "rulepages").resolve()
EXPECT_MARK = "# expect"  # in a `fires` example, marks each line where the rule must report


@dataclass(frozen=True)
class Rule:
    code: str
    slug: str
    severity: Severity
    summary: str  # one line: what it finds (for --list-rules and SARIF shortDescription)
    why: str  # Markdown: why it is wrong, citing the measured PyTorch behaviour
    fix_safety: str  # Markdown: what the fix does and when it can change behaviour; without `fixes`, what to do by hand
    references: tuple[str, ...]  # official PyTorch documentation
    fires: tuple[str, ...]  # examples that must report, `# expect` on each reported line
    silent: tuple[str, ...]  # examples that must stay silent
    check: Callable[[ModuleFacts, Report], None]
    # The fix builders, preferred first, as `module.function` of `gradguard.fixes` (`fixes.builders` imports
    # them): named, not imported, so an analysis never loads libcst. None: the page says "No automatic fix".
    fixes: tuple[str, ...] = ()
    # Set when the first builder makes a fix of this applicability for every finding of the rule (adding `()`): the
    # text output marks such findings fixable without loading libcst. None: whether a fix exists depends on the code.
    always_fixed: Applicability | None = None

    @property
    def url(self) -> str:
        """The `file:` URI of the rule's installed page."""
        return (RULE_PAGES / f"{self.code}-{self.slug}.md").as_uri()

    def explanation(self) -> str:
        """The one long text behind `--explain`, `docs/rules/`, hover and SARIF help."""
        example = _strip_marks(self.fires[0])
        use_instead = self.silent[0]
        refs = "\n".join(f"- <{url}>" for url in self.references)
        return (
            f"# {self.code} `{self.slug}` ({self.severity})\n\n"
            f"## What it does\n\n{self.summary}\n\n"
            f"## Why is this bad?\n\n{_dedent(self.why)}\n\n"
            f"## Example\n\n```python\n{example}```\n\n"
            f"## Use instead\n\n```python\n{use_instead}```\n\n"
            f"## Fix safety\n\n{self._fix_safety()}\n\n"
            f"## References\n\n{refs}\n"
        )

    def _fix_safety(self) -> str:
        text = _dedent(self.fix_safety)
        if self.fixes:
            return text
        return f"No automatic fix: {text[:1].lower()}{text[1:]}" if text else "No automatic fix."


def _dedent(text: str) -> str:
    return textwrap.dedent(text).strip()


def _strip_marks(source: str) -> str:
    lines = []
    for line in source.splitlines(keepends=True):
        head, sep, _ = line.partition("  " + EXPECT_MARK)
        lines.append(head.rstrip() + "\n" if sep else line)
    return "".join(lines)


def example(source: str) -> str:
    """Examples are written indented inside the rule module; store them flush left."""
    return textwrap.dedent(source).lstrip("\n")


def expected_lines(source: str) -> list[int]:
    """0-based lines of a `fires` example that carry the expect mark."""
    return [i for i, line in enumerate(source.splitlines()) if EXPECT_MARK in line]
