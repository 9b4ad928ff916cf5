import torch

# Columns are code points, not UTF-8 bytes: the names before the findings are non-ASCII.
modèle = torch.nn.Linear(2, 2)
données = torch.ones(2)
résultat = "é" * 3; modèle.eval; torch.no_grad()
with torch.no_grad \
        :
    sortie = modèle(données)
valeur = (modèle(données)
          .sum()); torch.set_grad_enabled(
    False
)


def évaluer(modèle, données):
    modèle.eval()
    return modèle(données)  # 中文注释
