import torch


def fit(model, loader, val_loader, optimizer, epochs):
    model.train()
    for epoch in range(epochs):
        try:
            for x in loader:
                with torch.set_grad_enabled(epoch > 0):
                    try:
                        while True:
                            with torch.no_grad():
                                if x is None:
                                    break
                                with torch.enable_grad():
                                    model(x).sum().backward()
                            optimizer.step()
                            continue
                    finally:
                        model.eval()
        finally:
            with torch.no_grad:
                for x in val_loader:
                    model(x)
