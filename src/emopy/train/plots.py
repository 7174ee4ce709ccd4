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


def plot_confusion(cm: list[list[int]], labels: list[str], path: Path, title: str = "") -> Path:
    """Row-normalised confusion matrix (rows true, columns predicted) with counts."""
    plt = _plt()
    m = np.asarray(cm, dtype=float)
    norm = m / np.maximum(m.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1 + 0.8 * len(labels), 0.8 + 0.8 * len(labels)))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, f"{norm[i, j]:.2f}\n{int(m[i, j])}", ha="center", va="center", fontsize=7,
                    color="white" if norm[i, j] > 0.5 else "black")
    ax.set(xlabel="predicted", ylabel="true", title=title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
