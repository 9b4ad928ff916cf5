import torch


def run(model, x, mode):
    match mode:
        case "eval":
            model.eval()
            with torch.no_grad:
                y = model(x)
        case "train" | "finetune":
            model.train()
            loss = model(x).sum()
            loss.backward()
        case {"grad": False}:
            torch.set_grad_enabled(False)
        case _:
            pass
    return model(x)
