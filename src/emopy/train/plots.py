"""Training curves and confusion-matrix figures (matplotlib, written as PNG)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import require


def _plt():
    mpl = require("matplotlib", "train")
    mpl.use("Agg")
    return require("matplotlib.pyplot", "train")


def plot_curves(history: list[dict], path: Path) -> Path:
    """Training loss and validation accuracy per epoch."""
    plt = _plt()
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = [r["epoch"] for r in history]
    a.plot(epochs, [r["train_loss"] for r in history])
    a.set(xlabel="epoch", ylabel="training loss", title="loss")
    for key in sorted({k for r in history for k in r if k.startswith("val_acc_")}):
        b.plot(epochs, [r.get(key) for r in history], label=key.removeprefix("val_acc_"))
    b.set(xlabel="epoch", ylabel="validation accuracy", title="validation accuracy")
    b.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _draw_confusion(ax, cm: list[list[int]], labels: list[str], title: str = "") -> None:
    """Draw a row-normalised confusion matrix with counts on one axis."""
    m = np.asarray(cm, dtype=float)
    norm = m / np.maximum(m.sum(1, keepdims=True), 1)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(
                j,
                i,
                f"{norm[i, j]:.2f}\n{int(m[i, j])}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if norm[i, j] > 0.5 else "black",
            )
    ax.set(xlabel="predicted", ylabel="true")
    ax.set_title(title, fontsize=9)


def plot_confusion(cm: list[list[int]], labels: list[str], path: Path, title: str = "") -> Path:
    """Row-normalised confusion matrix (rows true, columns predicted) with counts."""
    return plot_confusion_grid([[(cm, labels, title)]], path)


def plot_confusion_grid(grid: list[list[tuple | None]], path: Path) -> Path:
    """Confusion matrices side by side: grid[row][col] = (cm, labels, title), or None for an empty cell."""
    plt = _plt()
    rows, cols = len(grid), max(len(r) for r in grid)
    n = max(len(cell[1]) for r in grid for cell in r if cell)
    side = 0.8 + 0.8 * n
    fig, axes = plt.subplots(rows, cols, figsize=(side * cols + 0.2, side * rows), squeeze=False)
    for r, row in enumerate(grid):
        for c in range(cols):
            cell = row[c] if c < len(row) else None
            if cell is None:
                axes[r][c].axis("off")
            else:
                _draw_confusion(axes[r][c], *cell)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
