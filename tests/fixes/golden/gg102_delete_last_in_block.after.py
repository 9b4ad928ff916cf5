import torch


def update_ema(ema, model, decay=0.999):
    for e, p in zip(ema.parameters(), model.parameters()):
        e.mul_(decay).add_(p.detach(), alpha=1 - decay)
    # the EMA weights are never trained
    # meant as a scope
    # (copies are detached above)


def unrelated():
    pass
