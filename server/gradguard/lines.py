"""Line breaks as Python's tokenizer and LSP count them: `\\r\\n`, `\\r` and `\\n` only
(not `str.splitlines`, which also breaks at form feeds and Unicode separators)."""
from __future__ import annotations

import itertools
import re

LINE_BREAK = re.compile(r"\r\n|\r|\n")


def line_starts(text: str) -> list[int]:
    """Offset in `text` where each line begins."""
    if "\r" in text:
        return [0, *(match.end() for match in LINE_BREAK.finditer(text))]
    starts = [0, *itertools.accumulate(len(line) + 1 for line in text.split("\n"))]
    starts.pop()  # the offset past the end, after the last line
    return starts


def split_lines(text: str) -> list[str]:
    """The lines of `text`, each with its own line break."""
    starts = line_starts(text)
    ends = [*starts[1:], len(text)]
    return [text[start:end] for start, end in zip(starts, ends) if start < end]
