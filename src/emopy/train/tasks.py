"""Training targets: one or more label sets ("heads") over one set of images.

A head holds, per image, a target distribution (one-hot for hard labels, the vote distribution
for FER+ soft labels) and a mask of the images it labels, so a joint FER2013 + FER+ model can
learn both label sets from the same faces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.dataset import Dataset
from ..errors import ConfigError


@dataclass(frozen=True)
class Head:
    """One label set: names in output order, N x C float targets, N bool mask, N hard labels."""

    name: str
    label_names: tuple[str, ...]
    targets: np.ndarray
    mask: np.ndarray
    labels: np.ndarray

    def take(self, idx: np.ndarray) -> Head:
        """The same head restricted to the images at `idx`."""
        return Head(self.name, self.label_names, self.targets[idx], self.mask[idx], self.labels[idx])


def head_from(ds: Dataset, name: str, soft: bool = False, ids: np.ndarray | None = None) -> Head:
    """A head from `ds`; when `ids` is given, aligned to those record ids (absent ones masked)."""
    c = len(ds.label_names)
    if not soft:
        dist = np.eye(c, dtype=np.float32)[ds.labels]
    elif ds.votes is None:
        raise ConfigError(f"soft labels were asked for, but {ds.source} has no vote distributions")
    else:
        dist = ds.votes.astype(np.float32)
    if ids is None:
        return Head(name, ds.label_names, dist, np.ones(len(ds), bool), ds.labels.copy())
    if ds.ids is None:
        raise ConfigError(f"{ds.source} has no record ids to align on")
    pos = {int(k): i for i, k in enumerate(ds.ids)}
    rows = np.array([pos.get(int(k), -1) for k in ids])
    mask = rows >= 0
    targets = np.zeros((len(ids), c), np.float32)
    targets[mask] = dist[rows[mask]]
    labels = np.full(len(ids), -1, np.int64)
    labels[mask] = ds.labels[rows[mask]]
    return Head(name, ds.label_names, targets, mask, labels)
