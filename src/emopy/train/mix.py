"""Mixup and CutMix: train on blends of two faces, with targets blended in the same shares.

Mixup (Zhang et al. 2018) averages whole images; CutMix (Yun et al. 2019) pastes a box of the partner.
As timm's `Mixup` in batch mode: one share per batch drawn from Beta(alpha, alpha), partners are the batch
reversed, and with both on each batch picks one of the two at even odds. (timm itself needs torchvision,
which does not import beside the CPU torch build EmoPy pins.)
"""

from __future__ import annotations

from ..errors import require

require("torch", "train")
import torch  # noqa: E402


def mix_batch(x: torch.Tensor, mixup: float, cutmix: float) -> tuple[torch.Tensor, torch.Tensor, float]:
    """(blended batch, partner index of each image, share `lam` of each image's own target).

    `x` is N x C x H x W; with both alphas 0 the batch comes back unchanged with lam 1.
    """
    if mixup <= 0 and cutmix <= 0:
        return x, torch.arange(len(x)), 1.0
    use_cut = cutmix > 0 and (mixup <= 0 or bool(torch.rand(()) < 0.5))
    alpha = cutmix if use_cut else mixup
    lam = float(torch.distributions.Beta(alpha, alpha).sample())
    partner = torch.arange(len(x) - 1, -1, -1)
    if not use_cut:
        return lam * x + (1 - lam) * x[partner], partner, lam
    h, w = x.shape[-2:]
    ch, cw = int(h * (1 - lam) ** 0.5), int(w * (1 - lam) ** 0.5)
    cy, cx = int(torch.randint(0, h, ())), int(torch.randint(0, w, ()))
    y0, y1 = max(cy - ch // 2, 0), min(cy + ch // 2, h)
    x0, x1 = max(cx - cw // 2, 0), min(cx + cw // 2, w)
    out = x.clone()
    out[..., y0:y1, x0:x1] = x[partner][..., y0:y1, x0:x1]
    return out, partner, 1 - (y1 - y0) * (x1 - x0) / (h * w)  # the share the box really left
