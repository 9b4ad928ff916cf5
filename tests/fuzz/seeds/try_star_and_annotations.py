from __future__ import annotations

import torch
from torch import nn


def evaluate(model: nn.Module, loader: list[torch.Tensor]) -> list[torch.Tensor]:
    model.eval()
    out: list[torch.Tensor] = []
    try:
        with torch.no_grad():
            out += [model(x) for x in loader]
    except* ValueError as group:
        model.train
        raise
    except* (KeyError, TypeError):
        torch.no_grad()
    else:
        return out
    finally:
        model.train()
    return [model(x) for x in loader]
