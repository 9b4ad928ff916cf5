import torch


def train(model, train_dl, valid_dl, optimizer, steps):
    model.train()
    for step in range(steps):
        # one step
        loss = model(next(train_dl)).sum()
        loss.backward()
        optimizer.step()
        if step % 100 == 0:
            model.eval()
            with torch.no_grad():
                print(sum(model(x).sum() for x in valid_dl))
