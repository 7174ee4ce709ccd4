"""Knowledge distillation: blend each head's targets with the averaged predictions of teacher models.

Teachers are exported emopy models (shipped names or .onnx files) run once over every image with
flip TTA; a head learns from the teachers with its label set (a joint run: fer2013 teachers for the
fer2013 head, FER+ ones for the ferplus head), their raw (uncalibrated) probabilities averaged.
Training on `(1 - weight) * labels + weight * teachers` is distillation at temperature 1:
cross-entropy is linear in the target, so this equals the weighted sum of the two losses.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ConfigError
from ..predict.runtime import Classifier
from .tasks import Head


def teachers_for(teachers: Sequence[Classifier], labels: Sequence[str]) -> list[Classifier]:
    """The teachers of a head: those with exactly its label set, else those that predict all its labels."""
    exact = [t for t in teachers if set(t.labels) == set(labels)]
    covering = exact or [t for t in teachers if set(labels) <= set(t.labels)]
    if not covering:
        have = "; ".join(f"{t.card.name}: {list(t.labels)}" for t in teachers)
        raise ConfigError(f"no teacher predicts all of {list(labels)} ({have})")
    return covering


def teacher_probs(teachers: Sequence[Classifier], images: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """N x len(labels) mean flip-TTA probability of `teachers` over `images`, renormalised over `labels`."""
    total = np.zeros((len(images), len(labels)), np.float32)
    for clf in teachers:
        probs = clf.predict_proba(images, tta="flip", calibrated=False)
        part = probs[:, [clf.labels.index(lab) for lab in labels]]
        total += part / np.maximum(part.sum(1, keepdims=True), 1e-12)
    return total / len(teachers)


def distill_heads(heads: list[Head], images: np.ndarray, teachers: Sequence[str], weight: float) -> list[Head]:
    """`heads` whose targets are blended with the teachers' predictions (labelled images only); `weight` in (0, 1]
    as the recipe checks it."""
    if images.ndim != 3:
        raise ConfigError("distillation needs still images (N x H x W); sequence models are not supported")
    models = [Classifier(t) for t in teachers]
    out = []
    for h in heads:
        probs = teacher_probs(teachers_for(models, h.label_names), images, h.label_names)
        targets = np.where(h.mask[:, None], (1 - weight) * h.targets + weight * probs, h.targets).astype(np.float32)
        out.append(Head(h.name, h.label_names, targets, h.mask, h.labels))
    return out
