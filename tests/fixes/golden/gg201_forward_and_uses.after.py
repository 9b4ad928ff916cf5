"""Predict helper."""
import numpy as np
import torch


class Classifier:
    def predict_proba(self, X):
        self.model_.eval()
        X_t = torch.as_tensor(X, dtype=torch.float32)
        # forward pass
        with torch.no_grad():
            logits = self.model_(
                X_t,
            )

            probs = logits.softmax(dim=1)
            print("done")
            return probs.numpy()
