"""VGG-style nets for 48x48 faces: the accuracy flagship family.

Stages of two 3x3 conv + batch norm + ReLU, then max-pool; global average pooling, dropout,
linear. Fully convolutional, so it accepts any input size >= 16 (trained on 44x44 crops).
"""

from __future__ import annotations

from torch import nn

from ._pooled import PooledNet
from ._registry import register_model


def _stage(cin: int, cout: int, convs: int) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for i in range(convs):
        layers += [
            nn.Conv2d(cin if i == 0 else cout, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        ]
    return layers + [nn.MaxPool2d(2)]


class VGGFace(PooledNet):
    """Conv stages, global average pool, dropout, linear classifier."""

    def __init__(
        self, num_classes: int, widths=(32, 64, 128, 256), convs: int = 2, dropout: float = 0.3, in_chans: int = 1
    ):
        layers, cin = [], in_chans
        for w in widths:
            layers += _stage(cin, w, convs)
            cin = w
        super().__init__(nn.Sequential(*layers), cin, num_classes, dropout)


@register_model("vgg_small")
def vgg_small(num_classes: int, **kwargs) -> VGGFace:
    return VGGFace(num_classes, widths=(32, 64, 128, 256), **kwargs)


@register_model("vgg_wide")
def vgg_wide(num_classes: int, **kwargs) -> VGGFace:
    return VGGFace(num_classes, widths=(64, 128, 256, 512), **kwargs)
