"""`docs/rules/<code>-<slug>.md`: one page per rule, written from the registry (the one source).

python -m gradguard.ruledocs docs/rules      # rewrite the pages
"""

from __future__ import annotations

import sys
from pathlib import Path

from .rules import RULES


def rule_pages() -> dict[str, str]:
    """File name -> page text, for every rule, plus the index."""
    pages = {f"{rule.code}-{rule.slug}.md": rule.explanation() for rule in RULES}
    rows = "\n".join(f"| [{r.code}]({r.code}-{r.slug}.md) | `{r.slug}` | {r.severity} | {r.summary} |" for r in RULES)
    pages["README.md"] = f"# GradGuard rules\n\n| code | slug | severity | what it finds |\n|---|---|---|---|\n{rows}\n"
    return pages


def write_rule_pages(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in rule_pages().items():
        with open(folder / name, "w", encoding="utf-8", newline="\n") as page:  # write_text(newline=): Python 3.10
            page.write(text)


if __name__ == "__main__":
    write_rule_pages(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/rules"))
