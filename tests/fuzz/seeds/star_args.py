import torch


def evaluate(model, *batches, weights=(), **options):
    model.eval()
    outputs = [model(*batch, **options) for batch in batches]
    first, *rest = outputs
    merged = {**options, "grad": torch.is_grad_enabled()}
    torch.set_grad_enabled(*weights)
    return model(*rest, *first, **merged)


def call(fn, /, *args, **kwargs):
    with torch.no_grad(*args):
        return fn(*args, **kwargs)
