import torch

score = lambda model, x: model(x).argmax(-1)
wrapped = lambda model, x, ctx=torch.no_grad: ctx and model(x)


def validate(model, loader):
    model.eval()
    if (batch := next(iter(loader), None)) is not None and (out := model(batch)) is not None:
        return [score(model, b) for b in loader if (logits := model(b)).max() > 0], out
    return sorted(loader, key=lambda b: model(b).sum())
