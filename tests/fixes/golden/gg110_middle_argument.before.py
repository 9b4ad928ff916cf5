import torch.autograd as autograd


def to_inputs(arrays, train):
    return [autograd.Variable(a, volatile=not train, requires_grad=False) for a in arrays]
