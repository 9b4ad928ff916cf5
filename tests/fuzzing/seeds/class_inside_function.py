import torch
import torch.nn as nn


def build_and_train(x, optimizer):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 1)

        @torch.no_grad()
        def forward(self, x):
            return self.fc(x)

    model = Net()
    model.eval()
    loss = model(x).sum()
    loss.backward()
    optimizer.step()
    return model
