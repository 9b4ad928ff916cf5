"""Summaries across files: a package laid out in a temporary folder, checked as a whole."""

import json
import subprocess
import sys
import textwrap

from gradguard.analysis import analyze_module
from gradguard.dataflow.crossfile import ProjectIndex

EVALUATION = """
    import torch
    def evaluate(model, loader):
        model.eval()
        with torch.no_grad():
            return sum(model(x).sum() for x in loader)
    def predict(model, x):
        return model(x)
    def restore(model):
        model.train()
"""
TRAIN = """
    import torch
    from .evaluation import evaluate, predict, restore
    def fit(model, loader, val_loader, opt, epochs):
        model.train()
        for epoch in range(epochs):
            for x in loader:
                model(x).sum().backward()
                opt.step()
            evaluate(model, val_loader)
    def fit_restoring(model, loader, val_loader, opt, epochs):
        model.train()
        for epoch in range(epochs):
            for x in loader:
                model(x).sum().backward()
                opt.step()
            evaluate(model, val_loader)
            restore(model)
    def report(model, x):
        with torch.no_grad():
            return predict(model, x)
"""


def layout(tmp_path, **files):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    for name, text in files.items():
        (tmp_path / "pkg" / f"{name}.py").write_text(textwrap.dedent(text))


def check(tmp_path, *paths):
    run = subprocess.run(
        [sys.executable, "-m", "gradguard", "--check", *paths, "--format", "json", "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    return [(f["filename"], f["location"]["row"], f["code"]) for f in json.loads(run.stdout)]


def test_helper_in_another_file_leaves_eval_mode(tmp_path):
    layout(tmp_path, evaluation=EVALUATION, train=TRAIN)
    # GG203 where `evaluate` (another file) switches to eval mode; not where `restore` switches back;
    # no GG201 in `predict`: its only caller calls it inside no_grad
    assert check(tmp_path, ".") == [("pkg/train.py", 10, "GG203")]


def test_absolute_import_and_module_attribute(tmp_path):
    layout(
        tmp_path,
        evaluation=EVALUATION,
        train=TRAIN.replace(
            "from .evaluation import evaluate, predict, restore",
            "from pkg import evaluation\n"
            "    evaluate, predict, restore = evaluation.evaluate, evaluation.predict, evaluation.restore",
        ),
    )
    (tmp_path / "pkg" / "loop.py").write_text(
        textwrap.dedent("""
        from pkg import evaluation
        def fit(model, loader, opt):
            model.train()
            for epoch in range(3):
                for x in loader:
                    model(x).sum().backward()
                    opt.step()
                evaluation.evaluate(model, loader)
    """)
    )
    assert ("pkg/loop.py", 9, "GG203") in check(tmp_path, ".")


def test_one_file_alone_reports_nothing_it_cannot_see(tmp_path):
    layout(tmp_path, evaluation=EVALUATION, train=TRAIN)
    assert check(tmp_path, "pkg/train.py") == []


def test_cached_results_follow_a_change_in_another_file(tmp_path):
    """The second pass is cached under the project index it used: editing only `evaluation.py` so that
    `evaluate` leaves the model in training mode must remove the GG203 reported in `train.py`."""
    layout(tmp_path, evaluation=EVALUATION, train=TRAIN)

    def cached_check():
        run = subprocess.run(
            [sys.executable, "-m", "gradguard", "--check", ".", "--format", "json"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        return [(f["filename"], f["location"]["row"], f["code"]) for f in json.loads(run.stdout)]

    assert cached_check() == cached_check() == check(tmp_path, ".") == [("pkg/train.py", 10, "GG203")]
    (tmp_path / "pkg" / "evaluation.py").write_text(textwrap.dedent(EVALUATION.replace("model.eval()", "pass")))
    assert cached_check() == check(tmp_path, ".") == []


def test_a_thread_started_on_a_function_of_another_file_is_not_followed():
    """GG109 follows a thread's target to its forward passes; a function of another file is known only by
    its summary, which does not tell them: no finding (the analysis of the file raised AttributeError)."""
    index = ProjectIndex()
    worker = textwrap.dedent("""
        import torch
        def evaluate(model, x):
            model.eval()
            with torch.no_grad():
                return model(x)
    """)
    starter = textwrap.dedent("""
        import threading
        import torch
        from .work import evaluate
        def run(model, x):
            with torch.no_grad():
                threading.Thread(target=evaluate, args=(model, x)).start()
    """)
    analysed = analyze_module(worker, "pkg/work.py", project=index, module="pkg.work")
    index.add("pkg.work", analysed.exports, analysed.calls)
    assert "evaluate" in analysed.exports
    assert analyze_module(starter, "pkg/main.py", project=index, module="pkg.main").findings == []
