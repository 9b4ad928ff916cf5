import torch


def run(command, model, x):
    match command:
        case {"mode": "eval", **rest}:
            model.eval
            with torch.no_grad:
                return model(x)
        case ["train", *args] if args:
            model.train()
            torch.no_grad()
            model(x).sum().backward()
        case str() as name:
            torch.set_grad_enabled(name == "grad")
        case _:
            pass
