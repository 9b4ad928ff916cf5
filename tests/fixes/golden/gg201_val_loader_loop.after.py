import torch
from tqdm import tqdm


def run_validation(model, val_loader, metric):
    model.eval()
    with torch.no_grad():
        for step, (x, y) in enumerate(tqdm(val_loader)):
            if step % 10 == 0:
                print(step)
            pred = model(x)
            metric.update(pred, y)
    return metric.compute()
