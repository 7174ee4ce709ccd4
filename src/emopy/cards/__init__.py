"""Model cards and the shipped weights, torch-free: the card schema, reading and writing it in a model file (ONNX
metadata plus sidecar), the sha256 check, and the typed registry of the files inside the package. Re-measuring a
card runs the model, so it is `emopy.train.evaluate.measure_card`, which writes through `update_card`."""

from .card import ModelCard, check_share
from .files import file_sha256, read_sidecar, update_card, verify, write_card
from .weights import WEIGHTS_DIR, Weights, get_weights, list_pretrained, names, registry, resolve_model

__all__ = [
    "WEIGHTS_DIR",
    "ModelCard",
    "Weights",
    "check_share",
    "file_sha256",
    "get_weights",
    "list_pretrained",
    "names",
    "read_sidecar",
    "registry",
    "resolve_model",
    "update_card",
    "verify",
    "write_card",
]
