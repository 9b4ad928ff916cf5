"""Forward passes whose outputs leave torch (issue 13, recall): a method with a neutral name that hands its
model's outputs to NumPy is walked (relevance), and the sinks follow the outputs through a helper of the file
that hands them back, a tensor test that converts what it tests, and indices."""

import textwrap

from gradguard import analyze

TAGGER = """
    import torch
    import torch.nn as nn
    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.1))
            self.names = ["a", "b", "c", "d"]
        def forward(self, x):
            return {"scores": self.body(x), "length": 4}
        def load(self, path):  # (the text gate looks for a grad-mode or checkpoint token in the file)
            self.load_state_dict(torch.load(path))
        def decode(self, output_dict):
            return output_dict
"""


def codes(body: str) -> list[tuple[str, int]]:
    source = textwrap.dedent(TAGGER) + textwrap.indent(textwrap.dedent(body), "    ")  # methods of Tagger
    return sorted((f.code, f.span.start_line + 1) for f in analyze(source, "tagger.py"))


def test_a_method_that_hands_its_outputs_to_numpy_is_inference_whatever_its_name():
    # named for nothing, naming no grad mode: walked because it converts to NumPy
    assert codes("""
    def on_batch(self, x):
        return self(x)["scores"].argmax(-1).cpu().numpy()
    """) == [("GG201", 17)]


def test_outputs_through_a_helper_that_hands_them_back_then_converted_when_they_are_tensors():
    # allennlp's Model.forward_on_instances before its fix: decode() returns what it is given, every tensor of
    # the output dict goes to NumPy, the rest is not a tensor; the message points at the conversion, not the test
    body = """
    def on_batch(self, x):
        outputs = self.decode(self(x))
        separated = [{} for _ in range(4)]
        for name, output in list(outputs.items()):
            if type(output) == torch.Tensor:
                output = output.data.cpu().numpy()
            outputs[name] = output
            for row, element in zip(separated, output):
                row[name] = element
        return separated
    """
    assert codes(body) == [("GG201", 17)]
    source = textwrap.dedent(TAGGER) + textwrap.indent(textwrap.dedent(body), "    ")
    [finding] = analyze(source, "tagger.py")
    assert "only feeds inference sinks, first at line 21" in finding.message  # `.data`


def test_converted_under_isinstance_then_gathered_into_a_fresh_dict():
    assert codes("""
    def on_batch(self, x):
        result = {}
        for name, output in self(x).items():
            if isinstance(output, torch.Tensor):
                output = output.detach().cpu().numpy()
            result[name] = output
        return result
    """) == [("GG201", 18)]


def test_outputs_used_only_as_indices_are_inference():
    # a ranking: the indices pick plain values, which carry no graph (`sample*` is walked, though not evidence)
    assert codes("""
    def sample_neighbours(self, x, k):
        _, order = torch.sort(self(x)["scores"], descending=True)
        return [self.names[i] for i in order[:k]]
    """) == [("GG201", 17)]


def test_outputs_that_may_still_carry_their_graph_are_no_evidence():
    # each walked (`sample*`, or `.numpy()`), each one step from a finding above
    for body in (
        # moved, not converted: the tensor keeps its graph and is returned
        """
        def sample_batch(self, x):
            result = {}
            for name, output in self(x).items():
                if isinstance(output, torch.Tensor):
                    output = output.cpu()
                result[name] = output
            return result
        """,
        # converted only under a condition: after it, the output may still be the tensor
        """
        def sample_batch(self, x, flag):
            result = {}
            for name, output in self(x).items():
                if flag:
                    if isinstance(output, torch.Tensor):
                        output = output.detach().numpy()
                result[name] = output
            return result
        """,
        # converted, then replaced by something that is not read through a sink
        """
        def sample_batch(self, x):
            result = {}
            for name, output in self(x).items():
                if isinstance(output, torch.Tensor):
                    output = output.detach().numpy()
                    output = self.body(x)
                result[name] = output
            return result
        """,
        # a helper that hands back what it is given, whose result is returned
        """
        def sample_batch(self, x):
            return self.decode(self(x))
        """,
        # a helper that keeps what it is given
        """
        def keep(self, output_dict):
            self.last = output_dict
            return output_dict
        def sample_batch(self, x):
            return self.keep(self(x))["scores"].argmax(-1).numpy()
        """,
        # only looked at for its type: nothing says inference
        """
        def sample_batch(self, x):
            return isinstance(self(x)["scores"], torch.Tensor)
        """,
        # the output is the indexed value, not the index
        """
        def sample_batch(self, x, index):
            return self(x)["scores"][index]
        """,
    ):
        assert codes(body) == [], body
