"""Models shipped inside the package (src/emopy/weights): names, aliases, lookup, integrity check."""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

from .errors import ModelFileError

WEIGHTS_DIR = Path(__file__).parent / "weights"
ALIASES_FILE = WEIGHTS_DIR / "aliases.json"  # {"default": {"model": "vgg_small.crossdomain.int8", "use": ...}}


@lru_cache(maxsize=1)
def recommended() -> dict[str, dict[str, str]]:
    """The recommended names: alias -> {"model": shipped file name, "use": what it is for}."""
    return json.loads(ALIASES_FILE.read_text()) if ALIASES_FILE.exists() else {}


def aliases() -> dict[str, str]:
    """alias -> shipped model name."""
    return {alias: entry["model"] for alias, entry in recommended().items()}


def list_pretrained() -> list[str]:
    """Names of the shipped model files (without .onnx), sorted."""
    return sorted(p.stem for p in WEIGHTS_DIR.glob("*.onnx"))


def card(name: str) -> dict:
    """The shipped model's sidecar card (JSON next to the .onnx)."""
    return json.loads(resolve_model(name).with_suffix(".json").read_text())


def resolve_model(name_or_path: str | Path) -> Path:
    """A shipped name/alias ("default", "fer2013", "vgg_wide.ferplus.int8") or a path to an .onnx file.

    A shipped name wins over a file or folder of the same name in the working directory; write ./name for that.
    """
    s = str(name_or_path)
    pathlike = isinstance(name_or_path, Path) or "/" in s or os.sep in s or s.endswith(".onnx")
    if not pathlike:
        candidate = WEIGHTS_DIR / f"{aliases().get(s, s)}.onnx"
        if candidate.is_file():
            return candidate
    path = Path(s)
    if path.is_file():
        return path
    if pathlike or path.exists():
        raise ModelFileError(f"{path}: no such model file")
    known = list_pretrained() + list(aliases())
    close = difflib.get_close_matches(s, known, n=3, cutoff=0.4)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ModelFileError(
        f"unknown model {s!r}{hint} (shipped: {', '.join(known) or 'none'}; or give a path to an .onnx file)"
    )


def verify(path: Path) -> None:
    """Check a shipped file against the sha256 in its card (catches truncated or swapped files)."""
    side = path.with_suffix(".json")
    if not side.exists():
        return
    expected = json.loads(side.read_text()).get("file_sha256")
    if expected and hashlib.sha256(path.read_bytes()).hexdigest() != expected:
        raise ModelFileError(f"{path}: sha256 does not match its model card; the file is damaged or was replaced")
