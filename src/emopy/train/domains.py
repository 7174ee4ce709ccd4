"""The cross-domain scoreboard, the one judge of models: FER+ (people's judgement of in-the-wild faces), CK+48
(posed faces, never trained on) and FER2013's own labels, each with per-class recall.

Every model is scored as `FERModel` gives its probabilities to users (the card's temperature and prior correction),
on the datasets' own 48x48 crops. Validation columns (FER+ Valid, FER2013 PublicTest, CK+48) choose models; the
test columns (FER+ Test, FER2013 PrivateTest) are reported once. The summary is the mean of the FER+ Test and
CK+48 accuracies and the lowest recall of either.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..data import load_dataset
from ..data.folders import load_image_folders
from ..errors import DataError
from ..paths import default_data_dir
from ..predict.model import FERModel

CK_SIX = ("anger", "disgust", "fear", "happiness", "sadness", "surprise")  # CK+48 has no neutral; contempt apart
COLUMNS = {  # column: (dataset, split)
    "ferplus_valid": ("ferplus", "PublicTest"),
    "ferplus_test": ("ferplus", "PrivateTest"),
    "fer2013_valid": ("fer2013", "PublicTest"),
    "fer2013_test": ("fer2013", "PrivateTest"),
    "ckplus48": ("ckplus48", None),
}


@dataclass(frozen=True)
class Faces:
    """Labelled 48x48 crops of one column, and the emotions scored on it."""

    images: np.ndarray
    labels: tuple[str, ...]  # one canonical name per image
    emotions: tuple[str, ...]
    groups: np.ndarray | None = None  # CK+ subject of each image

    def indexed(self, labels: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The images whose label is one of `labels`, their label indices into `labels`, and their groups."""
        keep = np.isin(np.asarray(self.labels), labels)
        y = np.array([labels.index(e) for e in np.asarray(self.labels)[keep]], np.int64)
        return self.images[keep], y, None if self.groups is None else self.groups[keep]


@lru_cache(maxsize=2)
def load_columns(root: Path) -> dict[str, Faces]:
    """Every scoreboard column's faces, read once from the shared data folder `root`."""
    fer_csv, votes, ck = root / "fer2013/fer2013.csv.gz", root / "ferplus/fer2013new.csv", root / "ckplus48"
    missing = [str(p) for p in (fer_csv, votes, ck) if not p.exists()]
    if missing:
        raise DataError(f"the scoreboard needs FER2013, the FER+ votes and CK+48; missing: {', '.join(missing)}")
    sets = {"fer2013": load_dataset(fer_csv), "ferplus": load_dataset(fer_csv, ferplus_labels=votes)}
    out = {}
    for column, (name, split) in COLUMNS.items():
        if split is None:  # CK+48: image folders without splits
            ds = load_image_folders(ck).subset(CK_SIX)
        else:
            ds = sets[name].select_split(split)
        labels = tuple(ds.label_names[i] for i in ds.labels)
        out[column] = Faces(ds.images, labels, tuple(ds.label_names), ds.groups)
    return out


def recall_scores(truth: list[str], pred: list[str], emotions: tuple[str, ...]) -> dict:
    """Accuracy and per-class recall over `emotions` (classes absent from `truth` are left out)."""
    t, p = np.asarray(truth), np.asarray(pred)
    recall = {e: round(float((p[t == e] == e).mean()), 4) for e in emotions if (t == e).any()}
    return {"accuracy": round(float((t == p).mean()), 4) if len(t) else 0.0, "n": len(t), "recall": recall}


def score_column(model: FERModel, faces: Faces) -> dict:
    """One column: the model restricted to the emotions it shares with the data; faces of other labels excluded."""
    shared = tuple(e for e in faces.emotions if e in model.classifier.labels)
    keep = np.isin(np.asarray(faces.labels), shared)
    probs = model.subset(shared).classify(faces.images[keep])
    pred = [shared[i] for i in probs.argmax(1)]
    out = recall_scores([lab for lab, k in zip(faces.labels, keep) if k], pred, shared)
    out["excluded"] = int((~keep).sum())
    return out


def scoreboard(model: str | Path, root: str | Path | None = None, *, balance: float | None = None) -> dict:
    """Every column for `model` (a shipped name or .onnx path) as FERModel predicts (`balance`: None = the card's),
    and the summary: mean of FER+ Test and CK+48 accuracy, lowest recall of either."""
    fer = FERModel(None, model, balance=balance)
    columns = {name: score_column(fer, faces) for name, faces in load_columns(Path(root or default_data_dir())).items()}
    judged = (columns["ferplus_test"], columns["ckplus48"])
    return {
        "model": fer.classifier.card.name,
        "balance": fer.balance,
        "columns": columns,
        "summary": round(float(np.mean([c["accuracy"] for c in judged])), 4),
        "lowest_recall": min(r for c in judged for r in c["recall"].values()),
        "validation_summary": round((columns["ferplus_valid"]["accuracy"] + columns["ckplus48"]["accuracy"]) / 2, 4),
    }


def scoreboard_row(board: dict) -> str:
    """One Markdown table row: model, FER+ Valid/Test, CK+48 with its lowest recall, FER2013 Public/Private, summary."""
    c = board["columns"]
    ck = c["ckplus48"]
    weakest = min(ck["recall"], key=ck["recall"].get)
    return (
        f"| {board['model']} | {c['ferplus_valid']['accuracy']:.4f} | {c['ferplus_test']['accuracy']:.4f} | "
        f"{ck['accuracy']:.4f} | {weakest} {ck['recall'][weakest]:.2f} | {c['fer2013_valid']['accuracy']:.4f} | "
        f"{c['fer2013_test']['accuracy']:.4f} | {board['summary']:.4f} | {board['lowest_recall']:.2f} |"
    )


SCOREBOARD_HEADER = (
    "| model | FER+ Valid | FER+ Test | CK+48 | CK+48 weakest | FER2013 PublicTest | FER2013 PrivateTest | summary | "
    "lowest recall |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)
