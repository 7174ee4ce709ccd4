"""A folder per class of images of any size and format (CK+48 is one), and of sequences.

Class folder names go through the emotion vocabulary ("happy", "sadness", "calm" all work).
CK+ style names (`S005_001_00000011.png`) give the subject as the group, so splits never
share a subject.
"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from ..emotions import EMOTIONS, resolve
from ..errors import DataError, ImageDecodeError, UnknownEmotionError
from ..imageio import read_image
from ..paths import list_images
from .dataset import Dataset, SkipCounter

_SUBJECT = re.compile(r"^(S\d+)_")


def _class_dirs(root: Path, skips: SkipCounter) -> list[tuple[str, Path]]:
    if not root.is_dir():
        raise DataError(f"{root}: not a folder")
    out = []
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        try:
            out.append((resolve(d.name), d))
        except UnknownEmotionError:
            skips.skip("folder name is not an emotion", str(d))
    if not out:
        raise DataError(f"{root}: no class folders named after emotions (e.g. anger/, happy/, calm/)")
    return out


def _to_square(img: np.ndarray, size: int) -> np.ndarray:
    if img.shape != (size, size):
        interp = cv2.INTER_AREA if min(img.shape) > size else cv2.INTER_LINEAR
        img = cv2.resize(img, (size, size), interpolation=interp)
    return img


def _group_of(name: str) -> str:
    m = _SUBJECT.match(name)
    return m.group(1) if m else name


def _dataset(images: list, labels: list[str], groups: list[str], source: str, skips: SkipCounter) -> Dataset:
    """Stack what a folder loader collected; classes in canonical order; report skipped files."""
    names = tuple(e for e in EMOTIONS if e in set(labels))
    skips.report()
    return Dataset(
        images=np.stack(images),
        labels=np.array([names.index(x) for x in labels], np.int64),
        label_names=names,
        source=source,
        groups=np.asarray(groups),
        skipped=skips.total,
    )


def load_image_folders(root: str | Path, *, size: int = 48, strict: bool = False) -> Dataset:
    """root/<emotion>/<image files>, grayscale, resized to size x size."""
    root = Path(root)
    skips = SkipCounter(str(root), strict)
    images, labels, groups = [], [], []
    for emotion, folder in _class_dirs(root, skips):
        for f in list_images(folder):
            try:
                img = read_image(f, gray=True)
            except ImageDecodeError as exc:
                skips.skip(str(exc).split(": ", 1)[-1], str(f))
                continue
            images.append(_to_square(img, size))
            labels.append(emotion)
            groups.append(_group_of(f.name))
    if not images:
        raise DataError(f"{root}: no readable images in the class folders")
    return _dataset(images, labels, groups, f"folders:{root}", skips)


def load_sequence_folders(root: str | Path, *, frames: int = 3, size: int = 48, strict: bool = False) -> Dataset:
    """root/<emotion>/<sequence id>/<frame files>: every window of `frames` consecutive frames.

    Frames sort by file name; a window's label is its sequence's class (that of its latest
    frame). A sequence shorter than `frames`, or with an unreadable frame, is skipped.
    """
    if frames < 1:
        raise DataError(f"frames must be >= 1, got {frames}")
    root = Path(root)
    skips = SkipCounter(str(root), strict)
    windows, labels, groups = [], [], []
    for emotion, folder in _class_dirs(root, skips):
        for seq in sorted(p for p in folder.iterdir() if p.is_dir()):
            files = list_images(seq)
            if len(files) < frames:
                skips.skip(f"sequence with {len(files)} frame(s), fewer than {frames}", str(seq))
                continue
            try:
                stack = np.stack([_to_square(read_image(f, gray=True), size) for f in files])
            except ImageDecodeError as exc:
                skips.skip(str(exc).split(": ", 1)[-1], str(seq))
                continue
            for end in range(frames, len(files) + 1):
                windows.append(stack[end - frames : end])
                labels.append(emotion)
                groups.append(_group_of(seq.name))
    if not windows:
        raise DataError(f"{root}: no sequence of at least {frames} readable frames")
    return _dataset(windows, labels, groups, f"sequences:{root}", skips)
