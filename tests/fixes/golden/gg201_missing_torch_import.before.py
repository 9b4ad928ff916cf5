#!/usr/bin/env python
"""Embeds sentences."""
from __future__ import annotations

import torch.nn as nn


def embed(encoder: nn.Module, batch):
    encoder.eval()
    vectors = encoder(batch)
    return vectors
