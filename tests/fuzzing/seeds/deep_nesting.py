import torch


def train(model, loader, optimizer):
    for epoch in range(3):
        with torch.no_grad():
            try:
                while True:
                    for x in loader:
                        with torch.enable_grad():
                            try:
                                loss = model(x).sum()
                                loss.backward()
                            finally:
                                optimizer.step()
                        if epoch:
                            break
                        continue
            finally:
                model.eval
    model.train()
