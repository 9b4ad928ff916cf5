"""Every output format and every exit status."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import jsonschema
from gradguard.formats import printable
from gradguard.rules import RULES

from .conftest import CLEAN_SNIPPET, GG101_SNIPPET, SHARED_EXAMPLES, findings_json, needs_shared_examples, run_gradguard

SARIF_SCHEMA = Path(__file__).parents[1] / "fixtures" / "sarif-2.1.0.json"


GG201_SNIPPET = (
    "import torch\nmodel = torch.nn.Linear(2, 2)\ndef evaluate(x):\n    return model(x)\n"  # its fix is unsafe
)


def test_text_lists_findings_one_based_with_summary(project: Path) -> None:
    (project / "loop.py").write_text(GG101_SNIPPET, encoding="utf-8")
    result = run_gradguard("--check", cwd=project)
    assert result.returncode == 1, result.stderr
    first, summary = result.stdout.splitlines()
    assert first.startswith("loop.py:2:6: GG101 [*] error: `no_grad` is a class")
    assert summary == "Found 1 finding in 1 file (1 file checked). 1 fixable with `--fix`."


def test_text_says_what_the_unsafe_fixes_would_add(project: Path) -> None:
    (project / "loop.py").write_text(GG101_SNIPPET, encoding="utf-8")
    (project / "val.py").write_text(GG201_SNIPPET, encoding="utf-8")
    result = run_gradguard("check", "--no-cache", cwd=project)
    assert result.returncode == 1, result.stderr
    loop, val, summary = result.stdout.splitlines()
    assert loop.startswith("loop.py:2:6: GG101 [*] error: ") and val.startswith("val.py:4:12: GG201 warning: ")
    assert (
        summary
        == "Found 2 findings in 2 files (2 files checked). 1 fixable with `--fix` (1 more with `--unsafe-fixes`)."
    )
    unsafe = run_gradguard("check", "--no-cache", "--unsafe-fixes", cwd=project).stdout.splitlines()
    assert unsafe[1].startswith("val.py:4:12: GG201 [*] warning: ") and unsafe[2].endswith(" 2 fixable with `--fix`.")


def test_statistics_one_line_per_rule(project: Path) -> None:
    (project / "loop.py").write_text(GG101_SNIPPET * 2, encoding="utf-8")
    (project / "val.py").write_text(GG201_SNIPPET, encoding="utf-8")
    result = run_gradguard("check", "--statistics", "--no-cache", cwd=project)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[:2] == [
        "2\tGG101\t[*] no-grad-not-called",
        "1\tGG201\t[ ] forward-without-no-grad",
    ]
    unfixable = run_gradguard("check", "--statistics", "--no-cache", "val.py", cwd=project)  # as Ruff: no column
    assert unfixable.stdout.splitlines()[0] == "1\tGG201\tforward-without-no-grad"


def test_colour_only_on_a_terminal_or_when_forced(project: Path, monkeypatch) -> None:
    (project / "loop.py").write_text(GG101_SNIPPET, encoding="utf-8")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert "\x1b[" not in run_gradguard("check", cwd=project).stdout  # a pipe
    monkeypatch.setenv("FORCE_COLOR", "1")
    forced = run_gradguard("check", cwd=project).stdout
    assert forced.startswith(
        "\x1b[1mloop.py\x1b[0m:2:6: \x1b[1mGG101\x1b[0m \x1b[36m[*]\x1b[0m \x1b[1;31merror\x1b[0m: "
    )
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run_gradguard("check", cwd=project).stdout
    monkeypatch.delenv("NO_COLOR")
    assert "\x1b[" not in run_gradguard("check", "--format", "json", cwd=project).stdout


def test_exit_zero_and_output_format(project: Path) -> None:
    (project / "loop.py").write_text(GG101_SNIPPET, encoding="utf-8")
    result = run_gradguard("check", "--exit-zero", "--output-format", "json", cwd=project)
    assert result.returncode == 0, result.stderr
    assert [item["code"] for item in json.loads(result.stdout)] == ["GG101"]
    assert run_gradguard("check", "--exit-zero", "missing.py", cwd=project).returncode == 2


def test_an_unknown_code_is_a_usage_error_naming_the_codes(project: Path) -> None:
    (project / "loop.py").write_text(GG101_SNIPPET, encoding="utf-8")
    for option in ("--select", "--ignore"):
        result = run_gradguard("check", option, "GG2,GG999", cwd=project)
        assert result.returncode == 2 and result.stdout == ""
        assert "unknown rule code or slug: GG999; expected the codes GG101, GG102," in result.stderr
    assert run_gradguard("check", "--select", "GG2,missing-eval", cwd=project).returncode == 0


def test_exit_0_when_clean(project: Path) -> None:
    (project / "clean.py").write_text(CLEAN_SNIPPET, encoding="utf-8")
    result = run_gradguard("--check", ".", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "No findings (1 file checked).\n"


def test_exit_2_on_usage_error(project: Path) -> None:
    result = run_gradguard("--check", "--format", "xml", cwd=project)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
    assert run_gradguard("--check", "--select", "NOPE1", cwd=project).returncode == 2
    assert run_gradguard("--check", "--jobs", "0", cwd=project).returncode == 2


def test_exit_2_on_missing_path_but_other_files_still_checked(project: Path) -> None:
    (project / "loop.py").write_text(GG101_SNIPPET, encoding="utf-8")
    result = run_gradguard("--check", "missing.py", "loop.py", cwd=project)
    assert result.returncode == 2
    assert "missing.py: error: cannot read: no such file or directory" in result.stderr
    assert "loop.py:2:" in result.stdout


def test_json_shape(project: Path) -> None:
    (project / "loop.py").write_text(GG101_SNIPPET, encoding="utf-8")
    result = run_gradguard("--check", "--format", "json", cwd=project)
    assert result.returncode == 1, result.stderr
    [item] = json.loads(result.stdout)
    assert set(item) == {
        "filename",
        "code",
        "rule",
        "severity",
        "message",
        "location",
        "end_location",
        "fix",
        "url",
        "related",
    }
    assert item["related"] == []
    assert (item["filename"], item["code"], item["rule"], item["severity"]) == (
        "loop.py",
        "GG101",
        "no-grad-not-called",
        "error",
    )
    assert item["location"]["row"] == 2 and item["location"]["column"] >= 1
    assert set(item["end_location"]) == {"row", "column"}
    assert item["url"].endswith("GG101-no-grad-not-called.md")
    assert_installed_page(item["url"], "# GG101")
    if item["fix"] is not None:
        assert set(item["fix"]) == {"message", "applicability", "edits"}
        assert item["fix"]["applicability"] in ("safe", "unsafe")
        for edit in item["fix"]["edits"]:
            assert set(edit) == {"content", "location", "end_location"}


def test_json_related_locations_point_at_the_evidence(project: Path) -> None:
    (project / "evaluate.py").write_text(
        "import torch\n"
        "def evaluate(model, loader):\n"
        "    model.train()\n"
        "    with torch.no_grad():\n"
        "        for x, y in loader:\n"
        "            model(x)\n",
        encoding="utf-8",
    )
    [item] = findings_json(cwd=project)
    assert item["code"] == "GG202"
    [related] = item["related"]
    assert related["location"]["row"] == 3  # the model.train() that left it in training mode
    assert set(related) == {"message", "location", "end_location"} and related["message"]


def test_json_empty_array_when_clean(project: Path) -> None:
    (project / "clean.py").write_text(CLEAN_SNIPPET, encoding="utf-8")
    result = run_gradguard("--check", "--format", "json", cwd=project)
    assert (result.returncode, json.loads(result.stdout)) == (0, [])


def test_sarif_validates_against_the_schema(project: Path) -> None:
    (project / "loop.py").write_text(GG101_SNIPPET, encoding="utf-8")
    (project / "broken.py").write_text("import torch\nx = torch.no_grad(\n", encoding="utf-8")
    result = run_gradguard("--check", "--format", "sarif", cwd=project)
    assert result.returncode == 2, result.stderr
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(log)
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [rule.code for rule in RULES]
    gg101 = next(rule for rule in rules if rule["id"] == "GG101")
    assert gg101["name"] == "no-grad-not-called"
    assert gg101["help"]["markdown"].startswith("# GG101")
    # The project has no web address: no link the reader could not open (the page is in `help`).
    assert "helpUri" not in gg101 and "informationUri" not in run["tool"]["driver"]
    [finding] = run["results"]
    assert finding["ruleId"] == "GG101" and finding["level"] == "error"
    assert finding["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "loop.py"
    assert finding["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert run["invocations"][0]["executionSuccessful"] is False
    assert "broken.py" in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]


def test_github_annotations(project: Path) -> None:
    (project / "loop.py").write_text(GG101_SNIPPET, encoding="utf-8")
    result = run_gradguard("--check", "--format", "github", cwd=project)
    assert result.returncode == 1, result.stderr
    [line] = result.stdout.splitlines()
    assert line.startswith("::error file=loop.py,line=2,col=")
    assert ",title=GG101::" in line


def test_meta_commands(project: Path) -> None:
    version = run_gradguard("--version", cwd=project)
    assert version.returncode == 0 and version.stdout.startswith("gradguard ")
    listed = run_gradguard("--list-rules", cwd=project)
    assert listed.returncode == 0
    assert len(listed.stdout.splitlines()) == len(RULES)
    assert any(line.split()[:3] == ["GG101", "no-grad-not-called", "error"] for line in listed.stdout.splitlines())
    for name in ("GG101", "gg101", "no-grad-not-called"):
        explained = run_gradguard("--explain", name, cwd=project)
        assert explained.returncode == 0 and explained.stdout.startswith("# GG101 `no-grad-not-called`")
    unknown = run_gradguard("--explain", "GG999", cwd=project)
    assert unknown.returncode == 2 and "no rule" in unknown.stderr
    assert run_gradguard("--help", cwd=project).returncode == 0


@needs_shared_examples
def test_sarif_of_the_shared_examples_validates(project: Path) -> None:
    result = run_gradguard("--check", "--format", "sarif", "--no-cache", str(SHARED_EXAMPLES), cwd=project)
    assert result.returncode == 1, result.stderr
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(log)
    results = log["runs"][0]["results"]
    assert any("fixes" in item for item in results)
    assert any("relatedLocations" in item for item in results)
    assert any(item.get("properties", {}).get("cell") is not None for item in results)


def test_control_characters_in_file_names_are_escaped_not_printed(project: Path) -> None:
    """A file name may hold a line break or an escape sequence: printed as is, it would forge output lines."""
    (project / "a\nb.py:9:9: GG999 forged.py").write_text(GG101_SNIPPET, encoding="utf-8")
    (project / "c\r\x1b[2Kd.py").write_text("import torch\ndef broken(:\n    torch.no_grad()\n", encoding="utf-8")
    result = run_gradguard("--check", cwd=project)
    assert result.returncode == 2
    finding, summary = result.stdout.splitlines()
    assert finding.startswith("a\\nb.py:9:9: GG999 forged.py:2:") and " GG101 " in finding
    assert summary == "Found 1 finding in 1 file (1 file checked, 1 could not be). 1 fixable with `--fix`."
    [error] = result.stderr.splitlines()
    assert error.startswith("c\\r\\x1b[2Kd.py:2:") and ": error: syntax error" in error
    github = run_gradguard("--check", "--format", "github", cwd=project).stdout.splitlines()
    assert len(github) == 1 and "file=a%0Ab.py%3A9%3A9%3A GG999 forged.py," in github[0]


def test_printable_escapes_only_what_would_break_the_line() -> None:
    assert printable("données/modèle é.py") == "données/modèle é.py"
    assert printable("a\u2028b\x85c\td\udcff.py") == "a\\u2028b\\x85c\\td\\udcff.py"  # \udcff: an undecodable byte


def assert_installed_page(url: str, heading: str) -> None:
    """The rule link opens the page shipped with the package (run against the built wheel in CI)."""
    assert url.startswith("file:///")
    page = Path(url2pathname(urlparse(url).path))
    assert page.read_text(encoding="utf-8").startswith(heading)
