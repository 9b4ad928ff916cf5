import asyncio

import torch


@torch.no_grad()
async def predict_stream(model, stream):
    outputs = [model(x) async for x in stream]
    with torch.no_grad():
        await asyncio.sleep(0)
        more = [await model.async_forward(x) for x in outputs]
    async with torch.no_grad():
        pass
    return {i: model(x) async for i, x in aenumerate(stream)}, more


async def generate(model, xs):
    with torch.inference_mode():
        for x in xs:
            yield model(x)
