"""README.md as a newcomer reads it: every snippet is run or checked here (a snippet with no check fails),
its shown output is the real output, and its tables are the generated ones."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

from gradguard.cli import build_parser
from gradguard.config import config_from_mapping
from gradguard.ruledocs import GENERATED_BLOCK, readme_blocks, readme_with_blocks

from .conftest import run_gradguard

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PACKAGE = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
FENCED = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
# Each snippet, told apart by its language and first words; each has its test below.
SNIPPETS = {
    "set-up": ("sh", "# 1. install GradGuard"),
    "first-output": ("", "examples/train_classifier.py:"),
    "synopsis": ("sh", "gradguard check [PATH"),
    "text-sample": ("", "train.py:2:6: "),
    "show-fixes": ("", "Fixed 3 findings"),
    "config": ("toml", "[tool.gradguard]"),
    "ruff": ("toml", "[tool.ruff.lint]"),
    "vscode": ("sh", "npm ci"),
}


def snippet(name: str) -> str:
    language, start = SNIPPETS[name]
    [body] = [body for lang, body in FENCED.findall(README) if lang == language and body.startswith(start)]
    return body


def commands(name: str) -> list[str]:
    """A shell snippet's commands, comments dropped."""
    return [line.split("  #")[0].strip() for line in snippet(name).splitlines() if line and not line.startswith("#")]


def test_every_snippet_has_a_check() -> None:
    found = FENCED.findall(README)
    unchecked = [
        body[:40]
        for lang, body in found
        if not any(lang == language and body.startswith(start) for language, start in SNIPPETS.values())
    ]
    assert not unchecked and len(found) == len(SNIPPETS), f"README snippets with no test: {unchecked}"


def test_the_generated_blocks_are_current() -> None:
    assert {match.group(2) for match in GENERATED_BLOCK.finditer(README)} == set(readme_blocks(PACKAGE))
    assert readme_with_blocks(README, readme_blocks(PACKAGE)) == README, (
        "stale; run `python -m gradguard.ruledocs docs/rules`"
    )


def _examples(project: Path) -> Path:
    shutil.copytree(ROOT / "examples", project / "examples")
    return project


def test_the_first_command_prints_what_the_readme_shows(project: Path) -> None:
    first, _second = commands("set-up")
    assert first.split(" && ") == [
        "python3 -m venv .venv",
        ".venv/bin/pip install .",
        ".venv/bin/gradguard check examples/",
    ]
    result = run_gradguard("check", "examples/", cwd=_examples(project))
    assert (result.returncode, result.stdout) == (1, snippet("first-output"))
    assert "and exit status 1 (findings were reported" in README


def _clone(into: Path) -> Path:
    """The files a fresh clone has (git's list, as committed or staged), nothing generated."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, (os.fsdecode(f) for f in files)):
        if (ROOT / name).is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, into / name)
    return into


@pytest.mark.slow  # a venv and `pip install .`: about a minute
def test_the_first_command_as_written_in_a_fresh_clone(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout this test runs from")
    clone = _clone(tmp_path / "clone")
    first = commands("set-up")[0]
    result = subprocess.run(["bash", "-c", first], cwd=clone, capture_output=True, text=True, timeout=1200)
    assert (result.returncode, result.stdout[-len(snippet("first-output")) :]) == (1, snippet("first-output")), (
        result.stderr
    )


def test_ci_runs_the_second_command() -> None:
    second = commands("set-up")[1]
    assert second == ".venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    assert ".venv/bin/python -m pip install -q -e '.[test]'\n" in CI and "\n.venv/bin/python -m pytest -q\n" in CI


def _check_options() -> set[str]:
    check = next(action for action in build_parser()._actions if action.dest == "command").choices["check"]
    return {option for action in check._actions for option in action.option_strings[:1]} - {"-h"}


def test_the_synopsis_names_every_option_and_its_commands_run(project: Path) -> None:
    synopsis = snippet("synopsis")
    assert set(re.findall(r"--[\w-]+", synopsis)) == _check_options() | {"--all"}
    _examples(project)
    for command in commands("synopsis"):
        if not command.startswith("gradguard ") or command.startswith("gradguard check [PATH"):
            continue  # `check [PATH ...]` and its options: named above
        args = shlex.split(command.replace("PATH", "examples/").replace("CODE|--all", "GG203"))[1:]
        if args[:2] == ["check", "-"]:
            args = ["check", "-", "--stdin-filename", "x.py", "--fix"]
            result = subprocess.run(
                [sys.executable, "-m", "gradguard", *args],
                cwd=project,
                capture_output=True,
                text=True,
                input="import torch\nwith torch.no_grad:\n    pass\n",
            )
            assert (result.returncode, result.stdout) == (0, "import torch\nwith torch.no_grad():\n    pass\n")
            continue
        result = run_gradguard(*args, cwd=project)
        assert result.returncode == 0 and result.stdout + result.stderr, (command, result.stderr)
    assert run_gradguard("rule", "--all", cwd=project).returncode == 0


def _as_pattern(shown: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in shown.split("...")))


def test_the_text_sample_is_real_output(project: Path) -> None:
    (project / "train.py").write_text("import torch\nwith torch.no_grad:\n    pass\n", encoding="utf-8")
    (project / "val.py").write_text(
        "import torch\nmodel = torch.nn.Linear(2, 2)\ndef evaluate(x):\n    return model(x)\n", encoding="utf-8"
    )
    output = run_gradguard("check", "--no-cache", cwd=project).stdout.splitlines()
    shown = snippet("text-sample").splitlines()
    assert len(output) == len(shown) and all(_as_pattern(s).fullmatch(o) for s, o in zip(shown, output)), output


def test_the_show_fixes_sample_is_real_output(project: Path) -> None:
    (project / "train.py").write_text(
        "import torch\nwith torch.no_grad:\n    pass\nwith torch.no_grad:\n    pass\n"
        "model = torch.nn.Linear(2, 2)\nmodel.eval\n",
        encoding="utf-8",
    )
    result = run_gradguard("check", "--fix", "--show-fixes", "--no-cache", cwd=project)
    assert (result.returncode, result.stderr) == (0, snippet("show-fixes"))


def test_the_configuration_sample_is_valid_and_used(project: Path) -> None:
    config, warnings = config_from_mapping(
        tomllib.loads(snippet("config"))["tool"]["gradguard"], prefix="tool.gradguard."
    )
    assert warnings == [] and config.torch_version == "1.13"
    (_examples(project) / "pyproject.toml").write_text(snippet("config"), encoding="utf-8")
    result = run_gradguard("check", "--no-cache", cwd=project)
    assert result.returncode == 1 and result.stderr == "", result.stderr


def test_ruff_reports_our_noqa_codes_unless_they_are_external(project: Path) -> None:
    (project / "x.py").write_text("import torch\nwith torch.no_grad():  # noqa: GG101\n    pass\n", encoding="utf-8")
    ruff = [
        sys.executable,
        "-m",
        "ruff",
        "check",
        "--no-cache",
        "--select",
        "RUF100,RUF102",
        "--output-format",
        "concise",
        "x.py",
    ]
    plain = subprocess.run(ruff, cwd=project, capture_output=True, text=True)
    assert plain.returncode == 1 and "RUF102 [*] Invalid rule code in `# noqa`: GG101" in plain.stdout, (
        plain.stdout + plain.stderr
    )
    with open(project / "pyproject.toml", "a", encoding="utf-8") as pyproject:
        pyproject.write("\n" + snippet("ruff"))
    external = subprocess.run(ruff, cwd=project, capture_output=True, text=True)
    assert external.returncode == 0, external.stdout + external.stderr


def test_the_vscode_commands_are_what_ci_runs() -> None:
    build, install, pip = commands("vscode")
    assert build == "npm ci && npm run package" and "\nnpm ci " in CI and "\nnpm run package\n" in CI
    vsix = f"{PACKAGE['name']}-{PACKAGE['version']}.vsix"  # what `npm run package` (vsce) writes
    assert install == f"code --install-extension {vsix}"
    assert f'VSIX="${{VSIX:-$REPO/{vsix}}}"' in (ROOT / "tests" / "e2e" / "vscode" / "run.sh").read_text(
        encoding="utf-8"
    )
    assert pip == "python -m pip install ."  # `pip install .`: the first command, run as written by the slow test above
