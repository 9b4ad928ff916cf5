import torch
model.eval; torch.no_grad(); y = model(x)
with torch.no_grad: y = model(x)
if flag: torch.set_grad_enabled(False); model.train
for x in loader: model(x).sum().backward(); torch.no_grad()
while step < 3: step += 1; continue
def evaluate(model, x): model.eval(); return model(x)
with torch.no_grad(): model.load_state_dict(torch.load(path)); out = model(x)
with torch.no_grad():
    model.load_state_dict(torch.load(path)); out = model(x)
