import torch


def evaluate(model, x):
    return model(x)  # noqa: E501
