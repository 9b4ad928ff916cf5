"""Golden before/after pairs: one fix applied to `golden/<name>.before.py` gives `<name>.after.py`.

Set GRADGUARD_UPDATE_GOLDEN=1 to rewrite the `.after.py` files, then review the diff.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from gradguard import Config, analyze
from gradguard.fixes import fix_all
from support import apply, finding, line_of, span_of

GOLDEN = Path(__file__).parent / "golden"


@dataclass(frozen=True)
class Case:
    name: str
    code: str
    needle: str  # where the finding is; leading whitespace picks the occurrence and is not part of the span
    title: str = ""  # the fix to apply: the first whose title starts with this
    data: dict[str, Any] = field(default_factory=dict)
    anchors: dict[str, str] = field(default_factory=dict)  # data key -> text on the line it names
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
    Case(
        "gg201_forward_and_uses",
        "GG201",
        "self.model_(\n            X_t,\n        )",
        "Wrap",
        {"function": "predict_proba"},
    ),
    Case("gg201_val_loader_loop", "GG201", "model(x)", "Wrap", {"function": "run_validation"}),
    Case("gg201_decorator", "GG201", "model(x)", "Decorate", {"function": "infer"}),
    Case("gg201_from_import", "GG201", "model(x)", "Wrap", {"function": "predict"}),
    Case("gg201_missing_torch_import", "GG201", "encoder(batch)", "Wrap", {"function": "embed"}),
    Case("gg201_nested_function", "GG201", "model(x)", "Wrap", {"function": "score"}),
    Case("gg201_one_line_def", "GG201", "model(x)", "Decorate", {"function": "evaluate"}),
    Case(
        "gg201_grouped_loop",
        "GG201",
        "model(inputs[0])",
        "Wrap",
        {"function": "benchmark"},
        anchors={"loop_line": "for _ in range(repeats)"},
    ),
    Case(
        "gg201_grouped_function",
        "GG201",
        "model(x)",
        "Wrap",
        {"function": "predict"},
        anchors={"last_line": "second = model(y)"},
    ),
    Case(
        "gg202_insert_before",
        "GG202",
        "self.model(x)",
        data={"receiver": "self.model"},
        anchors={"anchor_line": "        with torch.no_grad():"},
    ),
    Case(
        "gg202_batch_loop",
        "GG202",
        "model(x)",
        data={"receiver": "model"},
        anchors={"anchor_line": "    with torch.no_grad():"},
    ),
    Case(
        "gg205_insert_after",
        "GG205",
        "teacher(x)",
        data={"receiver": "teacher"},
        anchors={"anchor_line": "teacher.load_state_dict"},
    ),
    Case(
        "gg205_semicolon_line",
        "GG205",
        "model(x)",
        data={"receiver": "model"},
        anchors={"anchor_line": "model.load_state_dict"},
    ),
    Case(
        "gg205_one_line_suite",
        "GG205",
        "model(x)",
        data={"receiver": "model"},
        anchors={"anchor_line": "model.load_state_dict"},
    ),
    Case(
        "gg203_after_helper",
        "GG203",
        "evaluate(model, val_loader)",
        data={"receiver": "model"},
        anchors={"loop_body_line": "for x, y in train_loader"},
    ),
    Case(
        "gg203_direct_eval",
        "GG203",
        "            model.eval()",
        data={"receiver": "model"},
        anchors={"loop_body_line": "loss = model("},
    ),
    Case("gg206_add_training", "GG206", "F.dropout(x, 0.1)"),
    Case("gg206_replace_training_true", "GG206", "nn.functional.dropout(h, p=self.p, training=True)"),
    Case("gg206_multiline_call", "GG206", "F.dropout(\n            x,\n            p=self.p,\n        )"),
    Case("noqa_extend", "GG201", "model(x)", "Ignore", {"function": "evaluate"}),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_golden(case: Case) -> None:
    before = (GOLDEN / f"{case.name}.before.py").read_text()
    data = {**case.data, **{key: line_of(before, text) for key, text in case.anchors.items()}}
    fixed = apply(before, finding(case.code, before, case.needle, **data), case.title, case.config)
    after_path = GOLDEN / f"{case.name}.after.py"
    if os.environ.get("GRADGUARD_UPDATE_GOLDEN"):
        after_path.write_text(fixed)
    assert fixed == after_path.read_text()


# The cases whose finding the rule itself reports on the `before` file: their data must be what it reports.
REPORTED = (
    "gg101_with_no_grad",
    "gg110_last_argument",
    "gg110_middle_argument",
    "gg110_trailing_comma",
    "gg201_forward_and_uses",
    "gg201_val_loader_loop",
    "gg201_one_line_def",
    "gg201_grouped_loop",
    "gg201_grouped_function",
    "gg202_batch_loop",
    "gg205_insert_after",
    "gg205_semicolon_line",
    "gg206_add_training",
)


@pytest.mark.parametrize("case", [case for case in CASES if case.name in REPORTED], ids=lambda case: case.name)
def test_golden_data_is_what_the_rule_reports(case: Case) -> None:
    before = (GOLDEN / f"{case.name}.before.py").read_text()
    data = {**case.data, **{key: line_of(before, text) for key, text in case.anchors.items()}}
    reported = [
        f.data
        for f in analyze(before, f"{case.name}.py", case.config)
        if f.code == case.code and f.span == span_of(before, case.needle)
    ]
    assert len(reported) == 1
    assert {key: reported[0].get(key) for key in data} == data


def test_every_golden_file_has_a_case() -> None:
    names = {path.name.removesuffix(".before.py") for path in GOLDEN.glob("*.before.py")}
    assert names == {case.name for case in CASES}


@pytest.mark.parametrize("after_path", sorted(GOLDEN.glob("*.after.py")), ids=lambda path: path.name)
def test_fix_all_leaves_the_fixed_code_as_it_is(after_path: Path) -> None:
    """With the real rules: the fix removed its finding and no other fix undoes or repeats it."""
    after = after_path.read_text()
    assert fix_all(after, after_path.name, Config(), unsafe=True) == after
