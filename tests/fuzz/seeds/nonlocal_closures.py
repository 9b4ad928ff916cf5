import torch


def make_step(model, optimizer):
    calls = 0

    def step(x):
        nonlocal calls
        calls += 1
        with torch.no_grad():
            loss = model(x).sum()
            loss.backward()
        optimizer.step()

        def report():
            nonlocal calls
            torch.no_grad()
            return calls, model(x)

        return report

    return step
