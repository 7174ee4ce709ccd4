"""The one data shape every loader returns, and the operations on it (subset, merge, split)."""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from ..emotions import merge_map, resolve_many, subset_indices
from ..errors import DataError

SPLITS = ("Training", "PublicTest", "PrivateTest")
SPLIT_ALIASES = {
    "training": "Training",
    "train": "Training",
    "publictest": "PublicTest",
    "valid": "PublicTest",
    "val": "PublicTest",
    "validation": "PublicTest",
    "privatetest": "PrivateTest",
    "test": "PrivateTest",
}


def resolve_split(name: str) -> str:
    """Canonical split name (FER2013's) for FER2013 or FER+ style names."""
    key = name.strip().lower()
    if key not in SPLIT_ALIASES:
        raise DataError(f"unknown split {name!r}; use one of {', '.join(SPLITS)} (or train/valid/test)")
    return SPLIT_ALIASES[key]


@dataclass(frozen=True)
class Dataset:
    """Images with labels, as every emopy loader returns them.

    images: uint8, N x H x W (stills) or N x T x H x W (sequences).
    labels: int64 N, indices into `label_names` (canonical emotion names).
    votes: optional float32 N x C vote distributions over `label_names` (FER+ soft labels).
    split: optional N split names (Training / PublicTest / PrivateTest).
    groups: optional N group ids (e.g. CK+ subject) for splitting without leakage.
    ids: optional N record ids (FER2013 CSV row numbers), to join two label sets of one image set.
    """

    images: np.ndarray
    labels: np.ndarray
    label_names: tuple[str, ...]
    source: str = ""
    votes: np.ndarray | None = None
    split: np.ndarray | None = None
    groups: np.ndarray | None = None
    ids: np.ndarray | None = None
    skipped: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __len__(self) -> int:
        return len(self.labels)

    def _take(self, mask: np.ndarray, **changes) -> Dataset:
        def pick(a):
            return None if a is None else a[mask]

        return replace(
            self,
            images=self.images[mask],
            labels=changes.pop("labels", self.labels)[mask],
            votes=pick(changes.pop("votes", self.votes)),
            split=pick(self.split),
            groups=pick(self.groups),
            ids=pick(self.ids),
            **changes,
        )

    def take(self, index) -> Dataset:
        """The images at `index` (positions or a boolean mask), labels and splits kept."""
        return self._take(index)

    def subset(self, emotions) -> Dataset:
        """Keep only images labelled with `emotions` (any order, aliases allowed), relabelled."""
        idx = subset_indices(self.label_names, emotions)
        remap = np.full(len(self.label_names), -1, dtype=np.int64)
        remap[idx] = np.arange(len(idx))
        labels = remap[self.labels]
        votes = None
        if self.votes is not None:
            votes = self.votes[:, idx]
            total = votes.sum(axis=1, keepdims=True)
            votes = np.divide(votes, total, out=np.zeros_like(votes), where=total > 0)
        names = tuple(resolve_many(emotions))
        return self._take(labels >= 0, labels=labels, votes=votes, label_names=names)

    def merge(self, merges: dict[str, str]) -> Dataset:
        """Merge classes, e.g. {"disgust": "anger"}; votes are summed into the kept class."""
        names, mapping = merge_map(self.label_names, merges)
        mapping_arr = np.asarray(mapping)
        votes = None
        if self.votes is not None:
            votes = np.zeros((len(self), len(names)), dtype=np.float32)
            np.add.at(votes.T, mapping_arr, self.votes.T)
        keep = np.ones(len(self), dtype=bool)
        return self._take(keep, labels=mapping_arr[self.labels], votes=votes, label_names=tuple(names))

    def select_split(self, name: str) -> Dataset:
        """The images of one split (Training / PublicTest / PrivateTest, or train/valid/test)."""
        if self.split is None:
            raise DataError(f"{self.source or 'this dataset'} has no splits; it can only be used whole")
        canon = resolve_split(name)
        return self._take(self.split == canon)

    def counts(self) -> dict[str, dict[str, int]]:
        """Image counts per split (or "all") and class, classes in `label_names` order."""
        splits = self.split if self.split is not None else np.full(len(self), "all")
        out: dict[str, dict[str, int]] = {}
        order = [s for s in SPLITS if s in set(splits)] or sorted(set(splits))
        for s in order:
            c = Counter(self.labels[splits == s].tolist())
            out[str(s)] = {name: c.get(i, 0) for i, name in enumerate(self.label_names)}
        return out


class SkipCounter:
    """Counts bad records during loading; raises at once when strict, warns once at the end."""

    def __init__(self, source: str, strict: bool) -> None:
        self.source, self.strict = source, strict
        self.reasons: Counter[str] = Counter()
        self.examples: list[str] = []

    def skip(self, reason: str, where: str) -> None:
        if self.strict:
            raise DataError(f"{self.source}: {where}: {reason}")
        self.reasons[reason] += 1
        if len(self.examples) < 3:
            self.examples.append(f"{where}: {reason}")

    @property
    def total(self) -> int:
        return sum(self.reasons.values())

    def report(self) -> None:
        if self.total:
            detail = "; ".join(f"{n} x {r}" for r, n in self.reasons.most_common())
            warnings.warn(
                f"{self.source}: skipped {self.total} bad record(s): {detail} "
                f"(e.g. {' | '.join(self.examples)}); pass strict=True to fail instead",
                stacklevel=3,
            )


def split_by_group(ds: Dataset, fractions=(0.7, 0.15, 0.15), seed: int = 0) -> Dataset:
    """Give a split-less dataset Training/PublicTest/PrivateTest splits, whole groups at a time."""
    if ds.split is not None:
        return ds
    keys = ds.groups if ds.groups is not None else np.arange(len(ds)).astype(str)
    uniq = np.unique(keys)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(uniq))
    cut1 = int(round(fractions[0] * len(uniq)))
    cut2 = cut1 + int(round(fractions[1] * len(uniq)))
    names = np.empty(len(uniq), dtype=object)
    names[order[:cut1]], names[order[cut1:cut2]], names[order[cut2:]] = SPLITS
    lookup = dict(zip(uniq.tolist(), names.tolist()))
    return replace(ds, split=np.array([lookup[k] for k in keys.tolist()]))
