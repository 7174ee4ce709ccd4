"""Architectures: each declared once here, built by `create_model(name, num_classes)` (needs emopy-fer[train]).

Declarations need no PyTorch, so names, descriptions and availability can be listed anywhere; the builders live
one file per family, each marked `@register_model(name)`.
"""

from ..errors import UnknownModelError
from ._registry import MODELS, InputConfig, ModelInfo, create_model, list_models, model_info, register_model

for _info in (
    ModelInfo(
        "ConvolutionalNN",
        "emopy.models.emopy_nets:convolutional_nn",
        "EmoPy ConvolutionalNN: plain conv stack for still images.",
    ),
    ModelInfo(
        "ConvolutionalNNDropout",
        "emopy.models.emopy_nets:convolutional_nn_dropout",
        "EmoPy ConvolutionalNNDropout: conv + batch norm + dropout, trained with L2.",
    ),
    ModelInfo(
        "resnet_face",
        "emopy.models.resnet:resnet_face",
        "ResNet-18 layout at 48-384 channels, stride-2 stem, 6.3M parameters: an ensemble member unlike VGG.",
    ),
    ModelInfo(
        "TimeDelayConvNN",
        "emopy.models.temporal:time_delay_conv_nn",
        "EmoPy TimeDelayConvNN: 3D convolution over the last n frames of a sequence.",
        temporal=True,
    ),
    ModelInfo(
        "ConvolutionalLstmNN",
        "emopy.models.temporal:convolutional_lstm_nn",
        "EmoPy ConvolutionalLstmNN: convolutional LSTM over a sequence of frames.",
        temporal=True,
    ),
    ModelInfo(
        "TransferLearningNN",
        "emopy.models.transfer:transfer_learning_nn",
        "EmoPy TransferLearningNN: our FER-trained backbone, new head, optional freezing.",
    ),
    ModelInfo(
        "vgg_small",
        "emopy.models.vgg:vgg_small",
        "VGG 32-64-128-256, 1.2M parameters: fast flagship (~1,000 faces/s on 2 cores with onnxruntime).",
    ),
    ModelInfo(
        "vgg_wide",
        "emopy.models.vgg:vgg_wide",
        "VGG 64-128-256-512, 4.7M parameters: slower, a teacher for distillation.",
    ),
):
    MODELS.add(_info)

__all__ = [
    "MODELS",
    "InputConfig",
    "ModelInfo",
    "UnknownModelError",
    "create_model",
    "list_models",
    "model_info",
    "register_model",
]
