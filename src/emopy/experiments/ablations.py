"""Ablations on the 7 FER2013 classes: augmentation on/off, and class-imbalance handling for disgust."""

from __future__ import annotations

from pathlib import Path

from .plan import Settings
from .scoring import train_row
from .store import Row

# name -> (what it tests, TrainConfig changes, class merges); "default" is shared by both studies.
ABLATIONS: dict[str, tuple[str, dict, dict | None]] = {
    "default": ("augmentation crop,flip; no imbalance handling", {}, None),
    "no-augment": ("augmentation off", {"augment": ()}, None),
    "balanced": (
        "class_weights=balanced (loss weighted by inverse class frequency)",
        {"class_weights": "balanced"},
        None,
    ),
    "merge-disgust": ("disgust merged into anger (6 classes)", {}, {"disgust": "anger"}),
}


def plan_ablations(out: Path, settings: Settings, names: list[str], arch: str = "ConvolutionalNN") -> list[Row]:
    """The ablation rows for `arch`."""
    fixed = {"epochs": settings.epochs, "limit": settings.limit}
    rows = []
    for name in names:
        what, config, merges = ABLATIONS[name]

        def go(folder: Path, config=config, merges=merges) -> dict:
            return train_row(folder, settings, arch, merges=merges, **config)

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
