""""Ignore GGnnn on this line": append `# noqa: GGnnn` to the finding's first line, or extend the one there."""
from __future__ import annotations

import io
import re
import tokenize
from typing import Optional

from ..findings import Edit, Finding, Fix, Span
from ..lines import line_starts
from .text import line_text
from .tree import SourceTree

NOQA_WITH_CODES = re.compile(r"#[ \t]*noqa:[ \t]*(?P<codes>[A-Za-z]+\d+(?:[ \t]*,[ \t]*[A-Za-z]+\d+)*)", re.IGNORECASE)


def ignore_fix(source: str, finding: Finding, tree: Optional[SourceTree] = None) -> Optional[Fix]:
    """`tree`, when parsed already, lets the check start at the statement around the line, not the file's top."""
    line = finding.span.start_line
    text = line_text(source, line)
    if not _comment_fits(source, line, text, tree.top_level_start(line) if tree is not None else 0):
        return None
    existing = list(NOQA_WITH_CODES.finditer(text))
    if existing:
        column = existing[-1].end("codes")
        edit = Edit(Span(line, column, line, column), f", {finding.code}")
    else:
        content_end = len(text.rstrip(" \t"))
        edit = Edit(Span(line, content_end, line, len(text)), f"  # noqa: {finding.code}")
    return Fix(f"Ignore {finding.code} on this line", "safe", (edit,), preferred=False)


def _comment_fits(source: str, line: int, text: str, first_line: int) -> bool:
    """A comment cannot follow a backslash continuation nor go inside a string that runs on.
    Tokenizes from `first_line` (0-based), which must begin a top-level statement."""
    if text.rstrip(" \t").endswith("\\"):
        return False
    line -= first_line
    try:
        for token in tokenize.generate_tokens(io.StringIO(source[line_starts(source)[first_line]:]).readline):
            if token.start[0] > line + 1:
                return True
            if token.type != tokenize.NL and token.start[0] <= line + 1 < token.end[0] and token.type != tokenize.NEWLINE:
                return False
    except (tokenize.TokenError, SyntaxError):
        return False
    return True
