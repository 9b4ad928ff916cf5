"""What loading does to `Module.training` (run with torch 2.13.0, CPU): `python item25_load_modes.py`."""

import io

import torch
from torch import nn


def net() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.BatchNorm1d(4))


def modes(module: nn.Module) -> str:
    return f"training={module.training}, submodules={[m.training for m in module.children()]}"


def saved_and_loaded(module: nn.Module, save, load) -> nn.Module:
    buffer = io.BytesIO()
    save(module, buffer)
    buffer.seek(0)
    return load(buffer)


print("torch", torch.__version__)
# load_state_dict keeps the receiving module's mode, whatever the source's mode.
for target_mode in ("train", "eval"):
    for source_mode in ("train", "eval"):
        source, target = net(), net()
        getattr(source, source_mode)()
        getattr(target, target_mode)()
        target.load_state_dict(source.state_dict())
        print(f"load_state_dict: target {target_mode}, source {source_mode} -> {modes(target)}")
# A whole pickled module, and a TorchScript module, come back in the mode they were saved in.
for saved_mode in ("train", "eval"):
    module = net()
    getattr(module, saved_mode)()
    pickled = saved_and_loaded(module, torch.save, lambda f: torch.load(f, weights_only=False))
    print(f"torch.save/torch.load whole module saved in {saved_mode} -> {modes(pickled)}")
    scripted = saved_and_loaded(torch.jit.script(module), torch.jit.save, torch.jit.load)
    print(f"torch.jit.save/torch.jit.load module saved in {saved_mode} -> training={scripted.training}")
print("a state dict holds the mode:", any("training" in key for key in net().state_dict()))
print("a freshly built module:", modes(net()))
