"""`docs/rules/<code>-<slug>.md`: one page per rule, written from the registry (the one source); and the
README's generated blocks: the rule table, the default evaluation-function patterns, the VS Code settings.

    python -m gradguard.ruledocs docs/rules    # rewrite the pages, and README.md's generated blocks when run
                                               # from the repository (README.md and package.json there)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from .config import DEFAULT_EVAL_FUNCTION_PATTERNS
from .rules import RULES

# A generated block of the README: `<!-- generated: NAME ... -->`, its text, `<!-- end generated -->`.
GENERATED_BLOCK = re.compile(r"(<!-- generated: ([\w-]+)[^\n]*-->\n)(.*?)(<!-- end generated -->)", re.S)


def rule_pages() -> dict[str, str]:
    """File name -> page text, for every rule, plus the index."""
    pages = {f"{rule.code}-{rule.slug}.md": rule.explanation() for rule in RULES}
    rows = "\n".join(f"| [{r.code}]({r.code}-{r.slug}.md) | `{r.slug}` | {r.severity} | {r.summary} |" for r in RULES)
    pages["README.md"] = f"# GradGuard rules\n\n| code | slug | severity | what it finds |\n|---|---|---|---|\n{rows}\n"
    return pages


def readme_blocks(package: dict[str, Any]) -> dict[str, str]:
    """Block name -> text, from the registry, the configuration's defaults and the extension's package.json."""
    rules = "".join(
        f"| [{r.code}](docs/rules/{r.code}-{r.slug}.md) | `{r.slug}` | {r.severity} | {r.summary} |\n" for r in RULES
    )
    settings = "".join(
        f"| `{name}` | `{json.dumps(setting['default'])}` | {_setting_meaning(setting)} |\n"
        for name, setting in package["contributes"]["configuration"]["properties"].items()
    )
    return {
        "rules": "| code | slug | severity | what it finds |\n|---|---|---|---|\n" + rules,
        "eval-function-patterns": f"The defaults: {', '.join(f'`{p}`' for p in DEFAULT_EVAL_FUNCTION_PATTERNS)}.\n",
        "vscode-settings": "| setting | default | meaning |\n|---|---|---|\n" + settings,
    }


def _setting_meaning(setting: dict[str, Any]) -> str:
    meaning = setting.get("markdownDescription") or setting["description"]
    if "enum" in setting:
        meaning += f" One of {', '.join(f'`{value}`' for value in setting['enum'])}."
    return meaning.replace("|", "\\|")


def readme_with_blocks(readme: str, blocks: dict[str, str]) -> str:
    """`readme` with each generated block's text replaced; a block with no generator is an error."""

    def fill(match: re.Match[str]) -> str:
        return match.group(1) + blocks[match.group(2)] + match.group(4)

    return GENERATED_BLOCK.sub(fill, readme)


def write_rule_pages(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in rule_pages().items():
        with open(folder / name, "w", encoding="utf-8", newline="\n") as page:  # write_text(newline=): Python 3.10
            page.write(text)


def write_readme_blocks(readme: Path) -> None:
    package = json.loads((readme.parent / "package.json").read_text(encoding="utf-8"))
    text = readme.read_text(encoding="utf-8")
    if (new := readme_with_blocks(text, readme_blocks(package))) != text:
        with open(readme, "w", encoding="utf-8", newline="\n") as stream:  # write_text(newline=): Python 3.10
            stream.write(new)


if __name__ == "__main__":
    write_rule_pages(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/rules"))
    if Path("README.md").is_file() and Path("package.json").is_file():  # the repository: its README's tables too
        write_readme_blocks(Path("README.md"))
