"""Line breaks as Python's tokenizer and LSP count them: `\\r\\n`, `\\r` and `\\n` only
(not `str.splitlines`, which also breaks at form feeds and Unicode separators)."""

from __future__ import annotations

import functools
import itertools
import re

LINE_BREAK = re.compile(r"\r\n|\r|\n")


@functools.lru_cache(maxsize=4)  # a quick fix asks for the lines of one large text several times
def line_starts(text: str) -> tuple[int, ...]:
    """Offset in `text` where each line begins."""
    if "\r" in text:
        return (0, *(match.end() for match in LINE_BREAK.finditer(text)))
    return (0, *itertools.accumulate(len(line) + 1 for line in text.split("\n")))[:-1]  # not past the end


def split_lines(text: str) -> list[str]:
    """The lines of `text`, each with its own line break."""
    starts = line_starts(text)
    ends = [*starts[1:], len(text)]
    return [text[start:end] for start, end in zip(starts, ends) if start < end]
