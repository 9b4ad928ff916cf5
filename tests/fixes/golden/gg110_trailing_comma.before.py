import torch


def sample(decoder, z):
    x = torch.autograd.Variable(
        z,
        volatile=True,
    )
    return decoder(x)
