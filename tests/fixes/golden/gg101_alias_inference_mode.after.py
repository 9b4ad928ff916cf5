import torch as T


class Handler:
    def handle(self, batch):
        with T.inference_mode(), open("log.txt", "a") as log:
            out = self.model(batch)
            log.write(str(out.shape))
        return out
