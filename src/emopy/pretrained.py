"""Models shipped inside the package (src/emopy/weights): names, aliases, lookup, integrity check."""

from __future__ import annotations

import difflib
import hashlib
import json
from functools import lru_cache
from pathlib import Path

from .errors import ModelFileError

WEIGHTS_DIR = Path(__file__).parent / "weights"
ALIASES_FILE = WEIGHTS_DIR / "aliases.json"  # {"default": "vgg_small.ferplus", "fer2013": ...}


@lru_cache(maxsize=1)
def aliases() -> dict[str, str]:
    return json.loads(ALIASES_FILE.read_text()) if ALIASES_FILE.exists() else {}


def list_pretrained() -> list[str]:
    """Names of the shipped model files (without .onnx), sorted."""
    return sorted(p.stem for p in WEIGHTS_DIR.glob("*.onnx"))


def card(name: str) -> dict:
    """The shipped model's sidecar card (JSON next to the .onnx)."""
    return json.loads(resolve_model(name).with_suffix(".json").read_text())


def resolve_model(name_or_path: str | Path) -> Path:
    """A path to an .onnx file, or a shipped name/alias ("default", "fer2013", "vgg_small.ferplus")."""
    path = Path(name_or_path)
    if path.suffix == ".onnx" or path.exists():
        if not path.is_file():
            raise ModelFileError(f"{path}: no such model file")
        return path
    name = aliases().get(str(name_or_path), str(name_or_path))
    candidate = WEIGHTS_DIR / f"{name}.onnx"
    if candidate.is_file():
        return candidate
    known = list_pretrained() + list(aliases())
    close = difflib.get_close_matches(str(name_or_path), known, n=3, cutoff=0.4)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ModelFileError(f"unknown model {str(name_or_path)!r}{hint} (shipped: {', '.join(known) or 'none'}; or give a path to an .onnx file)")


def verify(path: Path) -> None:
    """Check a shipped file against the sha256 in its card (catches truncated or swapped files)."""
    side = path.with_suffix(".json")
    if not side.exists():
        return
    expected = json.loads(side.read_text()).get("file_sha256")
    if expected and hashlib.sha256(path.read_bytes()).hexdigest() != expected:
        raise ModelFileError(f"{path}: sha256 does not match its model card; the file is damaged or was replaced")
