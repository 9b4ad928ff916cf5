import time

import torch


def benchmark(model, inputs, repeats=10):
    model.eval()
    timings = []
    with torch.no_grad():
        for _ in range(repeats):
            start = time.perf_counter()
            model(inputs[0])
            model(inputs[1])
            model(inputs[2])
            model(inputs[3])
            timings.append(time.perf_counter() - start)
    return timings
