"""Line breaks as Python's tokenizer and LSP count them: `\\r\\n`, `\\r` and `\\n` only
(not `str.splitlines`, which also breaks at form feeds and Unicode separators)."""
from __future__ import annotations

import re

LINE_BREAK = re.compile(r"\r\n|\r|\n")


def line_starts(text: str) -> list[int]:
    """Offset in `text` where each line begins."""
    return [0, *(match.end() for match in LINE_BREAK.finditer(text))]
