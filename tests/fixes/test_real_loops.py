"""`--fix --unsafe-fixes` on loop shapes from real training scripts (pytorch/examples, course notebooks)."""

from __future__ import annotations

import textwrap

from gradguard import Config
from gradguard.fixes import fix_all

IMAGENET_LOOP = textwrap.dedent("""\
    import torch


    def train(train_loader, model, criterion, optimizer):
        model.train()
        for images, target in train_loader:
            loss = criterion(model(images), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


    def validate(val_loader, model, criterion):
        model.eval()
        with torch.no_grad():
            return [criterion(model(images), target) for images, target in val_loader]


    if __name__ == "__main__":
        net = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Dropout(0.5))
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
        criterion = torch.nn.CrossEntropyLoss()
        for epoch in range(90):
            train(train_loader, net, criterion, optimizer)
            validate(val_loader, net, criterion)
            torch.save({"epoch": epoch, "state_dict": net.state_dict(), "optimizer": optimizer.state_dict()}, "ckpt.pt")
""")


def test_imagenet_loop_is_left_alone() -> None:
    assert fix_all(IMAGENET_LOOP, "main.py", Config(), unsafe=True) == IMAGENET_LOOP


def test_eval_goes_before_the_batch_loop_of_an_evaluation_function() -> None:
    source = textwrap.dedent("""\
        import torch


        def evaluate(model, loader):
            total = 0
            for x, y in loader:
                total += (model(x).argmax(1) == y).sum().item()
            return total


        model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Dropout(0.5))
        model.train()
        print(evaluate(model, test_batches))
    """)
    fixed = fix_all(source, "eval.py", Config(), unsafe=True)
    assert fixed.startswith(
        textwrap.dedent("""\
        import torch


        def evaluate(model, loader):
            total = 0
            model.eval()
            for x, y in loader:
                with torch.no_grad():
                    total += (model(x).argmax(1) == y).sum().item()
            return total
    """)
    )
