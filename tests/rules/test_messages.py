"""Messages say what is true of the code at hand (issue 14)."""
from __future__ import annotations

import textwrap

from gradguard import Config, analyze


def messages(source: str, code: str) -> list[str]:
    return [f.message for f in analyze(textwrap.dedent(source), "example.py", Config(select=(code,)))]


def test_gg201_names_the_volatile_flag_the_code_relied_on() -> None:
    found = messages("""
        from torch.autograd import Variable
        def evaluate(model, loader):
            model.eval()
            for images, labels in loader:
                images = Variable(images, volatile=True)
                print((model(images).argmax(1) == labels).float().mean())
    """, "GG201")
    assert len(found) == 1
    assert "nor does `volatile=True` at line 6, which PyTorch ignores" in found[0]


def test_gg201_says_nothing_of_volatile_without_it() -> None:
    found = messages("""
        def evaluate(model, loader):
            model.eval()
            return [model(x) for x in loader]
    """, "GG201")
    assert len(found) == 1 and "volatile" not in found[0]
