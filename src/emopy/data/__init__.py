"""Dataset loaders. `load_dataset(path)` picks the right one; each returns a `Dataset`."""

from __future__ import annotations

from pathlib import Path

from ..errors import DataError
from .dataset import SPLITS, Dataset, resolve_split, split_by_group
from .fer2013 import load_fer2013
from .ferplus import FOLDER_SPLITS, load_ferplus, load_ferplus_folders
from .folders import load_image_folders, load_sequence_folders

KINDS = ("fer2013", "ferplus", "ferplus-folders", "folders", "sequences")


def detect_kind(path: Path, ferplus_labels: str | Path | None = None) -> str:
    """Guess the dataset format of `path` (a CSV file, the FERPlus layout, class folders)."""
    if path.is_file():
        return "ferplus" if ferplus_labels else "fer2013"
    if not path.is_dir():
        raise DataError(f"{path}: no such file or folder")
    if any((path / f).is_dir() for f in FOLDER_SPLITS):
        return "ferplus-folders"
    for sub in path.iterdir():
        if sub.is_dir() and any(p.is_dir() for p in sub.iterdir()):
            return "sequences"
    return "folders"


def load_dataset(
    path: str | Path,
    *,
    ferplus_labels: str | Path | None = None,
    kind: str | None = None,
    emotions=None,
    strict: bool = False,
    frames: int = 3,
    size: int = 48,
) -> Dataset:
    """Load any supported dataset; `emotions` restricts it to a subset (aliases allowed)."""
    path = Path(path)
    kind = kind or detect_kind(path, ferplus_labels)
    if kind == "fer2013":
        ds = load_fer2013(path, strict=strict)
    elif kind == "ferplus":
        if ferplus_labels is None:
            raise DataError("the ferplus kind needs ferplus_labels (the fer2013new.csv vote file)")
        ds = load_ferplus(path, ferplus_labels, strict=strict)
    elif kind == "ferplus-folders":
        ds = load_ferplus_folders(path, strict=strict, size=size)
    elif kind == "folders":
        ds = load_image_folders(path, strict=strict, size=size)
    elif kind == "sequences":
        ds = load_sequence_folders(path, frames=frames, strict=strict, size=size)
    else:
        raise DataError(f"unknown dataset kind {kind!r}; use one of {', '.join(KINDS)}")
    return ds.subset(emotions) if emotions else ds


__all__ = [
    "KINDS",
    "SPLITS",
    "Dataset",
    "detect_kind",
    "load_dataset",
    "load_fer2013",
    "load_ferplus",
    "load_ferplus_folders",
    "load_image_folders",
    "load_sequence_folders",
    "resolve_split",
    "split_by_group",
]
