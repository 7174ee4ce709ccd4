"""ResNet-style nets for 48x48 faces: a second family for ensembles that err differently from VGG.

A 3x3 stem at full resolution, then four stages of basic residual blocks (the first of each stage from the
second on halves the resolution); global average pooling, dropout, linear. Fully convolutional.
"""

from __future__ import annotations

from torch import nn

from ._pooled import PooledNet
from ._registry import register_model


def _conv_bn(cin: int, cout: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout)]


class BasicBlock(nn.Module):
    """Two 3x3 conv + batch norm with an identity (or 1x1 projection) shortcut."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(*_conv_bn(cin, cout, stride), nn.ReLU(inplace=True), *_conv_bn(cout, cout))
        self.shortcut = (
            nn.Identity()
            if stride == 1 and cin == cout
            else nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))
        )
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.body(x) + self.shortcut(x))


class ResNetFace(PooledNet):
    """Stem, residual stages, global average pool, dropout, linear classifier."""

    def __init__(
        self,
        num_classes: int,
        widths=(48, 96, 192, 384),
        blocks=(2, 2, 2, 2),
        stem_stride: int = 2,
        dropout: float = 0.3,
        in_chans: int = 1,
    ):
        layers: list[nn.Module] = [*_conv_bn(in_chans, widths[0], stem_stride), nn.ReLU(inplace=True)]
        cin = widths[0]
        for i, (w, n) in enumerate(zip(widths, blocks)):
            for j in range(n):
                layers.append(BasicBlock(cin, w, 2 if i > 0 and j == 0 else 1))
                cin = w
        super().__init__(nn.Sequential(*layers), cin, num_classes, dropout)


@register_model("resnet_face")
def resnet_face(num_classes: int, **kwargs) -> ResNetFace:
    return ResNetFace(num_classes, **kwargs)
