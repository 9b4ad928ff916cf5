import torch
torch.set_grad_enabled(flag)
for batch in val_loader:
    model.train()
    out = model(batch)
