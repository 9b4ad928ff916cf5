import torch


def score(model, path, x):
    with torch.no_grad():
        model.load_state_dict(torch.load(path)); out = model(x)
    return out
