import torch


@torch.no_grad()
def evaluate(model, x): model.eval(); return model(x)
