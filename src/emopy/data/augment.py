"""Batch augmentation on tensors (one call per batch, no per-image Python loop).

Crop, flip and erasing are plain tensor indexing (kornia's per-sample versions cost a large share
of a training step); the geometric and photometric transforms are kornia's.
"""

from __future__ import annotations

from ..errors import ConfigError, require

AUGMENTATIONS = ("crop", "flip", "rotate", "color", "erase", "domain")


def _crop_flip(torch, crop: int, pad: int, random_crop: bool, flip: bool):
    """An nn.Module: per-sample random `crop` window of the reflect-padded batch (or the centre), random h-flip."""

    class CropFlip(torch.nn.Module):
        def forward(self, x):
            n, _, h, w = x.shape
            if random_crop:
                x = torch.nn.functional.pad(x, (pad, pad, pad, pad), mode="reflect")
                oy = torch.randint(0, h + 2 * pad - crop + 1, (n, 1, 1))
                ox = torch.randint(0, w + 2 * pad - crop + 1, (n, 1, 1))
            else:
                oy = torch.full((n, 1, 1), (h - crop) // 2)
                ox = torch.full((n, 1, 1), (w - crop) // 2)
            ar = torch.arange(crop)
            rows, cols = oy + ar.view(1, -1, 1), ox + ar.view(1, 1, -1)
            x = x[torch.arange(n).view(-1, 1, 1), :, rows, cols].permute(0, 3, 1, 2)  # N x crop x crop x C -> NCHW
            if flip:
                x = torch.where(torch.rand(n, 1, 1, 1) < 0.5, x.flip(-1), x)
            return x

    return CropFlip()


def _erase(torch, p: float = 0.5, area=(0.02, 0.33), ratio=(0.3, 3.3)):
    """An nn.Module: random erasing (Zhong et al.) of one rectangle per image with probability p, filled with noise."""

    class Erase(torch.nn.Module):
        def forward(self, x):
            n, _, h, w = x.shape
            a = torch.empty(n).uniform_(*area) * h * w
            r = torch.exp(
                torch.empty(n).uniform_(float(torch.tensor(ratio[0]).log()), float(torch.tensor(ratio[1]).log()))
            )
            eh = (a * r).sqrt().round().clamp(1, h).long()
            ew = (a / r).sqrt().round().clamp(1, w).long()
            y0 = (torch.rand(n) * (h - eh + 1)).long()
            x0 = (torch.rand(n) * (w - ew + 1)).long()
            ys, xs = torch.arange(h).view(1, -1, 1), torch.arange(w).view(1, 1, -1)
            box = (
                (ys >= y0.view(-1, 1, 1))
                & (ys < (y0 + eh).view(-1, 1, 1))
                & (xs >= x0.view(-1, 1, 1))
                & (xs < (x0 + ew).view(-1, 1, 1))
            )
            box &= (torch.rand(n) < p).view(-1, 1, 1)
            return torch.where(box.unsqueeze(1), torch.rand_like(x), x)

    return Erase()


def build_augment(names: tuple[str, ...] | list[str], crop: int, pad: int = 2):
    """An nn.Module mapping N x C x H x W float batches (0..1) to N x C x crop x crop, randomised.

    crop: random `crop`x`crop` window of the reflect-padded image; otherwise the centre.
    flip: horizontal flip; rotate: +-10 degrees; color: brightness/contrast +-20%;
    erase: random erasing of one rectangle with noise (p=0.5);
    domain: what FER2013's webcam-like faces lack (studio photos): scale +-10% and shift,
    strong gamma and contrast changes, sharpening and slight blur.
    """
    torch = require("torch", "train")
    unknown = sorted(set(names) - set(AUGMENTATIONS))
    if unknown:
        raise ConfigError(f"unknown augmentation(s) {unknown}; choose from {', '.join(AUGMENTATIONS)}")
    before, after = [], []
    if {"rotate", "color", "domain"} & set(names):
        K = require("kornia.augmentation", "train")
        if "rotate" in names:
            before.append(K.RandomRotation(10.0, p=0.5))
        if "domain" in names:
            before.append(
                K.RandomAffine(degrees=0.0, translate=(0.05, 0.05), scale=(0.9, 1.1), padding_mode="reflection", p=0.5)
            )
            after += [
                K.RandomGamma((0.6, 1.7), p=0.5),
                K.ColorJitter(contrast=0.5, p=0.5),
                K.RandomSharpness(1.0, p=0.3),
                K.RandomGaussianBlur((3, 3), (0.1, 1.0), p=0.2),
            ]
        if "color" in names:
            after.append(K.ColorJitter(brightness=0.2, contrast=0.2, p=0.8))
    mods = ([K.AugmentationSequential(*before)] if before else []) + [
        _crop_flip(torch, crop, pad, "crop" in names, "flip" in names)
    ]
    if after:
        mods.append(K.AugmentationSequential(*after))
    if "erase" in names:
        mods.append(_erase(torch))
    return torch.nn.Sequential(*mods)
