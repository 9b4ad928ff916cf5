import torch


def export(model, path):
    model.eval  # switch to eval mode before export
    torch.onnx.export(model, torch.randn(1, 3, 224, 224), path)
