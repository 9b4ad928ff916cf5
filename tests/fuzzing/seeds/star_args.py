import torch
import torch.nn.functional as F


def forward_all(model, *inputs, training=True, **options):
    args = (*inputs, *options.values())
    with torch.set_grad_enabled(*[training]):
        outs = model(*args, **options)
    y = F.dropout(*inputs, 0.1, **options)
    first, *rest = outs
    torch.set_grad_enabled(**{"mode": False})
    return first.sum().backward(*rest)
