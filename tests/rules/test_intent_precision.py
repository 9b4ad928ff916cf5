"""Intent from evidence (issue 13): smoke checks of fresh models, outputs that only feed inference sinks,
models from factories."""

import textwrap

from gradguard import analyze


def codes(source: str, path: str = "script.py") -> list[tuple[str, int]]:
    return sorted((f.code, f.span.start_line + 1) for f in analyze(textwrap.dedent(source), path))


NET = """
    import torch
    import torch.nn as nn
    import torchvision
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
        def forward(self, x):
            return self.body(x)
"""


def test_a_fresh_model_switched_to_eval_and_run_once_is_a_smoke_check():
    # A tutorial cell: built here, never loaded or trained, run once on a toy batch to show the output.
    assert (
        codes(
            NET
            + """
    seq_module = Net()
    _ = seq_module.eval()
    seq_module(torch.zeros(2, 4))
    """
        )
        == []
    )


def test_eval_still_counts_for_a_fresh_model_handed_to_a_function_first():
    found = codes(
        NET
        + """
    def fit(model):
        ...
    model = Net()
    fit(model)
    model.eval()
    print(model(torch.zeros(2, 4)).argmax(1))
    """
    )
    assert ("GG201", 17) in found


def test_eval_still_counts_for_a_factory_asked_for_trained_weights():
    found = codes(
        NET
        + """
    model = torchvision.models.resnet18(pretrained=True)
    model.eval()
    print(model(torch.zeros(1, 3, 224, 224)).argmax(1))
    """
    )
    assert ("GG201", 14) in found


LM = """
    import torch
    import torch.nn as nn
    class LanguageModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(8, 8, dropout=0.1)
            self.out = nn.Linear(8, 8)
        def forward(self, x, hidden):
            y, hidden = self.rnn(x, hidden)
            return self.out(y), y, hidden
        def load(self, path):  # (the text gate looks for a grad-mode or checkpoint token in the file)
            self.load_state_dict(torch.load(path))
"""


def test_output_that_only_feeds_sinks_is_inference():
    # The model's own sampling loop: the recurrent state goes back into the model, the prediction is read
    # through `.data` only (flair's generate_text before its fix).
    found = codes(
        LM
        + """
        def generate_text(self, n):
            characters = []
            hidden, x = None, torch.zeros(1, 1, 8)
            for _ in range(n):
                prediction, _, hidden = self.forward(x, hidden)
                weights = prediction.squeeze().data.exp().cpu()
                characters.append(str(torch.multinomial(weights, 1)[0]))
            return "".join(characters)
    """
    )
    assert found == [("GG201", 19)]


def test_rollout_actions_detached_for_the_environment_are_inference():
    found = codes("""
        import torch
        import torch.nn as nn
        class Agent:
            def __init__(self):
                self.actor = nn.Sequential(nn.Linear(4, 2), nn.Dropout(0.1))
                self.actor.train()
            def interact(self, env, steps):
                obs = env.reset()
                for _ in range(steps):
                    action = self.actor(torch.as_tensor(obs)).detach()
                    obs, reward, done, info = env.step(action.cpu().numpy())
    """)
    assert ("GG201", 11) in found


def test_outputs_that_may_keep_their_graph_are_no_evidence():
    # returned, stored on an attribute, handed to a project function, backpropagated, read by a closure,
    # or run in a method passed on as a callback: each may need the graph or run under no_grad elsewhere.
    for body in (
        "return prediction",
        "self.cache = prediction",
        "record(prediction)",
        "prediction.sum().backward()",
        "loss = torch.nn.functional.mse_loss(prediction, x); print(loss.item())\n            opt.step()",
        "f = lambda: prediction.sum()\n            print(f().item())",
        # stored into a container shared with what the function keeps or returns
        "for d in self.results:\n                d['out'] = prediction\n            print(prediction.argmax())",
        "x[0] = prediction\n            print(prediction.argmax())",
    ):
        assert (
            codes(
                LM
                + f"""
        def sample_once(self, x, opt):
            prediction, _, _ = self.forward(x, None)
            {body}
        """
            )
            == []
        ), body
    assert (
        codes(
            LM
            + """
        def _sample(self, x):
            print(self.forward(x, None)[0].argmax().item())
        def run(self, pool, x):
            pool.submit(self._sample, x)
    """
        )
        == []
    )


def test_a_library_model_method_nothing_here_calls_is_called_under_no_grad():
    # diffusers pipelines and transformers' generate() call their models' helpers under no_grad.
    assert (
        codes("""
        import torch
        from diffusers import ModelMixin
        class DurationHead(ModelMixin):
            def __init__(self):
                super().__init__()
                self.proj = torch.nn.Sequential(torch.nn.Linear(4, 1), torch.nn.Dropout(0.1))
            def forward(self, x):
                return self.proj(x)
            def frames_for(self, x, rate):
                return round(self(x).item() * rate)
    """)
        == []
    )


def test_a_smoke_check_printing_shapes_is_not_inference():
    assert (
        codes(
            NET
            + """
    if __name__ == "__main__":
        net = Net()
        print(net(torch.zeros(2, 4)).shape)
    """
        )
        == []
    )


def test_a_torchvision_factory_chosen_by_name_builds_a_model():
    found = codes("""
        import torch
        from torchvision import models
        def main(args, image):
            model = models.__dict__[args.arch](pretrained=True).to(args.device)
            with torch.no_grad():
                print(model(image).argmax(1))
    """)
    assert ("GG202", 7) in found
    found = codes("""
        import torch
        import torchvision
        def main(name, image):
            model = getattr(torchvision.models, name)(weights="DEFAULT")
            with torch.inference_mode():
                print(model(image).argmax(1).item())
    """)
    assert ("GG202", 7) in found


def test_zeroing_gradients_before_a_forward_pass_means_they_are_needed():
    # Grad-CAM on a pretrained model: the hooks need the backward pass the CAM extractor runs.
    assert "GG201" not in {
        code
        for code, _ in codes("""
        import torch
        import torchvision
        def main(image, extractor):
            model = torchvision.models.resnet18(pretrained=True).eval()
            for _ in range(3):
                model.zero_grad()
                scores = model(image)
                print(extractor(scores.argmax().item(), scores))
    """)
    }


def test_a_call_whose_result_is_used_as_a_model_builds_one():
    # `Model` annotated as a module is a class really: `Model(envs)` builds the network (cleanrl's evals).
    found = codes("""
        import torch
        def evaluate(model_path, envs, Model: torch.nn.Module, device):
            model = Model(envs).to(device)
            model.load_state_dict(torch.load(model_path))
            model.eval()
            return [model(torch.zeros(1, 4)).argmax(1).item() for _ in range(3)]
    """)
    assert [line for code, line in found if code == "GG201"] == [7]


GRADIENT_EMBEDDING = """
    import torch
    import torch.nn.functional as F
    class GradientEmbedding:
        def embed(self, loader):
            self.model.eval()
            proba = []
            for text in loader:
                best_label, sm = self.get_best_and_softmax(proba, text)
                self.create_embedding(best_label, sm)
            return proba
        def get_best_and_softmax(self, proba, text):
            output = self.model(text)
            sm = F.softmax(output, dim=1)
            with torch.no_grad():
                best_label = torch.argmax(sm, dim=1)
            proba.extend(sm.detach().cpu().numpy())
            return best_label, sm
        def create_embedding(self, best_label, sm):
            loss = self.criterion(sm, best_label)
            for k in range(len(loss)):
                {use}
"""


def test_a_result_handed_to_a_helper_that_backpropagates_through_it_needs_gradients():
    # BADGE-style gradient embeddings: the softmax returned by one method is differentiated by another
    # (`loss[k].backward()`); `no_grad` around the forward pass would break it.
    assert codes(GRADIENT_EMBEDDING.replace("{use}", "loss[k].backward(retain_graph=True)")) == []


def test_a_result_handed_to_a_helper_that_only_reads_it_needs_no_gradients():
    assert codes(GRADIENT_EMBEDDING.replace("{use}", "print(loss[k].item())")) == [("GG201", 13)]
