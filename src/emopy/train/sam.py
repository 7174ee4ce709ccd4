"""Sharpness-aware minimisation (SAM, Foret et al. 2021): take each step with the gradient found at the worst
point of a small ball around the weights, which favours flat minima and resists noisy labels such as FER2013's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import require
from .batchnorm import batch_norms

require("torch", "train")
import torch  # noqa: E402
from torch import nn  # noqa: E402


@contextmanager
def ascended(model: nn.Module, rho: float) -> Iterator[None]:
    """Move the weights by `rho` along their current gradient (normalised), hold batch-norm running statistics still
    (the batch was counted in the first pass), and put both back on exit; gradients taken inside are SAM's."""
    params, grads = [], []
    for p in model.parameters():
        if p.grad is not None:
            params.append(p)
            grads.append(p.grad)
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    scale = rho / (float(norm) + 1e-12)
    with torch.no_grad():
        shifts = [g * scale for g in grads]
        for p, e in zip(params, shifts, strict=True):
            p.add_(e)
    norms = batch_norms(model)
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.momentum = 0.0
    try:
        yield
    finally:
        for m, momentum in zip(norms, momenta, strict=True):
            m.momentum = momentum
        with torch.no_grad():
            for p, e in zip(params, shifts, strict=True):
                p.sub_(e)
