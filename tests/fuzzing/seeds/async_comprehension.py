import torch


async def stream(model, source):
    model.eval()
    with torch.inference_mode():
        outs = [model(x) async for x in source]
        sums = {model(x).sum() async for x in source if x is not None}
    async with source as batches:
        async for b in batches:
            loss = model(b).sum()
            loss.backward()
    return outs, sums
