import threading

import torch


def worker(model, x):
    y = model(x)
    y.sum().backward()


@torch.no_grad()
def batches(model, loader):
    for x in loader:
        yield model(x)
        if x is None:
            return


def main(model, loader, x):
    torch.set_grad_enabled(False)
    t = threading.Thread(target=worker, args=(model, x))
    t.start()
    for y in batches(model, loader):
        try:
            y.sum().backward()
        except RuntimeError:
            continue
        finally:
            torch.set_grad_enabled(True)
