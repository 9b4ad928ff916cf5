"""A class that derives from nothing that can be an `nn.Module` is no module, whatever its methods are
called: a training wrapper's `forward(split)` runs its network, it is no forward pass of its own."""

import json
import subprocess
import sys
import textwrap

from gradguard import analyze

BASE = """
    import torch
    class BaseModel():
        def __init__(self):
            self.net = None
"""
WRAPPER = """
    import torch
    from .base_model import BaseModel
    class Segmentation(BaseModel):
        def forward(self, split):
            if split == "test":
                with torch.no_grad():
                    self.prediction = self.net(self.input)
            else:
                self.prediction = self.net(self.input)
        def optimize(self):
            self.net.train()
            self.forward(split="train")
            self.prediction.sum().backward()
        def validate(self):
            self.net.eval()
            self.forward(split="test")
"""


def check(tmp_path) -> list[tuple[str, int, str]]:
    run = subprocess.run(
        [sys.executable, "-m", "gradguard", "--check", ".", "--format", "json", "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    return [(f["filename"], f["location"]["row"], f["code"]) for f in json.loads(run.stdout)]


def test_a_wrapper_deriving_from_a_plain_class_of_another_file_is_no_module(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "base_model.py").write_text(textwrap.dedent(BASE))
    (tmp_path / "pkg" / "segmentation.py").write_text(textwrap.dedent(WRAPPER))
    assert check(tmp_path) == []
    # a base of another file that derives from a class we cannot see may be a module: `self.forward()` then runs it
    (tmp_path / "pkg" / "base_model.py").write_text(textwrap.dedent(BASE.replace("BaseModel()", "BaseModel(Base)")))
    assert check(tmp_path) == [("pkg/segmentation.py", 17, "GG201")]


def test_a_class_without_bases_is_no_module():
    source = "import torch\n" + textwrap.dedent(WRAPPER).replace("from .base_model import BaseModel\n", "").replace(
        "(BaseModel)", ""
    )
    assert [f.code for f in analyze(source, "wrapper.py")] == []
    assert [f.code for f in analyze(source.replace("class Segmentation:", "class Segmentation(Base):"), "w.py")] == [
        "GG201"
    ]
