"""Batch prediction over files: expand paths/folders/globs, decode, predict in batches, one result per input."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from ..errors import EmopyError
from ..results import FrameRow, frame_row
from .inputs import load_image
from .model import Face, FERModel


@dataclass(frozen=True)
class ImageResult:
    """One input's result: path, faces, and the error when it failed; `to_row` is what `emopy predict --json`
    prints."""

    path: str
    faces: tuple[Face, ...] = ()
    error: str | None = None
    image: np.ndarray | None = field(default=None, repr=False, compare=False)  # decoded pixels (keep_image=True)
    crops: np.ndarray | None = field(default=None, repr=False, compare=False)  # aligned gray crops the model saw

    def to_row(self) -> FrameRow:
        """The frame row of a still image (emopy.results)."""
        return frame_row(self.path, None, None, [f.to_row(i) for i, f in enumerate(self.faces)], self.error)


def predict_files(
    model: FERModel, paths: Iterable[str], *, batch_size: int = 64, detect: bool = True, keep_image: bool = False
) -> Iterator[ImageResult]:
    """Results in input order; a file that cannot be read or decoded gets `error` and the rest go on."""
    paths = list(paths)
    for start in range(0, len(paths), batch_size):
        chunk = paths[start : start + batch_size]
        images: dict[int, np.ndarray] = {}
        errors: dict[int, str] = {}
        for k, path in enumerate(chunk):
            try:
                images[k] = load_image(path)
            except (EmopyError, OSError, ValueError) as exc:
                errors[k] = str(exc).removeprefix(f"{path}: ")
        found = dict(zip(images, model.predict_batch(list(images.values()), detect=detect, errors="keep")))
        for k, path in enumerate(chunk):
            r = found.get(k)
            if r is None or r.error is not None:
                yield ImageResult(path, (), errors[k] if r is None else r.error)
            else:
                yield ImageResult(
                    path, r.faces, None, images[k] if keep_image else None, r.crops if keep_image else None
                )
