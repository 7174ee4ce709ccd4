"""The tail the VGG and ResNet families share: global average pool, dropout, linear head."""

from __future__ import annotations

from torch import nn


class PooledNet(nn.Module):
    """`features` -> global average pool -> dropout -> linear; `forward_features` serves transfer learning."""

    def __init__(self, features: nn.Module, num_features: int, num_classes: int, dropout: float):
        super().__init__()
        self.features = features
        self.num_features = num_features
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(num_features, num_classes)

    def forward_features(self, x):
        return self.pool(self.features(x)).flatten(1)

    def forward(self, x):
        return self.head(self.dropout(self.forward_features(x)))
