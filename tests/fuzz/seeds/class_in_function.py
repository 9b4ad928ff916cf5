import torch
import torch.nn as nn
import torch.nn.functional as F


def build(depth):
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return F.dropout(self.fc(x), 0.1)

    def evaluate(x):
        net = Block()
        net.eval
        return net(x)

    return Block, evaluate
