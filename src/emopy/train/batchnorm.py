"""Batch-norm layers in training: finding them (SAM holds their statistics) and re-centring them on new data."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import require

torch = require("torch", "train")
nn = torch.nn


def batch_norms(model: nn.Module) -> list[nn.Module]:
    """Every batch-norm layer of `model`, whatever its dimension."""
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


@torch.no_grad()
def recentre_batch_norm(model: nn.Module, batches: Iterable[torch.Tensor]) -> None:
    """Set every batch norm's running statistics to those of its inputs over `batches`, keeping eval mode exact.

    Scale and shift absorb the change, so eval-mode outputs stay the same and training mode (batch
    statistics) starts close to them: needed where the running statistics are placeholders
    (weights unfolded from an int8 export), where training mode would otherwise renormalise every layer.
    """
    # only those whose scale and shift can absorb the change
    norms = [m for m in batch_norms(model) if m.affine and m.track_running_stats]
    sums: dict[nn.Module, list[torch.Tensor]] = {}

    def collect(module: nn.Module, inputs: tuple[torch.Tensor, ...], _output: torch.Tensor) -> None:
        x = inputs[0].transpose(0, 1).reshape(inputs[0].shape[1], -1).double()
        n, s, ss = sums.get(module, [0, 0.0, 0.0])
        sums[module] = [n + x.shape[1], s + x.sum(1), ss + (x * x).sum(1)]

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
        n, s, ss = sums[m]
        mean = s / n
        var = (ss / n - mean * mean).clamp_min(0)
        old_std = (m.running_var.double() + m.eps).sqrt()
        new_std = (var + m.eps).sqrt()
        m.bias.add_((m.weight.double() * (mean - m.running_mean.double()) / old_std).to(m.bias.dtype))
        m.weight.mul_((new_std / old_std).to(m.weight.dtype))
        m.running_mean.copy_(mean)
        m.running_var.copy_(var)
