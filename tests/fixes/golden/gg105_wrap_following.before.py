import torch


def validate(model, loader, criterion):
    torch.set_grad_enabled(False)
    model.eval()
    loss_sum = 0.0
    for tokens, labels in loader:
        logits = model(tokens)
        loss_sum += criterion(
            logits,
            labels,
        ).item()
    return loss_sum

    def unused_helper():
        pass
