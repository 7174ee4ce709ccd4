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


def expand_paths(
    args: Iterable[str | Path], suffixes: tuple[str, ...] = IMAGE_SUFFIXES, *, strict: bool = False
) -> list[str]:
    """Files as given, files with `suffixes` under folders (recursive), glob matches; folders and globs in natural
    order.

    An argument that matches nothing (empty folder, glob without matches) raises DataError when `strict`; otherwise
    it is kept, so that it fails visibly as an input of its own. A missing file is always kept.
    """
    out: list[str] = []
    for arg in args:
        s = str(arg)
        p = Path(s)
        if p.is_dir():
            found = sorted((f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in suffixes), key=natural_key)
            if not found and strict:
                raise DataError(f"{p}: no files of a kind read here in this folder ({', '.join(suffixes)})")
            out.extend([str(f) for f in found] or [s])
        elif not p.exists() and any(c in s for c in "*?["):
            matches = sorted((m for m in glob.glob(s, recursive=True) if Path(m).is_file()), key=natural_key)
            if not matches and strict:
                raise DataError(f"{s}: the pattern matches no files")
            out.extend(matches or [s])
        else:
            out.append(s)
    return out


def default_data_dir() -> Path:
    """The shared datasets folder: $EMOPY_DATA, else ../shared/data (relative to the working folder)."""
    return Path(os.environ.get("EMOPY_DATA") or Path("..") / "shared" / "data")
