import torch
import torch.nn.functional as F


def evaluate(model, loader, device):
    model.eval()
    with torch.no_grad():
        probs = [F.softmax(model(x.to(device)), -1) for x in loader]
        table = {i: model(x) for i, x in enumerate(loader)}
        flat = {y for x in loader for y in model(x) if y is not None}
    gen = (model(x) for x in loader)
    nested = [[model(x) for x in batch] for batch in loader]
    return probs, table, flat, gen, nested
