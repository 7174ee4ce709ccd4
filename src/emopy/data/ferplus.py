"""FER+ labels: the `fer2013new.csv` vote file joined to FER2013, or the FERPlus folder layout.

Protocol (the FER+ paper's "majority" mode, as in Microsoft's FERPlus reference code):
1. votes of 1 (a single annotator) are treated as outliers and set to 0;
2. an image keeps a label only when one of the 10 columns (8 emotions, unknown, not-a-face)
   holds strictly more than half of the remaining votes, and that column is an emotion;
   images where unknown or not-a-face wins, or with no strict majority, are dropped;
3. rows with an empty `Image name` (FER+ dropped them as not a face) are dropped.
The soft label ("votes") of a kept image is its 8 emotion vote counts after step 1,
normalised to sum to 1. Splits: Train = Training, Valid = PublicTest, Test = PrivateTest.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..emotions import EMOTIONS
from ..errors import DataError, ImageDecodeError
from ..imageio import read_image
from .dataset import Dataset, SkipCounter
from .fer2013 import open_text, read_fer2013_rows

FERPLUS_LABELS: tuple[str, ...] = EMOTIONS  # 8 classes, canonical order
FERPLUS_COLUMNS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt")
_TO_CANON = [FERPLUS_COLUMNS.index(e) for e in FERPLUS_LABELS]  # column index of each canonical label
FOLDER_SPLITS = {"FER2013Train": "Training", "FER2013Valid": "PublicTest", "FER2013Test": "PrivateTest"}


def majority(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply the protocol above to N x 10 raw vote counts.

    Returns (keep mask, label index in FERPLUS_LABELS, N x 8 soft labels).
    """
    votes = np.where(raw <= 1, 0, raw).astype(np.float32)
    total = votes.sum(axis=1)
    top = votes.argmax(axis=1)
    keep = (votes.max(axis=1) > 0.5 * total) & (top < 8) & (total > 0)
    emo = votes[:, :8][:, _TO_CANON]
    sums = emo.sum(axis=1, keepdims=True)
    soft = np.divide(emo, sums, out=np.zeros_like(emo), where=sums > 0)
    labels = np.asarray(_TO_CANON).argsort()[np.minimum(top, 7)]
    return keep, labels.astype(np.int64), soft


def _parse_votes(cells: list[str]) -> np.ndarray | None:
    try:
        v = np.array([int(c) for c in cells], dtype=np.int64)
    except ValueError:
        return None
    return v if len(v) == 10 and (v >= 0).all() else None


def load_ferplus(fer2013_csv: str | Path, ferplus_labels: str | Path | None, *, strict: bool = False) -> Dataset:
    """FER2013 images with FER+ majority and soft labels (`ferplus_labels`: the fer2013new.csv votes), row by row."""
    if ferplus_labels is None:
        raise DataError("the ferplus kind needs ferplus_labels (the fer2013new.csv vote file)")
    fer2013_csv, labels_csv = Path(fer2013_csv), Path(ferplus_labels)
    images, _, usage, ids, skips = read_fer2013_rows(fer2013_csv, strict)
    label_skips = SkipCounter(str(labels_csv), strict)
    raw = np.zeros((int(ids.max()) + 1, 10), dtype=np.int64)
    named = np.zeros(len(raw), dtype=bool)
    with open_text(labels_csv) as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None or len(header) < 12 or header[2].strip().lower() != "neutral":
            raise DataError(f"{labels_csv}: expected the fer2013new.csv header, got {header!r}")
        for i, row in enumerate(reader):
            if i >= len(raw):
                break
            if len(row) < 12:
                label_skips.skip("row with fewer than 12 fields", f"row {i + 2}")
                continue
            v = _parse_votes(row[2:12])
            if v is None:
                label_skips.skip("vote counts are not 10 non-negative integers", f"row {i + 2}")
                continue
            raw[i], named[i] = v, bool(row[1].strip())
    row_votes, row_named = raw[ids], named[ids]
    keep, labels, soft = majority(row_votes)
    keep &= row_named
    skips.report()
    label_skips.report()
    return Dataset(
        images=images[keep],
        labels=labels[keep],
        label_names=FERPLUS_LABELS,
        source=f"ferplus:{labels_csv}",
        votes=soft[keep],
        split=usage[keep],
        ids=ids[keep],
        skipped=skips.total + label_skips.total,
        notes=(f"{int((~keep).sum())} images without a FER+ majority emotion or dropped by FER+",),
    )


def load_ferplus_folders(root: str | Path, *, strict: bool = False, size: int = 48) -> Dataset:
    """The FERPlus layout: root/FER2013{Train,Valid,Test}/label.csv plus the PNGs it names."""
    root = Path(root)
    import cv2

    skips = SkipCounter(str(root), strict)
    images: list[np.ndarray] = []
    raws: list = []
    splits: list[str] = []
    ids: list[int] = []
    for folder, split in FOLDER_SPLITS.items():
        label_file = root / folder / "label.csv"
        if not label_file.exists():
            continue
        with label_file.open(newline="") as fh:
            for i, row in enumerate(csv.reader(fh)):
                where = f"{label_file}:{i + 1}"
                if len(row) < 12:
                    skips.skip("row with fewer than 12 fields", where)
                    continue
                v = _parse_votes(row[-10:])  # the face box "(0, 0, 48, 48)" may be quoted or not
                if v is None:
                    skips.skip("vote counts are not 10 non-negative integers", where)
                    continue
                try:
                    img = read_image(root / folder / row[0], gray=True)
                except ImageDecodeError as exc:
                    skips.skip(str(exc).split(": ", 1)[-1], where)
                    continue
                if img.shape != (size, size):
                    img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
                images.append(img)
                raws.append(v)
                splits.append(split)
                ids.append(len(ids))
    if not images:
        raise DataError(f"{root}: no FER2013Train/FER2013Valid/FER2013Test folder with a label.csv and images")
    keep, labels, soft = majority(np.stack(raws))
    skips.report()
    return Dataset(
        images=np.stack(images)[keep],
        labels=labels[keep],
        label_names=FERPLUS_LABELS,
        source=f"ferplus-folders:{root}",
        votes=soft[keep],
        split=np.asarray(splits)[keep],
        ids=np.asarray(ids, np.int64)[keep],
        skipped=skips.total,
    )
