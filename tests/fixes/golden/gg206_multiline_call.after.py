import torch.nn.functional as F
import torch.nn as nn


class Head(nn.Module):
    def forward(self, x):
        return F.dropout(
            x,
            p=self.p,
            training=self.training,
        )
