"""Accuracy of the shipped models on the held-out test sets, as `emopy evaluate` measures it.

Writes benchmarks/accuracy.json, confusion-matrix PNGs under benchmarks/figures/, and prints
the markdown tables pasted into benchmarks/RESULTS.md.
Run: python benchmarks/bench_accuracy.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from emopy.train.evaluate import evaluate
from emopy.train.plots import plot_confusion

HERE = Path(__file__).parent
SHARED6 = "anger,disgust,fear,happiness,sadness,surprise"


def cases(data: Path) -> list[tuple[str, str, dict]]:
    fer, plus, ck = data / "fer2013/fer2013.csv.gz", data / "ferplus/fer2013new.csv", data / "ckplus48"
    return [
        ("default / FER+ Test (majority)", "default", dict(data=fer, ferplus_labels=plus, split="PrivateTest")),
        (
            "default / FER+ Test (majority), flip TTA",
            "default",
            dict(data=fer, ferplus_labels=plus, split="PrivateTest", tta=True),
        ),
        ("default / CK+48, 6 shared classes", "default", dict(data=ck, emotions=SHARED6)),
        ("default / FER2013 PrivateTest", "default", dict(data=fer, split="PrivateTest")),
        ("fer2013 / FER2013 PrivateTest", "fer2013", dict(data=fer, split="PrivateTest")),
        ("fer2013 / FER2013 PrivateTest, flip TTA", "fer2013", dict(data=fer, split="PrivateTest", tta=True)),
        ("fer2013 / CK+48, 6 shared classes", "fer2013", dict(data=ck, emotions=SHARED6)),
        ("ferplus / FER+ Test (majority)", "ferplus", dict(data=fer, ferplus_labels=plus, split="PrivateTest")),
        (
            "ferplus / FER+ Test (majority), flip TTA",
            "ferplus",
            dict(data=fer, ferplus_labels=plus, split="PrivateTest", tta=True),
        ),
        ("ferplus / CK+48, 6 shared classes", "ferplus", dict(data=ck, emotions=SHARED6)),
        ("ferplus / CK+48, 7 classes (with contempt)", "ferplus", dict(data=ck, emotions=SHARED6 + ",contempt")),
    ]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument(
        "--data", type=Path, default=Path(os.environ.get("EMOPY_DATA", HERE.parent.parent / "shared" / "data"))
    )
    args = p.parse_args()
    (HERE / "figures").mkdir(exist_ok=True)
    results = {}
    print("| model / test set | n | accuracy | macro F1 | excluded |\n| --- | --- | --- | --- | --- |")
    for title, model, kw in cases(args.data):
        r = evaluate(model, **kw)
        results[title] = r
        print(f"| {title} | {r['n']} | {r['accuracy']:.4f} | {r['macro_f1']:.4f} | {r['excluded']['n']} |")
        if not kw.get("tta"):
            slug = (
                title.split(",")[0]
                .replace(" / ", "_")
                .replace(" ", "_")
                .replace("+", "plus")
                .replace("(", "")
                .replace(")", "")
            )
            plot_confusion(
                r["confusion_matrix"],
                r["labels"],
                HERE / "figures" / f"confusion_{slug}.png",
                f"{title}: {r['accuracy']:.3f}",
            )
    (HERE / "accuracy.json").write_text(json.dumps(results, indent=1))
    for title, r in results.items():
        if "TTA" in title:
            continue
        print(f"\n{title} — per class\n\n| class | precision | recall | support |\n| --- | --- | --- | --- |")
        for label, row in r["per_class"].items():
            print(f"| {label} | {row['precision']:.3f} | {row['recall']:.3f} | {row['support']} |")


if __name__ == "__main__":
    main()
