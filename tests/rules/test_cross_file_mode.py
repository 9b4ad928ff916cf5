"""The training mode that reaches a function from other files: the mode its callers in other files
hand over, and the classes whose parts come through a star import. A package laid out in a temporary
folder, checked as a whole (`gradguard --check`)."""

import json
import subprocess
import sys
import textwrap


def layout(tmp_path, **files):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    for name, text in files.items():
        (tmp_path / "pkg" / f"{name}.py").write_text(textwrap.dedent(text))


def check(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "gradguard", "--check", ".", "--format", "json", "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    return [(f["filename"], f["location"]["row"], f["code"]) for f in json.loads(run.stdout)]


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
