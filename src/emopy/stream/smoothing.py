"""Temporal smoothing of probability vectors and a windowed dominant emotion with threshold and hysteresis."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


class EMASmoother:
    """Exponential moving average with a half-life in seconds (robust to dropped frames)."""

    def __init__(self, half_life: float = 0.5):
        if half_life <= 0:
            raise ValueError("half_life must be positive")
        self.half_life = half_life
        self._value: np.ndarray | None = None
        self._t: float | None = None

    def update(self, t: float, probs: np.ndarray) -> np.ndarray:
        """The smoothed vector after observing `probs` at time `t`."""
        probs = np.asarray(probs, np.float64)
        if self._value is None or self._t is None:
            self._value = probs.copy()
        else:
            a = 1.0 - 0.5 ** (max(t - self._t, 0.0) / self.half_life)
            self._value = (1 - a) * self._value + a * probs
        self._t = t
        return self._value.copy()


class WindowSmoother:
    """Mean of the vectors seen in the last `window` seconds (the current one included)."""

    def __init__(self, window: float = 1.0):
        if window <= 0:
            raise ValueError("window must be positive")
        self.window = window
        self._items: deque[tuple[float, np.ndarray]] = deque()

    def update(self, t: float, probs: np.ndarray) -> np.ndarray:
        """The window mean after observing `probs` at time `t`."""
        self._items.append((t, np.asarray(probs, np.float64)))
        while self._items and self._items[0][0] <= t - self.window:
            self._items.popleft()
        return np.mean([p for _, p in self._items], axis=0)


def make_smoother(kind: str = "ema", *, half_life: float = 0.5, window: float = 1.0) -> EMASmoother | WindowSmoother:
    """ "ema" (half_life seconds) or "window" (mean over `window` seconds)."""
    if kind == "ema":
        return EMASmoother(half_life)
    if kind == "window":
        return WindowSmoother(window)
    raise ValueError(f"unknown smoothing {kind!r}; choose ema or window")


@dataclass(frozen=True)
class Dominant:
    """The held dominant emotion (None: none confident), its windowed probability and all windowed means."""

    emotion: str | None
    confidence: float
    means: dict[str, float]

    def to_dict(self) -> dict:
        return {
            "emotion": self.emotion,
            "confidence": round(self.confidence, 4),
            "means": {k: round(v, 4) for k, v in self.means.items()},
        }


class DominantTracker:
    """Windowed dominant emotion of a subset: switches in above `threshold`, out below `threshold - hysteresis`.

    A new emotion replaces the held one only when its windowed mean beats the held one's by `hysteresis`,
    so a flat or noisy signal does not flicker between labels.
    """

    def __init__(
        self,
        labels: Sequence[str],
        subset: Sequence[str] | None = None,
        *,
        window: float = 1.0,
        threshold: float = 0.5,
        hysteresis: float = 0.1,
    ):
        self.labels = tuple(labels)
        self.subset = tuple(subset) if subset else self.labels
        missing = [e for e in self.subset if e not in self.labels]
        if missing:
            raise ValueError(f"emotions {missing} are not among the model's {list(self.labels)}")
        if not 0 <= hysteresis <= threshold <= 1:
            raise ValueError("need 0 <= hysteresis <= threshold <= 1")
        self._index = [self.labels.index(e) for e in self.subset]
        self._window = WindowSmoother(window)
        self.threshold = threshold
        self.hysteresis = hysteresis
        self.current: str | None = None

    def update(self, t: float, probs: np.ndarray) -> Dominant:
        """Observe one probability vector (over `labels`) and return the held dominant emotion."""
        p = np.asarray(probs, np.float64)[self._index]
        p = p / max(p.sum(), 1e-12)
        mean = self._window.update(t, p)
        means = {e: float(v) for e, v in zip(self.subset, mean)}
        best = max(means, key=means.__getitem__)
        cur = self.current
        if cur is None:
            if means[best] >= self.threshold:
                self.current = best
        elif means[cur] < self.threshold - self.hysteresis:
            self.current = best if means[best] >= self.threshold else None
        elif best != cur and means[best] >= self.threshold and means[best] >= means[cur] + self.hysteresis:
            self.current = best
        held = self.current
        return Dominant(held, means[held] if held else means[best], means)
