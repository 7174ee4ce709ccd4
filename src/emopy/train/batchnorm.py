"""Batch-norm layers in training: finding them (SAM holds their statistics) and re-centring them on new data."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import require

require("torch", "train")
import torch
from torch import nn

BatchNorm = nn.modules.batchnorm._BatchNorm  # the base of BatchNorm1d, 2d and 3d


def batch_norms(model: nn.Module) -> list[BatchNorm]:
    """Every batch-norm layer of `model`, whatever its dimension."""
    return [m for m in model.modules() if isinstance(m, BatchNorm)]


@torch.no_grad()
def recentre_batch_norm(model: nn.Module, batches: Iterable[torch.Tensor]) -> None:
    """Set every batch norm's running statistics to those of its inputs over `batches`, keeping eval mode exact.

    Scale and shift absorb the change, so eval-mode outputs stay the same and training mode (batch
    statistics) starts close to them: needed where the running statistics are placeholders
    (weights unfolded from an int8 export), where training mode would otherwise renormalise every layer.
    """
    # only those whose scale and shift can absorb the change
    norms = [m for m in batch_norms(model) if m.affine and m.track_running_stats]
    sums: dict[nn.Module, tuple[int, torch.Tensor, torch.Tensor]] = {}  # count, sum, sum of squares per channel

    def collect(module: nn.Module, inputs: tuple[torch.Tensor, ...], _output: torch.Tensor) -> None:
        x = inputs[0].transpose(0, 1).reshape(inputs[0].shape[1], -1).double()
        n, s, ss = x.shape[1], x.sum(1), (x * x).sum(1)
        if module in sums:
            n0, s0, ss0 = sums[module]
            n, s, ss = n0 + n, s0 + s, ss0 + ss
        sums[module] = (n, s, ss)

    hooks = [m.register_forward_hook(collect) for m in norms]
    was_training = model.training
    model.eval()
    try:
        for x in batches:
            model(x)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    for m in (m for m in norms if m in sums):  # a batch norm no batch reached keeps its statistics
        running_mean, running_var = m.running_mean, m.running_var
        assert running_mean is not None and running_var is not None  # track_running_stats registers both
        n, s, ss = sums[m]
        mean = s / n
        var = (ss / n - mean * mean).clamp_min(0)
        old_std = (running_var.double() + m.eps).sqrt()
        new_std = (var + m.eps).sqrt()
        m.bias.add_((m.weight.double() * (mean - running_mean.double()) / old_std).to(m.bias.dtype))
        m.weight.mul_((new_std / old_std).to(m.weight.dtype))
        running_mean.copy_(mean)
        running_var.copy_(var)
