"""A model file's card on disk: written into the ONNX metadata with a sidecar `.json` beside it (the card plus the
file's sha256), read back, and the sha256 check that catches damaged or replaced files. Needs `onnx`, never torch."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

from ..errors import ModelFileError, require
from .card import CARD_KEY, FORMAT_KEY, FORMAT_VERSION, ModelCard

SHA_KEY = "file_sha256"  # the sidecar's entry for the file's sha256 (beside "file", its name)


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes, as hex."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def read_sidecar(path: str | Path) -> tuple[ModelCard, str]:
    """The card and the file sha256 recorded in the `.json` beside the model file at `path`."""
    side = Path(path).with_suffix(".json")
    try:
        data = json.loads(side.read_text())
        sha256 = data.pop(SHA_KEY)
        data.pop("file", None)
    except (OSError, ValueError, KeyError, AttributeError) as exc:
        raise ModelFileError(f"{side}: no readable model card with the file's sha256 ({exc})") from None
    return ModelCard.from_dict(data, str(side)), sha256


def verify(path: str | Path) -> None:
    """Check a model file against the sha256 its sidecar `.json` records; a file without one (no sidecar, or a JSON
    file of the user's own there) has nothing to check against."""
    side = Path(path).with_suffix(".json")
    try:
        expected = json.loads(side.read_text()).get(SHA_KEY) if side.is_file() else None
    except (ValueError, AttributeError):  # not JSON, or not an object: not a card
        expected = None
    if expected and (got := file_sha256(path)) != expected:
        raise ModelFileError(
            f"{path}: sha256 {got[:12]}... does not match its model card's {expected[:12]}...; "
            "the file is damaged or was replaced"
        )


def write_card(path: str | Path, card: ModelCard) -> None:
    """Put `card` into the ONNX file's metadata (replacing any) and write the sidecar `.json` with its sha256."""
    onnx = require("onnx", "train")
    _save(Path(path), onnx.load(str(path)), card)


def update_card(path: str | Path, **fields) -> ModelCard:
    """Replace `fields` of the card inside the model file at `path` (weights untouched); returns the new card."""
    onnx = require("onnx", "train")
    proto = onnx.load(str(path))
    meta = {p.key: p.value for p in proto.metadata_props}
    card = replace(ModelCard.from_metadata(meta, str(path)), **fields)
    _save(Path(path), proto, card)
    return card


def _save(path: Path, proto, card: ModelCard) -> None:
    """Write `proto` to `path` with `card` as its only metadata, then the sidecar."""
    onnx = require("onnx", "train")
    del proto.metadata_props[:]
    for key, value in ((FORMAT_KEY, str(FORMAT_VERSION)), (CARD_KEY, card.to_json())):
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(path))
    sidecar = json.loads(card.to_json()) | {"file": path.name, SHA_KEY: file_sha256(path)}
    path.with_suffix(".json").write_text(json.dumps(sidecar, indent=1, sort_keys=True) + "\n")
