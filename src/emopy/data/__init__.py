"""Dataset loaders, one per kind in `DATASETS`; `load_dataset(path)` guesses the kind. Each returns a `Dataset`."""

from __future__ import annotations

import inspect
from pathlib import Path

from ..errors import DataError
from ..registry import Entry, Registry
from .dataset import SPLITS, Dataset, resolve_split, split_by_group
from .fer2013 import load_fer2013
from .ferplus import FOLDER_SPLITS, load_ferplus, load_ferplus_folders
from .folders import load_image_folders, load_sequence_folders

# Each loader takes the path, then those of load_dataset's options (ferplus_labels, strict, frames, size) it names.
DATASETS: Registry[Entry] = Registry("dataset kind")
for _entry in (
    Entry("fer2013", "emopy.data.fer2013:load_fer2013", "FER2013 CSV (.csv or .csv.gz): 7 emotions, its 3 splits"),
    Entry("ferplus", "emopy.data.ferplus:load_ferplus", "FER2013 CSV joined with the FER+ votes (--ferplus-labels)"),
    Entry(
        "ferplus-folders",
        "emopy.data.ferplus:load_ferplus_folders",
        "FERPlus layout: FER2013{Train,Valid,Test}/label.csv and the PNGs it names",
    ),
    Entry("folders", "emopy.data.folders:load_image_folders", "a folder per emotion of face images (e.g. CK+48)"),
    Entry("sequences", "emopy.data.folders:load_sequence_folders", "a folder per emotion of folders of frames"),
):
    DATASETS.add(_entry)


def detect_kind(path: Path, ferplus_labels: str | Path | None = None) -> str:
    """Guess the dataset kind of `path` (a CSV file, the FERPlus layout, class folders)."""
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
    """Load any supported dataset (`kind` from DATASETS, or guessed); `emotions` restricts it to a subset."""
    path = Path(path)
    loader = DATASETS.load(kind or detect_kind(path, ferplus_labels))
    options = {"ferplus_labels": ferplus_labels, "strict": strict, "frames": frames, "size": size}
    named = inspect.signature(loader).parameters
    ds = loader(path, **{k: v for k, v in options.items() if k in named})
    return ds.subset(emotions) if emotions else ds


__all__ = [
    "DATASETS",
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
