import torch.autograd as autograd


def to_inputs(arrays, train):
    return [autograd.Variable(a, requires_grad=False) for a in arrays]
