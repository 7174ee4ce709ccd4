"""EmoPy's table: every emotion subset x every architecture, plus shipped models renormalised."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..emotions import resolve_many
from .plan import ARCHS, PUBLISHED_METHODS, PUBLISHED_SUBSET, SHIPPED, Settings, subset_key
from .scoring import classifier, score_ckplus, score_model, train_row
from .store import Row


def trained(emotions: tuple[str, ...], method: str, settings: Settings) -> Callable[[Path], dict]:
    """A row that trains `method` on the subset, then scores its ONNX export on CK+48 as well."""
    arch, kwargs = ARCHS[method]

    def go(folder: Path) -> dict:
        row = train_row(folder, settings, arch, kwargs, emotions)
        return {**row, **score_ckplus(classifier(row["onnx"], settings), settings, list(emotions))}

    return go


def renormalised(emotions: tuple[str, ...], model: str, settings: Settings) -> Callable[[Path], dict]:
    """A row that scores a shipped model over the subset only (probabilities renormalised, no training)."""
    return lambda folder: score_model(model, settings, list(emotions))


def plan_subsets(
    out: Path,
    settings: Settings,
    subsets: list[tuple[str, ...]],
    methods: list[str],
    shipped: tuple[str, ...] = SHIPPED,
) -> list[Row]:
    """The rows of every subset x (trained method, renormalised shipped model)."""
    rows = []
    trained_settings = settings.schedule
    for emotions in subsets:
        key = subset_key(emotions)
        meta = {"subset": list(emotions), "kind": "trained"}
        rows += [
            Row(
                f"subsets {key} {m}",
                out / "subsets" / key / m,
                trained_settings,
                trained(emotions, m, settings),
                {**meta, "method": m},
            )
            for m in methods
        ]
        meta["kind"] = "renormalised"
        rows += [
            Row(
                f"subsets {key} shipped {s}",
                out / "subsets" / key / f"shipped-{s}",
                {"limit": settings.limit},
                renormalised(emotions, s, settings),
                {**meta, "method": f"shipped {s} (renormalised)"},
            )
            for s in shipped
        ]
    return rows


def plan_published(out: Path, settings: Settings, methods: list[str], shipped: tuple[str, ...] = SHIPPED) -> list[Row]:
    """The rows of the subset EmoPy publishes numbers for, with those of `methods` it publishes them for."""
    return plan_subsets(
        out,
        settings,
        [tuple(resolve_many(list(PUBLISHED_SUBSET)))],
        [m for m in methods if m in PUBLISHED_METHODS],
        shipped,
    )
