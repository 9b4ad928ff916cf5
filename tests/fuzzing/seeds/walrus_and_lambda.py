import torch as T

score = lambda model, x: model(x).mean()


def evaluate(model, batches):
    model.eval()
    with T.no_grad():
        if (y := model(batches[0])) is not None:
            total = sum(score(model, b) for b in batches)
    predict = lambda b: model(b)
    loss = predict(batches[0]).sum()
    loss.backward()
    return y, total
