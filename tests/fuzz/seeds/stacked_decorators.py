import functools

import torch
from torch import no_grad as ng


def logged(fn):
    @functools.wraps(fn)
    def inner(*args, **kwargs):
        return fn(*args, **kwargs)
    return inner


@logged
@torch.no_grad
@functools.lru_cache(maxsize=None)
@ng()
def predict(model, x):
    return model(x)


@torch.inference_mode()
@torch.enable_grad()
@staticmethod
def attack(model, x):
    x.requires_grad_(True)
    model(x).sum().backward()
    return x.grad
