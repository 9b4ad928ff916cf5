import torch


def sample(decoder, z):
    x = torch.autograd.Variable(
        z,
    )
    return decoder(x)
