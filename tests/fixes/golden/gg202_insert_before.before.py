import torch


class Trainer:
    def fit(self, train_loader, test_loader):
        for x, y in train_loader:
            self.step(x, y)

        # final test pass
        correct = 0
        with torch.no_grad():
            for x, y in test_loader:
                correct += (self.model(x).argmax(1) == y).sum().item()
        return correct

    def step(self, x, y):
        self.model.train()
        self.model(x).sum().backward()
