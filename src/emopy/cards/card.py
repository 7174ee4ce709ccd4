"""The metadata every emopy model file carries, written at export and read back at load.

An exported `.onnx` holds two metadata entries: `emopy_format` (an integer version of this
schema) and `emopy_card` (this dataclass as JSON). Loading refuses a file where either is
missing or the format is not one this version reads, instead of guessing preprocessing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from ..errors import ConfigError, ModelFileError

FORMAT_VERSION = 1
FORMAT_KEY, CARD_KEY = "emopy_format", "emopy_card"


def check_share(value: float, name: str = "balance", full: str = "full prior correction") -> float:
    """A share of a correction (the prior's `balance`, a calibration `strength`) as a float, refused outside
    0 (off) .. 1 (`full`)."""
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name} must be between 0 (off) and 1 ({full}), got {value}")
    return float(value)


@dataclass(frozen=True)
class ModelCard:
    """What a user needs to trust and use a model file.

    Preprocessing: a grayscale face crop (box enlarged by `face_margin` on each side) is
    resized to `image_size` square, centre-cropped to `input_size`, and fed as float 0..255;
    the graph normalises internally ((x/255 - mean)/std) and outputs probabilities over `labels`.
    `temperature` (fitted on the validation split) calibrates them; `reference` holds mean
    log-probabilities over validation faces ("rest": those labelled neutral, "all": every face), the
    population baseline that per-viewer calibration (`FERModel.calibrate`) maps a person onto.
    `balance` > 0 marks a model meant for faces unlike its training data (posed photos, webcams), where
    rare emotions are under-predicted: `FERModel` applies that prior correction by default.
    """

    name: str
    labels: tuple[str, ...]
    arch: str
    image_size: int  # these four come from the architecture's InputConfig (emopy.models) at export
    input_size: int
    mean: float
    std: float
    face_margin: float = 0.0  # detector boxes are calibrated to the FER2013 framing (benchmarks: 0.0 matches best)
    frames: int = 0  # > 0: sequence model taking that many frames
    dataset: str = ""
    protocol: str = ""
    metrics: dict = field(default_factory=dict)
    temperature: float = 1.0
    balance: float = 0.0  # share of the log class prior (reference["prior"]) FERModel removes unless told otherwise
    reference: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)
    params: int = 0
    weights_sha256: str = ""
    emopy_version: str = ""
    created: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_metadata(cls, meta: dict[str, str], where: str) -> ModelCard:
        """Parse and check the metadata map of an ONNX file."""
        if FORMAT_KEY not in meta or CARD_KEY not in meta:
            raise ModelFileError(
                f"{where}: not an emopy model file (no '{FORMAT_KEY}' metadata); export models with "
                "`emopy train` / emopy.train.export, or use a shipped model name (see `emopy models`)"
            )
        try:
            version = int(meta[FORMAT_KEY])
        except ValueError:
            raise ModelFileError(f"{where}: unreadable model format version {meta[FORMAT_KEY]!r}") from None
        if version != FORMAT_VERSION:
            raise ModelFileError(
                f"{where}: model format version {version}, but this emopy reads version {FORMAT_VERSION}; "
                f"{'upgrade emopy' if version > FORMAT_VERSION else 're-export the model with this emopy'}"
            )
        try:
            data = json.loads(meta[CARD_KEY])
        except ValueError as exc:
            raise ModelFileError(f"{where}: corrupt emopy model card ({exc})") from None
        return cls.from_dict(data, where)

    @classmethod
    def from_dict(cls, data: dict, where: str) -> ModelCard:
        """The card from its JSON fields (the ONNX metadata's, or a sidecar's without its file entries)."""
        try:
            return cls(**{**data, "labels": tuple(data["labels"])})
        except (TypeError, KeyError) as exc:
            raise ModelFileError(f"{where}: corrupt emopy model card ({exc})") from None
