"""The training mode that reaches a function from other files: the mode its callers in other files
hand over, and the classes whose parts come through a star import. A package laid out in a temporary
folder, checked as a whole (`gradguard --check`)."""

import textwrap

from package_check import check, layout

PARTS = """
    import torch
    import torch.nn as nn
    class double_conv(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv = nn.Sequential(nn.Conv2d(c, c, 3), nn.BatchNorm2d(c))
        def forward(self, x):
            return self.conv(x)
"""
# no `torch` in its text: `nn` and `double_conv` come from the star import
STAR_MODEL = """
    from .parts import *
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.inc = double_conv(3)
        def forward(self, x):
            return self.inc(x)
"""
PREDICT = """
    import torch
    from .model import Net
    def predict_img(net, image):
        with torch.no_grad():
            return net(image).sigmoid() > 0.5
    if __name__ == "__main__":
        net = Net()
        net.load_state_dict(torch.load("model.pth"))
        print(predict_img(net, torch.rand(1, 3, 8, 8)))
"""


def test_a_model_class_whose_parts_come_through_a_star_import_keeps_its_mode_dependent_layers(tmp_path):
    layout(tmp_path, parts=PARTS, model=STAR_MODEL, predict=PREDICT)
    # `Net` is a module built of `double_conv` (BatchNorm); weights loaded in the caller keep training mode
    assert check(tmp_path) == [("pkg/predict.py", 6, "GG202")]


EVAL_NET = """
    import torch
    def eval_net(net, dataset):
        total = 0
        with torch.no_grad():
            for image, mask in dataset:
                total += ((net(image).sigmoid() > 0.5) == mask).float().mean().item()
        return total / len(dataset)
"""
TRAIN_NET = """
    import torch
    from .evaluation import eval_net
    from .model import Net
    def train_net(net, loader, val, epochs):
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
        for epoch in range(epochs):
            for image, mask in loader:
                loss = torch.nn.functional.binary_cross_entropy_with_logits(net(image), mask)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            print(eval_net(net, val))
    if __name__ == "__main__":
        net = Net()
        train_net(net, [], [], 5)
"""


def test_the_training_mode_every_caller_in_another_file_hands_over_reaches_the_function(tmp_path):
    # `net = Net()` (a class of a third file) is known as a model only in the second pass; then `train_net`
    # hands it to `eval_net` in training mode
    layout(tmp_path, parts=PARTS, model=STAR_MODEL, evaluation=EVAL_NET, training=TRAIN_NET)
    assert check(tmp_path) == [("pkg/evaluation.py", 7, "GG202")]


def test_no_handed_over_mode_when_a_caller_in_another_file_may_have_switched_to_eval(tmp_path):
    training = TRAIN_NET.replace(
        "print(eval_net(net, val))", "net.eval()\n            print(eval_net(net, val))\n            net.train()"
    )
    layout(tmp_path, parts=PARTS, model=STAR_MODEL, evaluation=EVAL_NET, training=training)
    assert check(tmp_path) == []
    # a second caller that passes a model of unknown mode: not every call hands it over in training mode
    (tmp_path / "pkg" / "training.py").write_text(
        textwrap.dedent(TRAIN_NET) + "def report(model):\n    return eval_net(model, [])\n"
    )
    assert check(tmp_path) == []


def test_calls_through_a_package_reexport_count_as_callers(tmp_path):
    layout(tmp_path, parts=PARTS, model=STAR_MODEL, evaluation=EVAL_NET, training=TRAIN_NET)
    (tmp_path / "pkg" / "__init__.py").write_text("from .evaluation import eval_net\n")
    (tmp_path / "report.py").write_text(
        "from pkg import eval_net\ndef report(model):\n    return eval_net(model, [])\n"
    )
    assert check(tmp_path) == []  # `report` hands over a model of unknown mode
    (tmp_path / "report.py").write_text("import pkg\nreport = pkg.eval_net\n")
    assert check(tmp_path) == []  # a use we cannot follow


HELPERS = """
    import torch
    def predict(net, images):
        return net(images).sigmoid()
"""
FIT = """
    import torch
    from .helpers import predict
    def fit(net, loader, opt):
        net.train()
        for x, y in loader:
            loss = torch.nn.functional.binary_cross_entropy(predict(net, x), y)
            loss.backward()
            opt.step()
"""


def test_no_mode_handed_over_by_a_call_whose_result_is_backpropagated(tmp_path):
    layout(tmp_path, helpers=HELPERS, fit=FIT)
    # training code hands its model over in training mode on purpose: `eval()` in `predict` would break it
    assert "GG202" not in {code for _, _, code in check(tmp_path)}
