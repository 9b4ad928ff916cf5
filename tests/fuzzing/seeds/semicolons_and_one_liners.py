import torch
with torch.no_grad: y = model(x); loss = y.sum()
if flag: model.eval; torch.no_grad()
while True: loss.backward(); break
def f(m, x): return m(x)
for b in batches: model.train(); model(b).sum().backward()
