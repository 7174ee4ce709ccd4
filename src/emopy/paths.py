"""From what a user names (files, folders, globs) to the files to read: one rule for every command."""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable
from pathlib import Path

from .errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".pgm", ".ppm")


def natural_key(path: str | Path) -> list:
    """Sort key that orders frame2 before frame10 (over the whole path, so folders stay together)."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(path))]


def list_images(folder: Path) -> list[Path]:
    """Image files directly inside `folder`, in natural order."""
    return sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES), key=natural_key)


def _no_inputs(folder: Path, suffixes: tuple[str, ...], kind: str) -> str:
    """Why `folder` gives no inputs: it is empty, or what it holds is not of a kind read here."""
    files = sorted((f for f in folder.rglob("*") if f.is_file()), key=natural_key)
    if not files:
        return f"{folder}: folder is empty"
    found = f"{len(files)} file{'s' if len(files) > 1 else ''}, e.g. {files[0].relative_to(folder)}"
    return f"{folder}: folder has no {kind} files (found {found}; {kind} files end in {', '.join(suffixes)})"


def expand_paths(
    args: Iterable[str | Path], suffixes: tuple[str, ...] = IMAGE_SUFFIXES, *, strict: bool = False, kind: str = "image"
) -> list[str]:
    """Files as given, files with `suffixes` (`kind` files, for messages) under folders (recursive), glob matches;
    folders and globs in natural order.

    An argument that matches nothing (an empty folder, one without `kind` files, a glob without matches) raises
    DataError naming which when `strict`; otherwise it is kept, so that it fails visibly as an input of its own. A
    missing file is always kept.
    """
    out: list[str] = []
    for arg in args:
        s = str(arg)
        p = Path(s)
        if p.is_dir():
            found = sorted((f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in suffixes), key=natural_key)
            if not found and strict:
                raise DataError(_no_inputs(p, suffixes, kind))
            out.extend([str(f) for f in found] or [s])
        elif not p.exists() and any(c in s for c in "*?["):
            matches = sorted((m for m in glob.glob(s, recursive=True) if Path(m).is_file()), key=natural_key)
            if not matches and strict:
                raise DataError(f"{s}: glob matched nothing")
            out.extend(matches or [s])
        else:
            out.append(s)
    return out


def default_data_dir() -> Path:
    """The shared datasets folder: $EMOPY_DATA, else ../shared/data (relative to the working folder)."""
    return Path(os.environ.get("EMOPY_DATA") or Path("..") / "shared" / "data")
