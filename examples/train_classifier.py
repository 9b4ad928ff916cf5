"""A small image-classifier training script with the autograd-scope mistakes GradGuard finds.

Run `gradguard --check examples/` to see them; `gradguard --check --diff examples/` shows the fixes.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class SmallNet(nn.Module):
    def __init__(self, classes: int = 10):
        super().__init__()
        self.conv = nn.Conv2d(1, 16, 3, padding=1)
        self.bn = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16 * 14 * 14, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
        x = F.dropout(x.flatten(1), 0.25)  # ignores model.eval(): dropout stays on when evaluating
        return self.fc(x)


def evaluate(model: nn.Module, loader: DataLoader) -> float:
    model.eval()
    correct = total = 0
    with torch.no_grad:  # missing parentheses: raises when the block is entered
        for images, labels in loader:
            correct += (model(images).argmax(1) == labels).sum().item()
            total += labels.numel()
    return correct / total


def fit(model: nn.Module, train_loader: DataLoader, val_loader: DataLoader, epochs: int = 3) -> None:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.train()
    for epoch in range(epochs):
        for images, labels in train_loader:
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        accuracy = evaluate(model, val_loader)  # leaves the model in eval mode for the next epoch
        print(f"epoch {epoch}: val accuracy {accuracy:.3f}")


def predict(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    model.eval()
    return model(images).softmax(dim=1)  # builds an autograd graph nobody uses


if __name__ == "__main__":
    data = TensorDataset(torch.randn(512, 1, 28, 28), torch.randint(0, 10, (512,)))
    train_loader = DataLoader(data, batch_size=64, shuffle=True)
    val_loader = DataLoader(data, batch_size=128)
    net = SmallNet()
    fit(net, train_loader, val_loader)
    print(predict(net, torch.randn(4, 1, 28, 28)).argmax(1))
