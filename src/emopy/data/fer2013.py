"""FER2013 in the Kaggle CSV format (`emotion,pixels,Usage`), plain or gzip."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import numpy as np

from ..emotions import EMOTIONS
from ..errors import DataError
from .dataset import SPLITS, Dataset, SkipCounter

FER2013_LABELS: tuple[str, ...] = EMOTIONS[:7]  # codes 0..6 = angry, disgust, fear, happy, sad, surprise, neutral
SIDE = 48


def open_text(path: Path) -> io.TextIOBase:
    """Open a CSV, transparently gunzipping `.gz` files."""
    if not path.exists():
        raise DataError(f"{path}: no such file")
    with path.open("rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return path.open("r", encoding="utf-8", newline="")


def read_fer2013_rows(path: Path, strict: bool = False):
    """Parse the CSV into (images, codes, usage, row ids, skip counter); bad rows are skipped."""
    skips = SkipCounter(str(path), strict)
    images: list[np.ndarray] = []
    codes: list[int] = []
    usage: list[str] = []
    ids: list[int] = []
    with open_text(path) as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None or [h.strip().lower() for h in header[:3]] != ["emotion", "pixels", "usage"]:
            raise DataError(f"{path}: expected a header 'emotion,pixels,Usage', got {header!r}")
        for i, row in enumerate(reader):
            where = f"row {i + 2}"
            if len(row) < 3:
                skips.skip("row with fewer than 3 fields", where)
                continue
            try:
                code = int(row[0])
            except ValueError:
                skips.skip("non-integer emotion code", where)
                continue
            if not 0 <= code < len(FER2013_LABELS):
                skips.skip("unknown emotion code", where)
                continue
            if row[2] not in SPLITS:
                skips.skip("unknown Usage value", where)
                continue
            try:
                pix = np.array(row[1].split(), dtype=np.int16)
            except ValueError:
                skips.skip("non-numeric pixel value", where)
                continue
            if pix.size != SIDE * SIDE:
                skips.skip(f"pixel row of length {pix.size}, expected {SIDE * SIDE}", where)
                continue
            if pix.min() < 0 or pix.max() > 255:
                skips.skip("pixel value outside 0..255", where)
                continue
            images.append(pix.astype(np.uint8).reshape(SIDE, SIDE))
            codes.append(code)
            usage.append(row[2])
            ids.append(i)
    if not images:
        raise DataError(f"{path}: no usable rows")
    return np.stack(images), np.asarray(codes, np.int64), np.asarray(usage), np.asarray(ids, np.int64), skips


def load_fer2013(path: str | Path, *, strict: bool = False) -> Dataset:
    """Load FER2013 with its own labels and its three splits."""
    path = Path(path)
    images, codes, usage, ids, skips = read_fer2013_rows(path, strict)
    skips.report()
    return Dataset(
        images=images,
        labels=codes,
        label_names=FER2013_LABELS,
        source=f"fer2013:{path}",
        split=usage,
        ids=ids,
        skipped=skips.total,
    )
