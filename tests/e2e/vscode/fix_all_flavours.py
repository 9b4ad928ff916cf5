"""Two findings: GG101 (a safe fix) and GG202 (an unsafe fix)."""

import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(self.drop(x))


@torch.no_grad()
def evaluate(model, loader):
    """Mean output over the loader."""
    outputs = [model(x) for x in loader]
    return torch.cat(outputs).mean()


def predict(model, x):
    model.eval()
    with torch.no_grad:
        return model(x)


def train(model: Net, loader, val_loader, optimizer):
    for epoch in range(3):
        model.train()
        for x in loader:
            optimizer.zero_grad()
            model(x).sum().backward()
            optimizer.step()
        print(epoch, evaluate(model, val_loader))
