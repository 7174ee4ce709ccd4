"""docs/experiments.md and its confusion-matrix figures, rendered from the stored rows."""

from __future__ import annotations

import os
from pathlib import Path

from ..portable import portable
from ..train.plots import plot_confusion_grid
from .ablations import ABLATIONS
from .baselines import METHODS
from .plan import ARCHS, EMOPY_PUBLISHED, PUBLISHED_SUBSET, SEVEN, SHIPPED, SUBSETS, subset_key
from .store import load_rows

PROTOCOL = (
    "FER2013 protocol: trained on Training (restricted to the row's classes), model selected on PublicTest "
    "(best epoch), accuracy reported on PrivateTest. CK+48 is never trained on: its images of the row's "
    "classes score cross-dataset transfer (CK+48 has no neutral/calm images, so a calm class is scored on FER2013 "
    "only)."
)


def _num(x) -> str:
    return "–" if x is None else f"{x:.3f}"


def _order(row: dict) -> tuple:
    keys = [subset_key(s) for s in (*SUBSETS, PUBLISHED_SUBSET)]
    methods = list(ARCHS) + [f"shipped {s} (renormalised)" for s in SHIPPED]
    key = subset_key(row["subset"])
    return (
        keys.index(key) if key in keys else len(keys),
        key,
        methods.index(row["method"]) if row["method"] in methods else len(methods),
        row["method"],
    )


def _ck_cell(row: dict) -> str:
    ck = row.get("ckplus")
    if not ck:
        return "–"
    missing = row.get("ckplus_missing") or []
    note = f"; no {', '.join('neutral (calm)' if m == 'neutral' else m for m in missing)} images" if missing else ""
    return f"{_num(ck['accuracy'])} (n={ck['n']}{note})"


def _seconds(s: float) -> str:
    return f"{s:.1f} s" if s < 10 else f"{s:.0f} s" if s < 3600 else f"{s / 3600:.2f} h"


def _compute(row: dict) -> str:
    """Wall time of the row, and of its training epochs where it trained."""
    if "epochs_run" not in row:
        return _seconds(row["wall_s"])
    return f"{_seconds(row['wall_s'])} ({row['epochs_run']} epoch(s), training {_seconds(row['train_s'])})"


def _by(rows: list[dict], order, field: str = "kind") -> list[dict]:
    """Rows sorted by the position of `field` in `order` (unknown values last)."""
    order = list(order)
    return sorted(rows, key=lambda r: (order.index(r[field]) if r[field] in order else len(order), str(r[field])))


def subset_figure(key: str, rows: list[dict], folder: Path) -> Path:
    """One PNG per subset: a row per method, FER2013 PrivateTest beside CK+48."""
    grid = []
    for r in rows:
        labels = r["test"]["labels"]
        fer = (
            r["test"]["confusion_matrix"],
            labels,
            f"{r['method']}\nFER2013 PrivateTest acc {r['test']['accuracy']:.3f}",
        )
        ck = r.get("ckplus")
        grid.append(
            [fer, (ck["confusion_matrix"], labels, f"{r['method']}\nCK+48 acc {ck['accuracy']:.3f}") if ck else None]
        )
    folder.mkdir(parents=True, exist_ok=True)
    return plot_confusion_grid(grid, folder / f"subset-{key}.png")


def subsets_section(rows: list[dict], docs: Path) -> list[str]:
    lines = [
        "## EmoPy's emotion subsets",
        "",
        PROTOCOL,
        "",
        "EmoPy's column is its published validation accuracy (its own data and split, so a pointer, not a "
        "like-for-like "
        'comparison; all EmoPy publishes is in the next section): "not published" where EmoPy gives no number. '
        "TransferLearningNN starts from the backbone of our shipped FER+ model (trained on these Training images' "
        "FER+ votes; no ImageNet weights can be downloaded here), frozen, with a new head. Renormalised rows score a "
        "shipped 7/8-class model over the subset only, without training.",
        "",
        "| subset | method | EmoPy (val) | PublicTest acc | PrivateTest acc | PrivateTest macro F1 | CK+48 acc | "
        "compute |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    figures = []
    rows = sorted(rows, key=_order)
    for key in dict.fromkeys(subset_key(r["subset"]) for r in rows):
        mine = [r for r in rows if subset_key(r["subset"]) == key]
        for r in mine:
            published = EMOPY_PUBLISHED.get((key, r["method"]))
            lines.append(
                f"| {', '.join(r['subset'])} | {r['method']} | {_num(published[1]) if published else 'not published'} "
                f"| {_num((r.get('val') or {}).get('accuracy'))} | {_num(r['test']['accuracy'])} | "
                f"{_num(r['test']['macro_f1'])} "
                f"| {_ck_cell(r)} | {_compute(r)} |"
            )
        path = subset_figure(key, mine, docs / "figures")
        figures.append(f"- {', '.join(mine[0]['subset'])}: [{path.name}](figures/{path.name})")
    return (
        lines
        + ["", "Confusion matrices (rows true, columns predicted; FER2013 PrivateTest left, CK+48 right):", ""]
        + figures
    )


def baselines_section(rows: list[dict]) -> list[str]:
    lines = [
        "## Classical baselines (7 classes)",
        "",
        "Fixed features + linear SVM (standardised features, LinearSVC; C chosen on PublicTest), FER2013 Training -> "
        "PrivateTest.",
        "",
        "| method | features | chosen C | PublicTest acc | PrivateTest acc | PrivateTest macro F1 | compute |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in _by(rows, METHODS):
        lines.append(
            f"| {r['method']} | {r['feature_dim']} | {r['chosen_C']} | {_num(r['val']['accuracy'])} "
            f"| {_num(r['test']['accuracy'])} | {_num(r['test']['macro_f1'])} | {_compute(r)} |"
        )
    return lines


def _recall(row: dict, label: str) -> str:
    per = row["test"]["per_class"]
    return _num(per[label]["recall"]) if label in per else "merged into anger"


def ablations_section(rows: list[dict]) -> list[str]:
    lines = [
        "## Ablations (7 FER2013 classes)",
        "",
        "`default` (augmentation crop,flip, no imbalance handling) is the reference of both studies: augmentation "
        "(`no-augment`) and disgust's class imbalance (`balanced`, `merge-disgust`). A merged row is scored on 6 "
        "classes.",
        "",
        "| arch | row | change | PrivateTest acc | PrivateTest macro F1 | disgust recall | anger recall | compute |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in sorted(_by(rows, ABLATIONS), key=lambda r: r["method"]):
        lines.append(
            f"| {r['method']} | {r['kind']} | {r['what']} | {_num(r['test']['accuracy'])} | "
            f"{_num(r['test']['macro_f1'])} "
            f"| {_recall(r, 'disgust')} | {_recall(r, 'anger')} | {_compute(r)} |"
        )
    return lines


def _ours(key: str, method: str, tables: dict[str, list[dict]]) -> list[str]:
    """Our PrivateTest accuracies for an EmoPy (subset, model) entry: same-classes rows of the same method."""
    rows = [r for r in tables["subsets"] if subset_key(r["subset"]) == key and r["method"] == method]
    if key == SEVEN:  # the 7-class rows are the ablations' reference rows
        rows += [r for r in tables["ablations"] if r["method"] == method and r["kind"] == "default"]
    return [f"{r['method']} {_num(r['test']['accuracy'])}" for r in rows]


def published_section(tables: dict[str, list[dict]]) -> list[str]:
    """Every number EmoPy's README publishes, with our measured rows of the same classes and method."""
    lines = [
        "## EmoPy's published numbers beside ours",
        "",
        "EmoPy's write-up (ThoughtWorks Arts blog, 2018: FER+ images of its own selection, its own random "
        "validation split and schedule, augmentation on) and its README (5,000 FER+ images, random validation "
        "split) publish these. Ours: FER2013 Training, selected on PublicTest, scored on PrivateTest.",
        "",
        "| EmoPy model | classes | EmoPy training acc | EmoPy validation acc | ours (PrivateTest acc) |",
        "| --- | --- | --- | --- | --- |",
    ]
    shipped = [r for r in tables["subsets"] if r["kind"] == "renormalised"]
    for (key, method), (train_acc, val_acc) in EMOPY_PUBLISHED.items():
        ours = _ours(key, method, tables)
        if key == SEVEN:
            ours.append("shipped fer2013 (vgg_small, 40 epochs) 0.709, see benchmarks/RESULTS.md")
        else:
            ours += [f"{r['method']} {_num(r['test']['accuracy'])}" for r in shipped if subset_key(r["subset"]) == key]
        classes = "7 (all)" if key == SEVEN else key.replace("-", ", ")
        lines.append(
            f"| {method} | {classes} | {_num(train_acc)} | {_num(val_acc)} | "
            f"{'; '.join(ours) or 'no row of ours yet'} |"
        )
    return lines


def compute_section(tables: dict[str, list[dict]]) -> list[str]:
    lines = [
        "## Compute",
        "",
        f"Wall seconds per row are in the tables (CPU machine with {os.cpu_count()} cores; "
        "training rows include data loading, ONNX export and scoring). A row that was interrupted and resumed shows "
        "the wall time of its last part; its training time sums every epoch.",
        "",
    ]
    return lines + [
        f"- {name}: {len(rows)} rows, {_seconds(sum(r['wall_s'] for r in rows))}"
        for name, rows in tables.items()
        if rows
    ]


def write_report(out: Path, docs: Path) -> Path:
    """Render docs/experiments.md (and docs/figures/subset-*.png) from the rows stored under `out`."""
    tables = {name: load_rows(out, name) for name in ("subsets", "baselines", "ablations")}
    docs.mkdir(parents=True, exist_ok=True)
    limits = sorted({r["settings"]["limit"] for rows in tables.values() for r in rows if r["settings"].get("limit")})
    lines = [
        "# Experiments: EmoPy's tables reproduced",
        "",
        f"Generated by `emopy experiments report` from the rows stored in `{portable(out)}`; rerun `emopy "
        "experiments run ...` "
        "to add rows (finished rows are reused).",
        "",
    ]
    if limits:
        lines += [
            f"**Smoke run: only the first {', '.join(map(str, limits))} images per split were used. "
            "These numbers are not results.**",
            "",
        ]
    epochs = sorted({r["settings"]["epochs"] for rows in tables.values() for r in rows if "epochs" in r["settings"]})
    if epochs:
        lines += [
            f"Every trained row ran {' or '.join(map(str, epochs))} epochs of the emopy trainer's defaults (SGD with "
            "Nesterov momentum, one-cycle learning rate peaking at 0.05, batch 64, label smoothing 0.1, crop+flip "
            "augmentation): a short schedule chosen to fit the whole study on 2 CPU cores. Architectures without "
            "batch norm (ConvolutionalNN) are still improving at the last epoch, so their rows understate what a "
            "longer schedule reaches; each row's `metrics.json` under the run folder has its learning curve.",
            "",
        ]
    if tables["subsets"]:
        lines += subsets_section(tables["subsets"], docs) + [""]
    if any(tables.values()):
        lines += published_section(tables) + [""]
    if tables["baselines"]:
        lines += baselines_section(tables["baselines"]) + [""]
    if tables["ablations"]:
        lines += ablations_section(tables["ablations"]) + [""]
    lines += compute_section(tables)
    path = docs / "experiments.md"
    path.write_text("\n".join(lines) + "\n")
    return path
