"""EmoPy's still-image architectures rebuilt in PyTorch: ConvolutionalNN, ConvolutionalNNDropout.

Both end in global average pooling, so they take any input size (and export to ONNX for it).
"""

from __future__ import annotations

from torch import nn

from ._registry import register_model


class _ConvClassifier(nn.Module):
    """`features` -> global average pool -> `head`; `forward_features` serves transfer learning."""

    features: nn.Module
    pool: nn.Module
    head: nn.Module

    def forward_features(self, x):
        return self.pool(self.features(x)).flatten(1)

    def forward(self, x):
        return self.head(self.forward_features(x))


class ConvolutionalNN(_ConvClassifier):
    """EmoPy's plain conv stack: conv-ReLU blocks with max-pooling, then a dense classifier."""

    def __init__(self, num_classes: int, filters: int = 32, in_chans: int = 1):
        super().__init__()
        f = filters
        self.features = nn.Sequential(
            nn.Conv2d(in_chans, f, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(f, f, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(f, 2 * f, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(2 * f, 4 * f, 3, padding=1),
            nn.ReLU(inplace=True),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.num_features = 4 * f
        self.head = nn.Sequential(nn.Linear(self.num_features, 128), nn.ReLU(inplace=True), nn.Linear(128, num_classes))


class ConvolutionalNNDropout(_ConvClassifier):
    """EmoPy's conv stack with batch norm and dropout after every block (L2 comes from the trainer)."""

    def __init__(self, num_classes: int, filters: int = 32, dropout: float = 0.25, in_chans: int = 1):
        super().__init__()

        def block(cin, cout):
            return [
                nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
                nn.Dropout(dropout),
            ]

        f = filters
        self.features = nn.Sequential(*block(in_chans, f), *block(f, 2 * f), *block(2 * f, 4 * f))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.num_features = 4 * f
        self.head = nn.Sequential(nn.Dropout(2 * dropout), nn.Linear(self.num_features, num_classes))


@register_model("ConvolutionalNN")
def convolutional_nn(num_classes: int, **kwargs) -> ConvolutionalNN:
    return ConvolutionalNN(num_classes, **kwargs)


@register_model("ConvolutionalNNDropout")
def convolutional_nn_dropout(num_classes: int, **kwargs) -> ConvolutionalNNDropout:
    return ConvolutionalNNDropout(num_classes, **kwargs)
