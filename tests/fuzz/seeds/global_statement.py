import torch

model = torch.nn.Linear(2, 2)
grad_enabled = True
torch.set_grad_enabled(False)


def toggle():
    global grad_enabled, model
    grad_enabled = not grad_enabled
    torch.set_grad_enabled(grad_enabled)
    model.train(grad_enabled)


def reload(path):
    global model
    model = torch.load(path)
    with torch.no_grad():
        return model(torch.ones(2))
