"""The training mode a method inherited from another file leaves the model in: `predict()` run after `fit()`,
whose training loop (`self._train_model()`, a base class in another file) ends in training mode when no
validation set is given. A package laid out in a temporary folder, checked as a whole (`gradguard --check`)."""

from package_check import check, findings, layout

BASE = """
    import torch
    class BaseClassifier:
        def _train_model(self, loader, val_loader=None):
            for epoch in range(self.epochs):
                self.model.train()
                for x, y in loader:
                    self.optimizer.zero_grad()
                    torch.nn.functional.cross_entropy(self.model(x), y).backward()
                    self.optimizer.step()
                if val_loader is not None:
                    self.model.eval()
                    with torch.no_grad():
                        print(sum(self.model(x).argmax(1).eq(y).sum().item() for x, y in val_loader))
"""
CLASSIFIER = """
    import torch
    import torch.nn as nn
    from .base import BaseClassifier
    class Classifier(BaseClassifier):
        def __init__(self, epochs=10):
            self.epochs = epochs
            self.model = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.3), nn.Linear(8, 2))
            self.optimizer = torch.optim.Adam(self.model.parameters())
        def fit(self, loader, val_loader=None):
            self._train_model(loader, val_loader)
            torch.save(self.model.state_dict(), "best.pt")
        @torch.no_grad()
        def predict(self, x):
            return self.model(x).argmax(1)
"""


def test_predict_after_a_fit_whose_inherited_training_loop_may_end_in_training_mode(tmp_path):
    layout(tmp_path, base=BASE, classifier=CLASSIFIER)
    found = findings(tmp_path)
    assert [(f["filename"], f["location"]["row"], f["code"]) for f in found] == [("pkg/classifier.py", 15, "GG202")]
    # the message names the path: the method that trains it, and its call of the inherited training loop
    assert "`fit()` (line 10) trains it and leaves it in training mode on some paths (line 11)" in found[0]["message"]


def test_no_finding_when_predict_switches_to_eval(tmp_path):
    fixed = CLASSIFIER.replace("return self.model(x)", "self.model.eval()\n            return self.model(x)")
    layout(tmp_path, base=BASE, classifier=fixed)
    assert check(tmp_path) == []


def test_no_finding_when_the_inherited_training_loop_always_ends_in_eval_mode(tmp_path):
    always_eval = BASE + "            self.model.eval()\n"
    layout(tmp_path, base=always_eval, classifier=CLASSIFIER)
    assert check(tmp_path) == []


def test_no_finding_when_the_inherited_loop_hands_the_model_to_code_we_cannot_see(tmp_path):
    # after each step the model goes to a callback that may switch its mode: the mode left is unknown
    step = "self.optimizer.step()"
    handed = BASE.replace(step, f"{step}\n                    self.callback(self.model)")
    layout(tmp_path, base=handed, classifier=CLASSIFIER)
    assert check(tmp_path) == []


def test_no_finding_when_the_inherited_method_switches_the_mode_without_training(tmp_path):
    # `train()` alone is no training: a predict() after it is not "after training"
    no_training = """
        class BaseClassifier:
            def _train_model(self, loader, val_loader=None):
                self.model.train()
                if val_loader is not None:
                    self.model.eval()
    """
    layout(tmp_path, base=no_training, classifier=CLASSIFIER)
    assert check(tmp_path) == []


INHERITED_FIT = """
    import torch
    import torch.nn as nn
    from .base import BaseClassifier
    class Classifier(BaseClassifier):
        def __init__(self, epochs=10):
            self.epochs = epochs
            self.model = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.3), nn.Linear(8, 2))
            self.optimizer = torch.optim.Adam(self.model.parameters())
        @torch.no_grad()
        def predict(self, x):
            return self.model(x).argmax(1)
"""


def test_predict_after_a_public_training_method_the_class_inherits_from_another_file(tmp_path):
    public = BASE.replace("def _train_model(", "def fit(")
    layout(tmp_path, base=public, classifier=INHERITED_FIT)
    found = findings(tmp_path)
    assert [(f["filename"], f["location"]["row"], f["code"]) for f in found] == [("pkg/classifier.py", 12, "GG202")]
    assert "`fit()`, inherited from `BaseClassifier` (line 5), trains it" in found[0]["message"]


def test_no_finding_when_the_inherited_method_is_private(tmp_path):
    # `_train_model()` is not what the class's users call: only a method of the class that calls it counts
    layout(tmp_path, base=BASE, classifier=INHERITED_FIT)
    assert check(tmp_path) == []
