"""EmoPy's still-image architectures rebuilt in PyTorch: ConvolutionalNN, ConvolutionalNNDropout."""

from __future__ import annotations

from torch import nn

from ._registry import register_model


class ConvolutionalNN(nn.Module):
    """EmoPy's plain conv stack: conv-ReLU blocks with max-pooling, then a dense classifier."""

    def __init__(self, num_classes: int, filters: int = 32, in_chans: int = 1):
        super().__init__()
        f = filters
        self.features = nn.Sequential(
            nn.Conv2d(in_chans, f, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(f, f, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(f, 2 * f, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(2 * f, 4 * f, 3, padding=1), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(4),
        )
        self.num_features = 4 * f * 16
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(self.num_features, 128), nn.ReLU(inplace=True), nn.Linear(128, num_classes))

    def forward(self, x):
        return self.head(self.features(x))


class ConvolutionalNNDropout(nn.Module):
    """EmoPy's conv stack with batch norm and dropout after every block (L2 comes from the trainer)."""

    default_weight_decay = 1e-3

    def __init__(self, num_classes: int, filters: int = 32, dropout: float = 0.25, in_chans: int = 1):
        super().__init__()

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                    nn.MaxPool2d(2), nn.Dropout(dropout)]

        f = filters
        self.features = nn.Sequential(*block(in_chans, f), *block(f, 2 * f), *block(2 * f, 4 * f), nn.AdaptiveAvgPool2d(2))
        self.num_features = 4 * f * 4
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(2 * dropout), nn.Linear(self.num_features, num_classes))

    def forward(self, x):
        return self.head(self.features(x))


@register_model("ConvolutionalNN")
def convolutional_nn(num_classes: int, **kwargs) -> ConvolutionalNN:
    """EmoPy ConvolutionalNN: plain conv stack for still images."""
    return ConvolutionalNN(num_classes, **kwargs)


@register_model("ConvolutionalNNDropout")
def convolutional_nn_dropout(num_classes: int, **kwargs) -> ConvolutionalNNDropout:
    """EmoPy ConvolutionalNNDropout: conv + batch norm + dropout, trained with L2."""
    return ConvolutionalNNDropout(num_classes, **kwargs)
