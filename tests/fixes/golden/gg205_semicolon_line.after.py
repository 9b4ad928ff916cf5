import torch


def score(model, path, x):
    with torch.no_grad():
        model.load_state_dict(torch.load(path)); model.eval(); out = model(x)
    return out
