"""Suppression comments and every `[tool.gradguard]` key, seen through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from gradguard.config import DEFAULT_EVAL_FUNCTION_PATTERNS

from .conftest import GG101_SNIPPET, findings_json, run_gradguard

GG101_LINE = "with torch.no_grad:"


@pytest.mark.parametrize(
    "comment", ["# noqa", "# noqa: GG101", "# noqa: E501, GG101", "# NOQA : GG101", "# gradguard: ignore[GG101]"]
)
def test_line_suppression(project: Path, comment: str) -> None:
    (project / "loop.py").write_text(GG101_SNIPPET.replace(GG101_LINE, f"{GG101_LINE}  {comment}"), encoding="utf-8")
    assert findings_json(cwd=project) == []


@pytest.mark.parametrize("comment", ["# noqa: GG201", "# noqa : GG999", "# noqa:"])  # `tests/test_noqa.py`: the grammar
def test_noqa_for_another_code_does_not_suppress(project: Path, comment: str) -> None:
    (project / "loop.py").write_text(GG101_SNIPPET.replace(GG101_LINE, f"{GG101_LINE}  {comment}"), encoding="utf-8")
    assert [f["code"] for f in findings_json(cwd=project)] == ["GG101"]


def test_skip_file(project: Path) -> None:
    (project / "loop.py").write_text("# gradguard: skip-file\n" + GG101_SNIPPET, encoding="utf-8")
    assert findings_json(cwd=project) == []


def write_config(project: Path, body: str) -> None:
    (project / "pyproject.toml").write_text(f"[project]\nname = 'demo'\n\n[tool.gradguard]\n{body}\n", encoding="utf-8")


@pytest.mark.parametrize(
    "body, expected",
    [
        ("select = ['GG2']", []),
        ("select = ['GG101']", ["GG101"]),
        ("select = ['no-grad-not-called']", ["GG101"]),
        ("ignore = ['GG101']", []),
        ("ignore = ['GG1']", []),
        ("ignore = ['no-grad-not-called']", []),
        ("ignore = ['GG2']", ["GG101"]),
    ],
)
def test_select_and_ignore_from_pyproject(project: Path, body: str, expected: list[str]) -> None:
    write_config(project, body)
    (project / "loop.py").write_text(GG101_SNIPPET, encoding="utf-8")
    assert [f["code"] for f in findings_json(cwd=project)] == expected


def test_command_line_select_and_ignore_override_the_file(project: Path) -> None:
    write_config(project, "ignore = ['GG101']")
    (project / "loop.py").write_text(GG101_SNIPPET, encoding="utf-8")
    assert [f["code"] for f in findings_json("--ignore", "GG2", cwd=project)] == ["GG101"]
    assert findings_json("--select", "GG2", cwd=project) == []
    write_config(project, "select = ['GG2']")
    assert [f["code"] for f in findings_json("--select", "GG1,GG2", cwd=project)] == ["GG101"]


def test_severity(project: Path) -> None:
    write_config(project, "severity = { GG101 = 'hint' }")
    (project / "loop.py").write_text(GG101_SNIPPET, encoding="utf-8")
    [finding] = findings_json(cwd=project)
    assert finding["severity"] == "hint"
    github = run_gradguard("--check", "--format", "github", cwd=project)
    assert github.stdout.startswith("::notice ")


def test_exclude_from_pyproject_and_command_line(project: Path) -> None:
    write_config(project, "exclude = ['generated/**', 'legacy_*.py']")
    for name in ("generated/deep/a.py", "legacy_b.py", "src/keep.py", "src/other.py"):
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(GG101_SNIPPET, encoding="utf-8")
    assert [f["filename"] for f in findings_json(cwd=project)] == ["src/keep.py", "src/other.py"]
    assert [f["filename"] for f in findings_json("--exclude", "src/other.py", cwd=project)] == ["src/keep.py"]


def test_per_file_ignores(project: Path) -> None:
    write_config(project, "per-file-ignores = { 'tests/**' = ['GG101'] }")
    for name in ("tests/test_a.py", "train.py"):
        (project / name).parent.mkdir(exist_ok=True)
        (project / name).write_text(GG101_SNIPPET, encoding="utf-8")
    assert [f["filename"] for f in findings_json(cwd=project)] == ["train.py"]
    # the globs are relative to the project root, wherever the run starts
    assert findings_json("tests", cwd=project) == []
    assert findings_json(str(project / "tests" / "test_a.py"), cwd=project.parent) == []


@pytest.mark.parametrize(
    "body",
    [
        "torch-version = '1.13'",
        "eval-function-patterns = ['score_*']",
        "model-names = ['net', 'teacher']",
    ],
)
def test_other_keys_are_accepted(project: Path, body: str) -> None:
    write_config(project, body)
    (project / "loop.py").write_text(GG101_SNIPPET, encoding="utf-8")
    result = run_gradguard("--check", cwd=project)
    assert (result.returncode, result.stderr) == (1, "")


def test_unknown_key_warns_and_names_it(project: Path) -> None:
    write_config(project, "selcet = ['GG1']")
    (project / "loop.py").write_text(GG101_SNIPPET, encoding="utf-8")
    result = run_gradguard("--check", cwd=project)
    assert result.returncode == 1
    assert result.stderr.count("warning: unknown key `selcet`") == 1


def test_invalid_toml_is_a_clear_error(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.gradguard]\nselect = [\n", encoding="utf-8")
    (project / "loop.py").write_text(GG101_SNIPPET, encoding="utf-8")
    result = run_gradguard("--check", cwd=project)
    assert result.returncode == 2
    assert "pyproject.toml: error: invalid TOML" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_value_is_a_clear_error(project: Path) -> None:
    write_config(project, "torch-version = 'latest'")
    (project / "loop.py").write_text(GG101_SNIPPET, encoding="utf-8")
    result = run_gradguard("--check", cwd=project)
    assert result.returncode == 2
    assert "torch-version" in result.stderr and "Traceback" not in result.stderr


def test_nearest_pyproject_governs_each_file(project: Path) -> None:
    write_config(project, "ignore = ['GG101']")
    package = project / "package"
    package.mkdir()
    (package / "pyproject.toml").write_text("[tool.gradguard]\nselect = ['GG1']\n", encoding="utf-8")
    (project / "top.py").write_text(GG101_SNIPPET, encoding="utf-8")
    (package / "inner.py").write_text(GG101_SNIPPET, encoding="utf-8")
    assert [f["filename"] for f in findings_json(cwd=project)] == ["package/inner.py"]


def test_config_option_points_at_a_file(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    elsewhere = tmp_path_factory.mktemp("settings") / "pyproject.toml"
    elsewhere.write_text("[tool.gradguard]\nignore = ['GG101']\n", encoding="utf-8")
    (project / "loop.py").write_text(GG101_SNIPPET, encoding="utf-8")
    assert findings_json("--config", str(elsewhere), cwd=project) == []
    missing = run_gradguard("--check", "--config", "nope.toml", cwd=project)
    assert missing.returncode == 2 and "nope.toml" in missing.stderr


EVALUATIONS = (
    "import torch\nmodel = torch.nn.Linear(2, 2)\n"
    "def evaluate(x):\n    return model(x)\n"
    "def score_batch(x):\n    return model(x)\n"
)


@pytest.mark.parametrize(
    "body, functions",
    [
        ("", ["evaluate"]),
        ('extend-eval-function-patterns = ["score_*"]', ["evaluate", "score_batch"]),  # added to the defaults
        ('eval-function-patterns = ["score_*"]', ["score_batch"]),  # instead of them
    ],
)
def test_eval_function_patterns_replace_and_extend_adds(project: Path, body: str, functions: list[str]) -> None:
    (project / "pyproject.toml").write_text(f"[tool.gradguard]\n{body}\n", encoding="utf-8")
    (project / "val.py").write_text(EVALUATIONS, encoding="utf-8")
    findings = findings_json("--no-cache", cwd=project)
    assert [finding["location"]["row"] for finding in findings] == [
        {"evaluate": 4, "score_batch": 6}[f] for f in functions
    ]
    assert {finding["code"] for finding in findings} == {"GG201"}


def test_the_readme_lists_the_real_default_eval_function_patterns() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"The defaults: {', '.join(f'`{p}`' for p in DEFAULT_EVAL_FUNCTION_PATTERNS)}.\n" in readme
