"""Ablations on the 7 FER2013 classes: augmentation on/off, and class-imbalance handling for disgust."""

from __future__ import annotations

from pathlib import Path

from .plan import ARCHS, Settings
from .scoring import train_row
from .store import Row

# name -> (what it tests, recipe fields changed, class merges); "default" is shared by both studies.
ABLATIONS: dict[str, tuple[str, dict, dict | None]] = {
    "default": ("augmentation crop,flip; no imbalance handling", {}, None),
    "no-augment": ("augmentation off", {"augment": []}, None),
    "balanced": (
        "class_weights=balanced (loss weighted by inverse class frequency)",
        {"regularisation.class_weights": "balanced"},
        None,
    ),
    "merge-disgust": ("disgust merged into anger (6 classes)", {}, {"disgust": "anger"}),
}


def plan_ablations(out: Path, settings: Settings, names: list[str], arch: str = "ConvolutionalNN") -> list[Row]:
    """The ablation rows for `arch` (a method of the subset study, e.g. TransferLearningNN with its weights, or
    any registered architecture)."""
    fixed = settings.schedule
    model, kwargs = ARCHS.get(arch, (arch, {}))
    rows = []
    for name in names:
        what, fields, merges = ABLATIONS[name]

        def go(folder: Path, fields=fields, merges=merges) -> dict:
            return train_row(folder, settings, model, kwargs, merges=merges, **fields)

        rows.append(
            Row(
                f"ablations {arch} {name}",
                out / "ablations" / arch / name,
                fixed,
                go,
                {"method": arch, "kind": name, "what": what},
            )
        )
    return rows
