"""A helper of another file that runs the model it is given and returns the output (`return model(x).F`):
the call is that forward pass, judged in the caller's file (rules/handback.py)."""

import json
import subprocess
import sys
import textwrap

from gradguard.checking import FileResult, result_from_json, result_to_json
from gradguard.dataflow.crossfile import Export

HELPERS = """
    import torch
    def extract_features(model, xyz, is_eval=True):
        if is_eval:
            model.eval()
        return model(torch.as_tensor(xyz)).F
    def features_without_grad(model, xyz):
        with torch.no_grad():
            return model(torch.as_tensor(xyz))
    def embed(model, x):
        model.eval()
        return model(x)
"""
CALLERS = """
    import numpy as np
    import torch
    from .helpers import embed, extract_features, features_without_grad
    def extract_batch(model, clouds):
        model.eval()
        for cloud in clouds:
            feature = extract_features(model, cloud)
            np.save("f.npy", feature.detach().cpu().numpy())
    def extract_batch_no_grad(model, clouds):
        model.eval()
        with torch.no_grad():
            return [extract_features(model, cloud) for cloud in clouds]
    def fit(model, clouds, targets, opt):
        model.train()
        for cloud, target in zip(clouds, targets):
            loss = torch.nn.functional.mse_loss(extract_features(model, cloud, is_eval=False), target)
            loss.backward()
            opt.step()
    def extract_helper_no_grad(model, clouds):
        model.eval()
        return [features_without_grad(model, cloud).numpy() for cloud in clouds]
    def embed_all(model, xs):
        model.eval()
        return [embed(model, x).detach().numpy() for x in xs]
"""


def findings(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "helpers.py").write_text(textwrap.dedent(HELPERS))
    (tmp_path / "pkg" / "callers.py").write_text(textwrap.dedent(CALLERS))
    run = subprocess.run(
        [sys.executable, "-m", "gradguard", "check", ".", "--format", "json", "--no-cache", "--select", "GG201"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    return [(f["filename"].replace("\\", "/"), f["location"]["row"], f["message"]) for f in json.loads(run.stdout)]


def test_the_call_of_a_helper_that_hands_back_a_forward_pass_is_judged_where_it_is_made(tmp_path) -> None:
    found = findings(tmp_path)
    assert [(path, row) for path, row, _ in found] == [("pkg/callers.py", 8), ("pkg/helpers.py", 12)]
    message = found[0][2]
    assert message.startswith("`extract_features()` runs `model` with gradients on in evaluation code")
    assert "after `model.eval()` at line 6" in message


def test_the_results_cache_keeps_what_a_function_hands_back() -> None:
    result = FileResult(path="", exports=(("extract_features", Export(("model", "xyz"), None, (), False, ("model",))),))
    assert result_from_json(json.loads(json.dumps(result_to_json(result)))).exports == result.exports
