"""Prediction figures for benchmarks/RESULTS.md.

python benchmarks/bench_predict.py speed   [--model default] [--detector auto]
    = `emopy bench --json`: classifier faces/s at batch 1 and 64, ms per 640x480 frame, import + load s.
python benchmarks/bench_predict.py margin  [--model default] [--data ../shared/data] [--limit 0]
    CK+48 accuracy on crops pasted into 640x480 frames (benchmarks/detection.py) for several crop
    margins, next to the accuracy on the original crops (no detection); on the emotions CK+48 and
    the model share. The margin with the best pasted-frame accuracy is the one to put in the card.
    Also, model-free: the mean correlation of each margin's aligned crop with the original crop
    (highest where detection + alignment reproduce the crops' own framing).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

MARGINS = (-0.1, -0.05, 0.0, 0.05, 0.1, 0.15, 0.2, 0.3)


def margin_accuracy(model: str, data: Path, limit: int, detector: str, seed: int = 0) -> dict:
    import cv2

    import detection as bench
    from emopy.emotions import resolve
    from emopy.predict import FERModel
    from emopy.predict.align import align_face

    cv2.setNumThreads(1)
    faces = bench.load_ckplus(data, limit)
    probe = FERModel(model=model, detector=detector)
    shared = [e for e in dict.fromkeys(resolve(label) for label, _ in faces) if e in probe.classifier.labels]
    fer = FERModel(shared, model=model, detector=detector)
    kept = [(resolve(label), f) for label, f in faces if resolve(label) in shared]
    truth = np.array([shared.index(label) for label, _ in kept])
    rng, bgs = np.random.default_rng(seed), bench.backgrounds()
    size = fer.classifier.card.image_size
    crops = {m: [] for m in MARGINS}
    found = np.zeros(len(kept), bool)
    for i, (_, face) in enumerate(kept):
        frame, gt = bench.paste(face, rng, bgs)
        dets = fer.detector.detect(frame)
        j = bench.match(dets, gt)
        if j is None:
            continue
        found[i] = True
        for m in MARGINS:
            crops[m].append(align_face(frame, dets[j], margin=m, size=size))
    direct = fer.predict_proba(np.stack([f for _, f in kept])).argmax(1)
    out = {
        "model": fer.classifier.card.name,
        "detector": fer.detector.name,
        "emotions": shared,
        "faces": len(kept),
        "detected": int(found.sum()),
        "card_face_margin": fer.classifier.card.face_margin,
        "accuracy_original_crops": round(float((direct == truth).mean()), 4),
        "accuracy_by_margin": {},
    }
    originals = np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for _, f in kept])[found]
    out["crop_correlation_by_margin"] = {}
    for m in MARGINS:
        pred = fer.classify(np.stack(crops[m])).argmax(1)
        out["accuracy_by_margin"][str(m)] = round(float((pred == truth[found]).mean()), 4)
        out["crop_correlation_by_margin"][str(m)] = round(
            float(np.mean([_ncc(a, b) for a, b in zip(crops[m], originals)])), 4
        )
    return out


def _ncc(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    a, b = a - a.mean(), b - b.mean()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=("speed", "margin"))
    p.add_argument("--model", default="default")
    p.add_argument("--detector", default="auto")
    p.add_argument("--data", default=os.environ.get("EMOPY_DATA", "../shared/data"))
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--seconds", type=float, default=3.0)
    args = p.parse_args()
    if args.what == "speed":
        from emopy.predict import bench

        res = bench.run(args.model, args.detector, None, args.seconds)
    else:
        res = margin_accuracy(args.model, Path(args.data), args.limit, args.detector)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
