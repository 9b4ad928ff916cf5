"""Source encodings (issue 19, item 5): a coding cookie names a codec we can read and write back byte
for byte (a text encoding that reads ASCII as ASCII and round-trips the file), or the file is reported
as "unsupported source encoding" and left alone, by `--check` and `--fix` alike."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from .conftest import GG101_SNIPPET, run_gradguard, tree_digest

# idna and unicode_escape are text encodings CPython runs this file with, but they do not give the
# same bytes back (before: `--fix` truncated the idna file); rot13, hex and base64 are not text encodings.
# The files are named cookie_*.py: `python -m` would import a `base64.py` from the working directory.
UNSUPPORTED = ("idna", "punycode", "utf-7", "unicode_escape", "rot13", "hex", "base64", "undefined")


def _with_cookie(encoding: str) -> bytes:
    return f"# -*- coding: {encoding} -*-\n{GG101_SNIPPET}".encode("ascii")


@pytest.mark.parametrize("mode", [(), ("--fix",)], ids=["check", "fix"])
def test_exotic_cookies_are_unsupported_encodings(project: Path, mode: tuple[str, ...]) -> None:
    for encoding in UNSUPPORTED:
        (project / f"cookie_{encoding}.py").write_bytes(_with_cookie(encoding))
    (project / "unknown.py").write_bytes(_with_cookie("klingon") + "# café\n".encode("latin-1"))
    before = tree_digest(project)

    result = run_gradguard("--check", "--no-cache", *mode, cwd=project)

    assert result.returncode == 2
    errors = sorted(line for line in result.stderr.splitlines() if ": error: " in line)
    assert errors == sorted(
        [f"cookie_{encoding}.py: error: unsupported source encoding: {encoding}" for encoding in UNSUPPORTED]
        + ["unknown.py: error: unsupported source encoding: klingon (no such codec, and the file is not UTF-8)"]
    )
    assert tree_digest(project) == before


@pytest.mark.parametrize("codec, name", [("utf-16", "UTF-16"), ("utf-16-be", "UTF-16"), ("utf-32", "UTF-32")])
def test_utf16_and_utf32_sources_are_named(project: Path, codec: str, name: str) -> None:
    bom = {"utf-16": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE, "utf-32": codecs.BOM_UTF32_LE}[codec]
    data = GG101_SNIPPET.encode(codec)
    (project / "wide.py").write_bytes(data if data.startswith(bom) else bom + data)
    for mode in ((), ("--fix",)):
        result = run_gradguard("--check", "--no-cache", *mode, cwd=project)
        assert result.returncode == 2
        assert result.stderr.splitlines()[0] == (
            f"wide.py: error: {name} source is not supported (Python reads source as UTF-8 or as the "
            "ASCII-compatible encoding a coding cookie names); save the file as UTF-8"
        )


@pytest.mark.parametrize("mode", [(), ("--fix",)], ids=["check", "fix"])
def test_a_source_transform_codec_is_read_as_utf8(project: Path, mode: tuple[str, ...]) -> None:
    """`future_fstrings` and the like are codecs installed with a project: they read UTF-8 and rewrite
    the text before Python runs it. What the user wrote is UTF-8, so it is checked and fixed as such."""
    source = f"# -*- coding: future_fstrings -*-\n# café\n{GG101_SNIPPET}"
    (project / "transformed.py").write_bytes(source.encode())

    result = run_gradguard("--check", "--no-cache", *mode, cwd=project)

    assert "error" not in result.stderr
    if mode:
        assert result.returncode == 0
        assert (project / "transformed.py").read_bytes() == source.replace("no_grad:", "no_grad():").encode()
    else:
        assert result.returncode == 1
        assert result.stdout.startswith("transformed.py:4:")


def test_a_text_encoding_that_round_trips_is_fixed_in_it(project: Path) -> None:
    source = f"# -*- coding: cp1252 -*-\n# café €\n{GG101_SNIPPET}"
    (project / "legacy.py").write_bytes(source.encode("cp1252"))
    result = run_gradguard("--check", "--no-cache", "--fix", cwd=project)
    assert result.returncode == 0, result.stderr
    assert (project / "legacy.py").read_bytes() == source.replace("no_grad:", "no_grad():").encode("cp1252")
