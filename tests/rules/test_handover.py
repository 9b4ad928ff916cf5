"""Training modes handed to a function through its parameters' attributes (`validate(context)` runs
`context.model` in the mode `train(context)` left it in)."""

import textwrap

from gradguard import analyze

TRAIN_THEN_VALIDATE = """
    import torch
    def predict(model, loader):
        with torch.no_grad():
            return [model.generate(x).tolist() for x in loader]
    def validate(context):
        return predict(context.model, context.val_loader)
    def train(context, optimizer):
        model = context.model
        model.train()
        for x in context.train_loader:
            model(x).sum().backward()
            optimizer.step()
        {after_training}
        return validate(context)
"""


def codes(source: str) -> list[tuple[str, int]]:
    return [(f.code, f.span.start_line + 1) for f in analyze(textwrap.dedent(source), "train.py")]


def test_the_mode_of_a_parameters_attribute_comes_from_the_call_sites():
    assert codes(TRAIN_THEN_VALIDATE.format(after_training="")) == [("GG202", 5)]


def test_no_handed_mode_when_the_caller_switched_the_attribute_to_eval():
    assert codes(TRAIN_THEN_VALIDATE.format(after_training="context.model.eval()")) == []


def test_no_handed_mode_when_another_caller_holds_the_attribute_as_something_unknown():
    also_called = TRAIN_THEN_VALIDATE + "    def report(ctx):\n        print(validate(ctx))\n"
    assert codes(also_called.format(after_training="")) == []
