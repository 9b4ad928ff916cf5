"""Suppression comments: what the directives on a line suppress, and the edit that suppresses more.

One grammar for the three users: rendering drops suppressed findings (`report.py`), the editor's
"Ignore GGnnn on this line" is the edit for one finding (`fixes/noqa.py`), and `--add-noqa` applies
the edit for each line's findings (`add_noqa_comments`). The `noqa` grammar is Ruff's
(`crates/ruff_linter/src/noqa.rs`), so a line means the same to Ruff and to us:

- Directives live in the line's comment only: a `#` inside a string is not one.
- `# noqa`: the first `#` followed (after optional spaces) by `noqa` in any case. Only that first
  one counts (`# noqa: E501  # noqa: GG101` lists E501 only); text before it is any comment.
  - bare: `# noqa`, `#NOQA`, `# noqa # why`, `# noqa - why` suppress every code;
  - with codes: `# noqa: GG101, E501`, `#noqa:GG101 E501`, `# NOQA : GG101` (spaces before the colon
    are allowed) suppress those codes only. A code is upper-case ASCII letters then digits; codes are
    separated by commas or spaces; the list ends at the first word that is not a code
    (`# noqa: GG101 see #12`). A code we do not have (`GG999`) suppresses nothing;
  - malformed, suppresses nothing: no code after the colon (`# noqa:`, `# noqa: gg101`,
    `# noqa: no-grad-not-called`), text glued to `noqa` (`#noqaGG101`) or to a code (`GG101.`).
- `# gradguard: ignore[GG101, no-grad-not-called]`: codes or slugs, compared exactly; every such
  directive in the comment counts.

The edit: the finding's codes appended to the `# noqa: CODES` there, which is written again as
`# noqa: CODES` (`# NOQA : E501` becomes `# noqa: E501, GG101`) and keeps what follows it; a
malformed `noqa` gets a valid one in front of it (the first one counts); a line without one gets
`  # noqa: CODES` at its end. None where a comment cannot go: the line ends inside a string or
after a backslash.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from .findings import Edit, Finding, Span
from .lines import split_lines

NOQA = re.compile(r"#\s*noqa", re.IGNORECASE)
COLON = re.compile(r"\s*:")
CODE = re.compile(r"[\s,]*([A-Z]+[0-9]+)")  # after commas or spaces
IGNORE = re.compile(r"#\s*gradguard\s*:\s*ignore\[([^\]]*)\]")
# Without these after the finding, the first `#` begins the comment and the line ends in code.
STRING_BACKSLASH_OR_BRACE = re.compile(r"['\"\\}]")


@dataclass(frozen=True)
class Noqa:
    """A line's `# noqa`: columns of its `#` and of its end (after its last code, or after `noqa`)."""

    start: int
    end: int
    codes: tuple[str, ...] | None  # None: bare, every code; (): malformed, none

    def suppresses(self, code: str) -> bool:
        return self.codes is None or code in self.codes


@dataclass(frozen=True)
class Directives:
    noqa: Noqa | None
    ignored: frozenset[str]  # from `# gradguard: ignore[...]`
    room: bool  # the line ends in code, so a comment can go there (or is there)

    def suppresses(self, code: str, slug: str) -> bool:
        return (self.noqa is not None and self.noqa.suppresses(code)) or code in self.ignored or slug in self.ignored


def directives(text: str, column: int) -> Directives:
    """The directives on line `text`, where something reported begins at `column` (code points)."""
    comment, room = _comment(text, column)
    if comment is None:
        return Directives(None, frozenset(), room)
    ignored = frozenset(item.strip() for match in IGNORE.finditer(text, comment) for item in match.group(1).split(","))
    return Directives(_noqa(text, comment), ignored, room)


def noqa_edit(text: str, findings: Sequence[Finding]) -> Edit | None:
    """The edit of line `text` that suppresses `findings` (all reported on that line); None when nothing
    needs suppressing or no comment can go there."""
    line = findings[0].span.start_line
    found = directives(text, min(finding.span.start_col for finding in findings))
    codes = list(dict.fromkeys(f.code for f in findings if not found.suppresses(f.code, f.slug)))
    if not codes or not found.room:
        return None
    noqa = found.noqa
    if noqa is None:
        end = len(text.rstrip(" \t\f"))
        return Edit(Span(line, end, line, len(text)), f"  # noqa: {', '.join(codes)}")
    if noqa.codes:
        return Edit(Span(line, noqa.start, line, noqa.end), f"# noqa: {', '.join(noqa.codes + tuple(codes))}")
    return Edit(Span(line, noqa.start, line, noqa.start), f"# noqa: {', '.join(codes)}  ")


def add_noqa_comments(text: str, findings: Iterable[Finding]) -> tuple[str, int]:
    """`--add-noqa`: `text` with every finding suppressed on its first line, and how many lines changed."""
    by_line: dict[int, list[Finding]] = {}
    for finding in findings:
        by_line.setdefault(finding.span.start_line, []).append(finding)
    lines = split_lines(text)
    changed = 0
    for line, found in by_line.items():
        if line >= len(lines):
            continue
        content = lines[line].rstrip("\r\n")
        edit = noqa_edit(content, found)
        if edit is not None:
            span = edit.span
            lines[line] = (
                content[: span.start_col] + edit.new_text + content[span.end_col :] + lines[line][len(content) :]
            )
            changed += 1
    return "".join(lines), changed


class _Scan(NamedTuple):
    ends_in_code: bool  # not inside a string, not after a backslash
    comment: int | None  # column of the comment's `#`
    closes_brace: bool  # a `}` with no `{` before it: the scan may have begun inside an f-string's `{...}`


def _comment(text: str, column: int) -> tuple[int | None, bool]:
    """Where the comment of `text` begins (None: it has none) and whether the line ends in code.

    The tokenizer runs on this line alone, from `column`: something reported begins there, so that
    is code even where the line itself begins inside a string that started on an earlier line. Only
    inside an f-string's `{...}` it is not: then the scan from the line's start decides, if it can."""
    if not STRING_BACKSLASH_OR_BRACE.search(text, column):
        comment = text.find("#", column)
        return (comment if comment >= 0 else None), True
    scan = _scan(text, column)
    if column and scan.closes_brace:
        whole = _scan(text, 0)
        scan = whole if whole.ends_in_code else scan
    return scan.comment, scan.ends_in_code


def _scan(text: str, start: int) -> _Scan:
    """The tokens of `text` from `start` to the line's end."""
    depth = 0
    closes_brace = False
    try:
        for token in tokenize.generate_tokens(io.StringIO(text[start:] + "\n").readline):
            if token.start[0] > 1 or token.type == tokenize.ERRORTOKEN:
                break  # a string or a backslash runs on, or the tokens are not code
            if token.type == tokenize.COMMENT:
                return _Scan(True, start + token.start[1], closes_brace)
            if token.type in (tokenize.NEWLINE, tokenize.NL):
                return _Scan(True, None, closes_brace)
            if token.type == tokenize.OP and token.string in "{}":
                depth += 1 if token.string == "{" else -1
                closes_brace = closes_brace or depth < 0
    except (tokenize.TokenError, SyntaxError):
        pass
    return _Scan(False, None, closes_brace)


def _noqa(text: str, comment: int) -> Noqa | None:
    match = NOQA.search(text, comment)
    if match is None:
        return None
    start, at = match.start(), match.end()
    colon = COLON.match(text, at)
    if colon is not None:
        codes, end = _codes(text, colon.end())
        return Noqa(start, end, codes)
    following = text[at : at + 1]
    return Noqa(start, at, None if following in ("", "#") or following.isspace() else ())  # (): text glued to `noqa`


def _codes(text: str, at: int) -> tuple[tuple[str, ...], int]:
    """The codes listed from `at` and the column after the last one; () when the list is malformed."""
    codes: list[str] = []
    end = at
    glued = False
    while True:
        code = CODE.match(text, end)
        if code is None:
            return ((), end) if glued else (tuple(codes), end)  # `GG101Gx`; or words after the codes
        codes.append(code.group(1))
        end = code.end()
        following = text[end : end + 1]
        glued = following.isascii() and following.isupper()  # `GG101GG201`: two codes
        if not (glued or following in ("", "#", ",") or following.isspace()):
            return (), end  # `GG101abc`, `GG101.`
