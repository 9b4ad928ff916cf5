"""Where a source's text names something a rule looks at: the text gate of `analyze` and the
relevance of each function (`relevance.relevant_definitions`). Plain substrings found with `str.find`
where possible: a regex alternation over every file costs more than the analysis."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ..vocabulary import EVALUATION_DATA_TOKENS, LOADER_TOKENS

# grad mode and training mode: every rule starts from one of them, in this function or, through the
# propagation in relevant_definitions, in one that calls or names it
RELEVANT_TOKENS = (
    "no_grad",
    "inference_mode",
    "grad_enabled",
    "enable_grad",
    ".eval(",
    ".train(",
    "load_state_dict",
    ".step(",
    *EVALUATION_DATA_TOKENS,
    *LOADER_TOKENS,
    "volatile=",  # `Variable(x, volatile=True)`, GG110
)
NUMPY_CONVERSION = ".numpy()"
DROPOUT_CALL = re.compile(r"dropout[123]?d?\(")
FUNCTIONAL_PREFIXES = ("feature_alpha_", "alpha_")
IDENTIFIER = re.compile(r"\w+")
# ASCII characters that are not word characters (`\w`): blanked, so that what `split` leaves are the words
NOT_WORD_ASCII = {code: " " for code in range(128) if not (chr(code).isalnum() or chr(code) == "_")}


def word_set(text: str) -> set[str]:
    """The `IDENTIFIER` matches of `text`, as a set. On ASCII text (most code) blanking the other characters and
    splitting takes 0.7x the CPU of the regex, which the class index pays for every definition of a project."""
    return set(text.translate(NOT_WORD_ASCII).split()) if text.isascii() else set(IDENTIFIER.findall(text))


def names_something_relevant(source: str) -> bool:
    """The text gate's test: a token, a functional dropout call, or `.eval`/`.train` without the call."""
    return (
        any(token in source for token in RELEVANT_TOKENS)
        or names_mode_switch(source)
        or any(functional_dropout_positions(source))
    )


def relevant_positions(source: str) -> Iterator[int]:
    for token in RELEVANT_TOKENS:
        position = source.find(token)
        while position != -1:
            yield position
            position = source.find(token, position + 1)
    yield from functional_dropout_positions(source)
    yield from numpy_conversion_positions(source)


def numpy_conversion_positions(source: str) -> Iterator[int]:
    """`.numpy()`: a function that hands a forward pass's output to NumPy may be inference code whatever its name
    (`outputs = self(**batch)` ... `output.data.cpu().numpy()`), so relevance walks it; whether its outputs only
    feed such sinks is `rules/sinks.py`'s question. Not a gate token: a file must name something else a rule
    looks at (a grad-mode or mode-switch name, a load) to be analysed at all."""
    position = source.find(NUMPY_CONVERSION)
    while position != -1:
        yield position
        position = source.find(NUMPY_CONVERSION, position + 1)


def functional_dropout_positions(source: str) -> Iterator[int]:
    """`F.dropout(`, `nn.functional.alpha_dropout(`, a bare imported `dropout2d(` (GG206), but not the
    module calls `self.dropout(x)` and `self.attn_dropout(x)` that fill every transformer's forward."""
    position = source.find("dropout")
    while position != -1:
        if DROPOUT_CALL.match(source, position) and _is_functional(source, position):
            yield position
        position = source.find("dropout", position + 1)


def _is_functional(source: str, position: int) -> bool:
    start = position
    for prefix in FUNCTIONAL_PREFIXES:
        if source.endswith(prefix, 0, start):
            start -= len(prefix)
            break
    before = source[start - 1] if start else " "
    if before == ".":
        return not (source.endswith("self", 0, start - 1) and not is_identifier_char(source, start - 6))
    return not is_identifier_char(source, start - 1)


def names_mode_switch(source: str) -> bool:
    """`.eval` or `.train` as a whole attribute (GG103 is `model.eval` without the call), not `.training`."""
    for attribute in (".eval", ".train"):
        position = source.find(attribute)
        while position != -1:
            if not is_identifier_char(source, position + len(attribute)):
                return True
            position = source.find(attribute, position + 1)
    return False


def call_positions(source: str, name: str) -> Iterator[int]:
    """Where `name` is called: `name(`, `obj.name (`; not where it is defined (`def forward(`: counted as a
    call, one relevant `forward` of a file made all its `forward`s relevant). The relevance test asks
    this only for the names of relevant functions, so a plain search per name is cheaper than
    visiting every word of the file."""
    position = source.find(name)
    while position != -1:
        after = position + len(name)
        if not is_identifier_char(source, position - 1) and not is_identifier_char(source, after):
            while after < len(source) and source[after] in " \t":
                after += 1
            if source.startswith("(", after) and not _follows_def(source, position):
                yield position
        position = source.find(name, after)


def _follows_def(source: str, position: int) -> bool:
    """The keyword `def` and blanks come right before `position`."""
    start = position
    while start and source[start - 1] in " \t":
        start -= 1
    return start < position and source.endswith("def", 0, start) and not is_identifier_char(source, start - 4)


def names_word(source: str, word: str, start: int = 0) -> bool:
    """`word` is a whole word of `source[start:]` (one of its `IDENTIFIER` matches), found with `str.find`:
    one search that stops at the first, where listing every word of a class's text costs tens of times more."""
    position = source.find(word, start)
    while position != -1:
        after = position + len(word)
        if (position == start or not is_identifier_char(source, position - 1)) and not is_identifier_char(
            source, after
        ):
            return True
        position = source.find(word, position + 1)
    return False


def name_counts(source: str, names: Iterable[str]) -> dict[str, int]:
    """How often each of `names` (identifiers) occurs in `source` as a whole word and not as an attribute
    (`x.name`): the matches of `(?<![\\w.])(name|...)\\b`, found with one `str.find` search per name, 6-8x
    faster than that alternation, which CPython's re tries at every position of the text."""
    counts = {}
    for name in names:
        count = 0
        position = source.find(name)
        while position != -1:
            before = source[position - 1] if position else " "
            if (
                before != "."
                and not is_identifier_char(before, 0)
                and not is_identifier_char(source, position + len(name))
            ):
                count += 1
            position = source.find(name, position + 1)
        if count:
            counts[name] = count
    return counts


def is_identifier_char(source: str, index: int) -> bool:
    return 0 <= index < len(source) and (source[index].isalnum() or source[index] == "_")
