"""EmoPy's sequence architectures: TimeDelayConvNN (3D conv) and ConvolutionalLstmNN (ConvLSTM).

Input is N x T x 1 x H x W (the last T frames); the label is that of the latest frame.
"""

from __future__ import annotations

import torch
from torch import nn

from ._registry import register_model


class TimeDelayConvNN(nn.Module):
    """A 3D convolution spanning all T frames, then a 2D conv stack on the fused map."""

    def __init__(self, num_classes: int, frames: int = 3, filters: int = 32, in_chans: int = 1):
        super().__init__()
        self.frames = frames
        self.temporal = nn.Sequential(
            nn.Conv3d(in_chans, filters, (frames, 3, 3), padding=(0, 1, 1)),
            nn.BatchNorm3d(filters),
            nn.ReLU(inplace=True),
        )
        f = filters
        self.features = nn.Sequential(
            nn.MaxPool2d(2),
            nn.Conv2d(f, 2 * f, 3, padding=1, bias=False),
            nn.BatchNorm2d(2 * f),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(2 * f, 4 * f, 3, padding=1, bias=False),
            nn.BatchNorm2d(4 * f),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Linear(4 * f, num_classes)

    def forward(self, x):  # N x T x C x H x W
        if x.shape[1] != self.frames:
            raise ValueError(f"TimeDelayConvNN was built for {self.frames} frames, got {x.shape[1]}")
        x = self.temporal(x.transpose(1, 2)).squeeze(2)
        return self.head(self.features(x))


class ConvLSTMCell(nn.Module):
    """One convolutional LSTM cell: the four gates come from a conv over [input, hidden]."""

    def __init__(self, cin: int, hidden: int):
        super().__init__()
        self.hidden = hidden
        self.gates = nn.Conv2d(cin + hidden, 4 * hidden, 3, padding=1)

    def forward(self, x, state):
        h, c = state
        i, f, o, g = self.gates(torch.cat([x, h], 1)).chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c


class ConvolutionalLstmNN(nn.Module):
    """A per-frame conv encoder, a ConvLSTM over time, the last hidden state classified."""

    def __init__(self, num_classes: int, frames: int = 3, filters: int = 32, hidden: int = 64, in_chans: int = 1):
        super().__init__()
        self.frames = frames  # any length works; recorded for the model card
        f = filters
        self.encoder = nn.Sequential(
            nn.Conv2d(in_chans, f, 3, padding=1, bias=False),
            nn.BatchNorm2d(f),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(f, 2 * f, 3, padding=1, bias=False),
            nn.BatchNorm2d(2 * f),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )
        self.cell = ConvLSTMCell(2 * f, hidden)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(hidden, num_classes))

    def forward(self, x):  # N x T x C x H x W
        n, t = x.shape[:2]
        feats = self.encoder(x.flatten(0, 1))
        feats = feats.view(n, t, *feats.shape[1:])
        h = feats.new_zeros(n, self.cell.hidden, *feats.shape[-2:])
        c = torch.zeros_like(h)
        for step in range(t):
            h, c = self.cell(feats[:, step], (h, c))
        return self.head(h)


@register_model("TimeDelayConvNN")
def time_delay_conv_nn(num_classes: int, **kwargs) -> TimeDelayConvNN:
    return TimeDelayConvNN(num_classes, **kwargs)


@register_model("ConvolutionalLstmNN")
def convolutional_lstm_nn(num_classes: int, **kwargs) -> ConvolutionalLstmNN:
    return ConvolutionalLstmNN(num_classes, **kwargs)
