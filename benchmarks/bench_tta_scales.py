"""Multi-scale ten-crop TTA: does averaging over face sizes beyond the trained one lift single models or their mix?

Run: python benchmarks/bench_tta_scales.py --models A.onnx B.onnx fer2013 [--scales 44 48 52 56]
Each 48x48 FER2013 face is resized to every scale; at each scale the model reads the centre and four corner
`input_size` windows and their mirrors (at 48 this is the ten-crop of `predict_proba`). Per combination of scales:
PublicTest and PrivateTest accuracy of each member and of the members' probability average.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import cv2
import numpy as np

from bench_ensemble import subsets, truth_of
from emopy.data import load_dataset
from emopy.predict.runtime import Classifier, with_temperature

HERE = Path(__file__).parent


def views(model: Classifier, faces: np.ndarray, size: int) -> list[np.ndarray]:
    """Probabilities of every window (centre, corners, mirrors) of the faces resized to `size`."""
    if size != faces.shape[-1]:
        interp = cv2.INTER_AREA if size < faces.shape[-1] else cv2.INTER_LINEAR
        faces = np.stack([cv2.resize(f, (size, size), interpolation=interp) for f in faces])
    crop = model.card.input_size
    m = size - crop
    offsets = [(m // 2, m // 2), (0, 0), (0, m), (m, 0), (m, m)] if m > 0 else [(0, 0)]
    out = []
    for oy, ox in offsets:
        x = faces[:, None, oy : oy + crop, ox : ox + crop].astype(np.float32)
        for v in (x, np.ascontiguousarray(x[..., ::-1])):
            batches = [model.session.run(None, {"pixels": v[i : i + 256]})[0] for i in range(0, len(v), 256)]
            out.append(np.concatenate(batches))
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--models", nargs="+", required=True)
    p.add_argument("--scales", nargs="+", type=int, default=[44, 48, 52, 56])
    p.add_argument(
        "--data", type=Path, default=Path(os.environ.get("EMOPY_DATA", HERE.parent.parent / "shared" / "data"))
    )
    args = p.parse_args()
    full = load_dataset(args.data / "fer2013/fer2013.csv.gz")
    models = [Classifier(m) for m in args.models]
    out: dict = {"models": [str(m.path) for m in models]}
    for split in ("PublicTest", "PrivateTest"):
        ds = full.select_split(split)
        truth = truth_of(ds, list(models[0].labels))
        cached = [{s: views(m, ds.images, s) for s in args.scales} for m in models]
        for combo in subsets(args.scales):
            probs = [
                with_temperature(np.mean([v for s in combo for v in c[s]], axis=0), m.card.temperature)
                for m, c in zip(models, cached)
            ]
            row = out.setdefault("+".join(map(str, combo)), {})
            row[split] = {
                "single": [round(float((pr.argmax(1) == truth).mean()), 4) for pr in probs],
                "ensemble": round(float((sum(probs).argmax(1) == truth).mean()), 4),
            }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
