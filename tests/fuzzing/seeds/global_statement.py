import torch

model = None
GRAD = True


def configure(new_model):
    global model, GRAD
    model = new_model
    GRAD = False
    torch.set_grad_enabled(GRAD)


def step(x, optimizer):
    global model
    model.train()
    loss = model(x).sum()
    loss.backward()
    optimizer.step()


def outer():
    counter = 0

    def inner():
        nonlocal counter
        counter += 1
        with torch.no_grad:
            return model(counter)
    return inner
