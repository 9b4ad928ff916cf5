import torch


def predict(model, x, y):
    model.eval()
    with torch.no_grad():
        first = model(x).softmax(-1)
        print(first.argmax(-1))
        second = model(y).softmax(-1)
        print(second.argmax(-1))
