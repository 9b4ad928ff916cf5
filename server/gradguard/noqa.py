"""`--add-noqa`: silence every current finding with a `# noqa: GGnnn` on its first line.

A line that already has `# noqa: CODES` gets the new codes appended to that list. A
comment can only go where the tokenizer says a line ends (not inside a string, not
after a backslash continuation); findings starting on other lines are left as they are.
"""
from __future__ import annotations

import io
import re
import tokenize
from typing import Iterable

from .findings import Finding

LINE = re.compile(r"([^\r\n]*)(\r\n|\r|\n|$)")
NOQA_CODES = re.compile(r"#[ \t]*noqa[ \t]*:[ \t]*[A-Za-z]+\d+(?:[ \t]*,[ \t]*[A-Za-z]+\d+)*", re.IGNORECASE)


def add_noqa_comments(text: str, findings: Iterable[Finding]) -> tuple[str, int]:
    """Returns the new text and how many lines got a comment or new codes."""
    wanted: dict[int, list[str]] = {}
    for finding in findings:
        codes = wanted.setdefault(finding.span.start_line, [])
        if finding.code not in codes:
            codes.append(finding.code)
    comments = _line_end_comments(text)
    lines = [(m.group(1), m.group(2)) for m in LINE.finditer(text)][:-1] or [("", "")]
    changed = 0
    for line, codes in sorted(wanted.items()):
        if line >= len(lines) or line not in comments:
            continue
        content, ending = lines[line]
        new_content = _with_codes(content, comments[line], codes)
        if new_content != content:
            lines[line] = (new_content, ending)
            changed += 1
    return "".join(content + ending for content, ending in lines), changed


def _with_codes(content: str, comment_col: int | None, codes: list[str]) -> str:
    if comment_col is None:
        return f"{content.rstrip()}  # noqa: {', '.join(codes)}"
    existing = NOQA_CODES.search(content, comment_col)
    if existing is None:
        return f"{content.rstrip()}  # noqa: {', '.join(codes)}"
    listed = {code.strip().upper() for code in existing.group(0).split(":", 1)[1].split(",")}
    missing = [code for code in codes if code not in listed]
    if not missing:
        return content
    return content[: existing.end()] + ", " + ", ".join(missing) + content[existing.end():]


def _line_end_comments(text: str) -> dict[int, int | None]:
    """0-based line -> column of its comment (None: no comment) for lines where a comment may go."""
    found: dict[int, int | None] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text, newline="").readline):
            line = token.start[0] - 1
            if token.type == tokenize.COMMENT:
                found[line] = token.start[1]
            elif token.type in (tokenize.NEWLINE, tokenize.NL) and token.start[0] == token.end[0]:
                found.setdefault(line, None)
    except (tokenize.TokenError, SyntaxError):
        return {}
    return found
