import torch


def validate(model, val_loader):
    model.eval()
    total = 0
    # no gradients needed here
    with torch.no_grad():  # the bug: no call
        for x, y in val_loader:
            total += (model(x).argmax(1) == y).sum().item()
    return total
