"""Batch augmentation on tensors with kornia (one call per batch, no per-image Python loop)."""

from __future__ import annotations

from ..errors import ConfigError, require

AUGMENTATIONS = ("crop", "flip", "rotate", "color", "erase")


def build_augment(names: tuple[str, ...] | list[str], crop: int, pad: int = 2):
    """An nn.Module mapping N x C x H x W float batches to N x C x crop x crop, randomised.

    crop: random `crop`x`crop` window of the reflect-padded image ("crop"); otherwise the centre.
    flip: horizontal flip; rotate: +-10 degrees; color: brightness/contrast +-20%;
    erase: random erasing of one rectangle (p=0.5).
    """
    torch = require("torch", "train")
    K = require("kornia.augmentation", "train")
    unknown = sorted(set(names) - set(AUGMENTATIONS))
    if unknown:
        raise ConfigError(f"unknown augmentation(s) {unknown}; choose from {', '.join(AUGMENTATIONS)}")
    ops = []
    if "rotate" in names:
        ops.append(K.RandomRotation(10.0, p=0.5))
    if "crop" in names:
        ops.append(K.RandomCrop((crop, crop), padding=pad, padding_mode="reflect"))
    else:
        ops.append(K.CenterCrop(crop))
    if "flip" in names:
        ops.append(K.RandomHorizontalFlip())
    if "color" in names:
        ops.append(K.ColorJitter(brightness=0.2, contrast=0.2, p=0.8))
    if "erase" in names:
        ops.append(K.RandomErasing(p=0.5))
    seq = K.AugmentationSequential(*ops)
    return torch.nn.Sequential(seq)
