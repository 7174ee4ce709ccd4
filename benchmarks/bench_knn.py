"""A memory member for the ensemble: k nearest Training faces in the members' feature space, mixed into their average.

Run: python benchmarks/bench_knn.py --models src/emopy/weights/vgg_wide.fer2013.int8.onnx WIDE_S3 fer2013
Each member's penultimate features (the input of its last linear layer, flip-averaged, L2-normalised) are
concatenated; a test face's class scores are its `k` most similar Training faces' labels, weighted by
exp((similarity - best similarity) / tau) (local learning on deep features, Georgescu et al. 2019). The mix is
mean(members' ten-crop probabilities) + lam * kNN scores. Which members feed the features and the average, and k,
tau and lam, are picked on PublicTest; the pick is scored on PrivateTest, on all faces and apart on the faces that
are near-copies of a Training face (pixel correlation > 0.995, about 8% of each test split), where recalling the
Training label is memory, not recognition.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from sklearn.neighbors import NearestNeighbors

from bench_ensemble import subsets, truth_of
from emopy.data import load_dataset
from emopy.predict.runtime import Classifier

HERE = Path(__file__).parent
SPLITS = ("Training", "PublicTest", "PrivateTest")
K_MAX = 200
GRID = {"k": (10, 50, 200), "tau": (0.003, 0.01, 0.03), "lam": (0.2, 0.3, 0.5, 0.7, 1.0)}
COPY = 0.995  # pixel correlation above which a test face counts as a copy of a Training face


@functools.cache
def _feature_session(path: Path, threads: int) -> tuple[ort.InferenceSession, str]:
    """A session of the model's graph with the input of its last Gemm as an extra output, and that tensor's name."""
    graph = onnx.load(str(path))
    name = [n for n in graph.graph.node if n.op_type == "Gemm"][-1].input[0]
    graph.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    return ort.InferenceSession(graph.SerializeToString(), opts, providers=["CPUExecutionProvider"]), name


def features(model: Classifier, faces: np.ndarray, batch: int = 512) -> np.ndarray:
    """Flip-averaged, L2-normalised input of the model's last Gemm (the penultimate features)."""
    session, name = _feature_session(model.path, model.session.get_session_options().intra_op_num_threads)
    x = model.preprocess(faces)
    views = (x, np.ascontiguousarray(x[..., ::-1]))
    f = sum(
        np.concatenate([session.run([name], {"pixels": v[i : i + batch]})[0] for i in range(0, len(v), batch)])
        for v in views
    )
    return f / np.linalg.norm(f, axis=1, keepdims=True).clip(1e-6)


def copies(train: np.ndarray, faces: np.ndarray, batch: int = 512) -> np.ndarray:
    """True where a face's pixels correlate above COPY with some Training face."""

    def z(x):
        x = x.reshape(len(x), -1).astype(np.float32)
        x -= x.mean(1, keepdims=True)
        return x / np.linalg.norm(x, axis=1, keepdims=True).clip(1e-6)

    t, q = z(train), z(faces)
    return np.concatenate([(q[i : i + batch] @ t.T).max(1) > COPY for i in range(0, len(q), batch)])


def knn_scores(sims: np.ndarray, labels: np.ndarray, k: int, tau: float, n_classes: int) -> np.ndarray:
    """Class scores from the k most similar neighbours (sims sorted descending, labels of those neighbours)."""
    w = np.exp((sims[:, :k] - sims[:, :1]) / tau)
    out = np.zeros((len(sims), n_classes))
    np.add.at(out, (np.arange(len(sims))[:, None], labels[:, :k]), w)
    return out / out.sum(1, keepdims=True)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--models", nargs="+", required=True)
    p.add_argument(
        "--data", type=Path, default=Path(os.environ.get("EMOPY_DATA", HERE.parent.parent / "shared" / "data"))
    )
    args = p.parse_args()
    full = load_dataset(args.data / "fer2013/fer2013.csv.gz")
    ds = {s: full.select_split(s) for s in SPLITS}
    models = [Classifier(m) for m in args.models]
    labels = models[0].labels
    if any(m.labels != labels for m in models):
        raise SystemExit("the models do not share one label list")
    truth = {s: truth_of(ds[s], labels) for s in SPLITS}
    feats = [{s: features(m, ds[s].images) for s in SPLITS} for m in models]
    probs = [{s: m.predict_proba(ds[s].images, tta="tencrop") for s in SPLITS[1:]} for m in models]

    def acc(scores, split, keep=slice(None)):
        return round(float((scores[keep].argmax(1) == truth[split][keep]).mean()), 4)

    best = (-1.0, None, None)
    for fs in subsets(range(len(models))):
        search = NearestNeighbors(n_neighbors=K_MAX, metric="cosine", algorithm="brute")
        search.fit(np.hstack([feats[i]["Training"] for i in fs]))
        near = {}
        for s in SPLITS[1:]:
            dist, idx = search.kneighbors(np.hstack([feats[i][s] for i in fs]))
            near[s] = (1.0 - dist, truth["Training"][idx])
        for k, tau in itertools.product(GRID["k"], GRID["tau"]):
            knn = knn_scores(*near["PublicTest"], k, tau, len(labels))
            for es, lam in itertools.product(subsets(range(len(models))), GRID["lam"]):
                mix = sum(probs[i]["PublicTest"] for i in es) / len(es) + lam * knn
                if (val := acc(mix, "PublicTest")) > best[0]:
                    best = (val, {"features": fs, "average": es, "k": k, "tau": tau, "lam": lam}, near["PrivateTest"])
    val, pick, near = best
    knn = knn_scores(*near, pick["k"], pick["tau"], len(labels))
    avg = sum(probs[i]["PrivateTest"] for i in pick["average"]) / len(pick["average"])
    mix = avg + pick["lam"] * knn
    every = sum(probs[i]["PrivateTest"] for i in range(len(models)))
    copy = copies(ds["Training"].images, ds["PrivateTest"].images)
    out = {
        "models": [f"{m.card.name} ({m.path})" for m in models],
        "picked_on_PublicTest": {**pick, "PublicTest": val},
        "PrivateTest": {
            "mix": acc(mix, "PrivateTest"),
            "knn_alone": acc(knn, "PrivateTest"),
            "average_alone": acc(avg, "PrivateTest"),
            "all_members_average": acc(every, "PrivateTest"),
        },
        "PrivateTest_copies": int(copy.sum()),
        "PrivateTest_without_copies": {
            "mix": acc(mix, "PrivateTest", ~copy),
            "average_alone": acc(avg, "PrivateTest", ~copy),
        },
        "PrivateTest_copies_only": {
            "mix": acc(mix, "PrivateTest", copy),
            "average_alone": acc(avg, "PrivateTest", copy),
        },
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
