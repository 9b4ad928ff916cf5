"""Golden before/after pairs: one fix applied to `golden/<name>.before.py` gives `<name>.after.py`.

Set GRADGUARD_UPDATE_GOLDEN=1 to rewrite the `.after.py` files, then review the diff.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from gradguard import Config, Finding, analyze
from gradguard.fixdata import ForwardPasses
from gradguard.fixes import fix_all
from support import apply, finding, span_of

GOLDEN = Path(__file__).parent / "golden"


@dataclass(frozen=True)
class Case:
    name: str
    code: str
    needle: str  # where the finding is; leading whitespace picks the occurrence and is not part of the span
    title: str = ""  # the fix to apply: the first whose title starts with this
    config: Config = Config()


CASES = [
    Case("gg101_with_no_grad", "GG101", "torch.no_grad"),
    Case("gg101_alias_inference_mode", "GG101", "T.inference_mode"),
    Case("gg103_eval_attribute", "GG103", "model.eval"),
    Case("gg102_wrap_following", "GG102", "    torch.no_grad()", "Turn it into"),
    Case("gg102_delete", "GG102", "    torch.no_grad()", "Remove"),
    Case("gg102_delete_last_in_block", "GG102", "    torch.no_grad()", "Remove"),
    Case("gg105_wrap_following", "GG105", "torch.set_grad_enabled(False)"),
    Case("gg110_last_argument", "GG110", "volatile=True"),
    Case("gg110_middle_argument", "GG110", "volatile=not train"),
    Case("gg110_trailing_comma", "GG110", "volatile=True"),
    Case("gg201_forward_and_uses", "GG201", "self.model_(\n            X_t,\n        )", "Wrap"),
    Case("gg201_val_loader_loop", "GG201", "model(x)", "Wrap"),
    Case("gg201_decorator", "GG201", "model(x)", "Decorate"),
    Case("gg201_from_import", "GG201", "model(x)", "Wrap"),
    Case("gg201_missing_torch_import", "GG201", "encoder(batch)", "Wrap"),
    Case("gg201_nested_function", "GG201", "model(x)", "Wrap"),
    Case("gg201_one_line_def", "GG201", "model(x)", "Decorate"),
    Case("gg201_grouped_loop", "GG201", "model(inputs[0])", "Wrap"),
    Case("gg201_grouped_function", "GG201", "model(x)", "Wrap"),
    Case("gg202_insert_before", "GG202", "self.model(x)"),
    Case("gg202_batch_loop", "GG202", "model(x)"),
    Case("gg205_insert_after", "GG205", "teacher(x)"),
    Case("gg205_semicolon_line", "GG205", "model(x)"),
    Case("gg205_one_line_suite", "GG205", "model(x)"),
    Case("gg203_after_helper", "GG203", "evaluate(model, val_loader)"),
    Case("gg203_direct_eval", "GG203", "            model.eval()"),
    Case("gg206_add_training", "GG206", "F.dropout(x, 0.1)"),
    Case("gg206_replace_training_true", "GG206", "nn.functional.dropout(h, p=self.p, training=True)"),
    Case("gg206_multiline_call", "GG206", "F.dropout(\n            x,\n            p=self.p,\n        )"),
    Case("noqa_extend", "GG201", "model(x)", "Ignore"),
]
# The rule does not report these `before` files (GG201 finds no evidence for a nested function returned to
# callers it cannot see): the fix is built for a finding made here, with the data the rule would give it.
NOT_REPORTED = {"gg201_nested_function": ForwardPasses()}


def reported(case: Case, before: str) -> Finding:
    """The finding the rule reports at the needle, with the data the fix engine gets from the analysis."""
    found = [
        f
        for f in analyze(before, f"{case.name}.py", case.config)
        if f.code == case.code and f.span == span_of(before, case.needle)
    ]
    assert len(found) == 1, f"{case.code} is not reported once at {case.needle!r}: {found}"
    return found[0]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_golden(case: Case) -> None:
    before = (GOLDEN / f"{case.name}.before.py").read_text()
    found = (
        finding(case.code, before, case.needle, data=NOT_REPORTED[case.name])
        if case.name in NOT_REPORTED
        else reported(case, before)
    )
    fixed = apply(before, found, case.title, case.config)
    after_path = GOLDEN / f"{case.name}.after.py"
    if os.environ.get("GRADGUARD_UPDATE_GOLDEN"):
        after_path.write_text(fixed)
    assert fixed == after_path.read_text()


@pytest.mark.parametrize("name", NOT_REPORTED)
def test_the_cases_with_data_written_here_are_the_ones_the_rule_does_not_report(name: str) -> None:
    """When the rule learns to report one, its data comes from the analysis like the others'."""
    case = next(case for case in CASES if case.name == name)
    before = (GOLDEN / f"{case.name}.before.py").read_text()
    assert not [f for f in analyze(before, f"{name}.py", case.config) if f.code == case.code]


def test_every_golden_file_has_a_case() -> None:
    names = {path.name.removesuffix(".before.py") for path in GOLDEN.glob("*.before.py")}
    assert names == {case.name for case in CASES}


@pytest.mark.parametrize("after_path", sorted(GOLDEN.glob("*.after.py")), ids=lambda path: path.name)
def test_fix_all_leaves_the_fixed_code_as_it_is(after_path: Path) -> None:
    """With the real rules: the fix removed its finding and no other fix undoes or repeats it."""
    after = after_path.read_text()
    assert fix_all(after, after_path.name, Config(), unsafe=True) == after
