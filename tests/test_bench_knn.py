"""The kNN ensemble member of benchmarks/bench_knn.py: neighbour voting and the features it reads out of a model."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
bench = pytest.importorskip("bench_knn")

from emopy.predict.runtime import Classifier  # noqa: E402


def test_knn_scores_weigh_neighbours_by_similarity():
    sims = np.array([[0.9, 0.89, 0.5], [0.9, 0.89, 0.5]])
    labels = np.array([[2, 0, 1], [2, 0, 1]])
    sharp = bench.knn_scores(sims[:1], labels[:1], k=3, tau=0.001, n_classes=4)[0]
    assert sharp.argmax() == 2 and sharp[2] > 0.99  # a small tau keeps only the nearest face
    flat = bench.knn_scores(sims, labels, k=2, tau=100.0, n_classes=4)
    np.testing.assert_allclose(flat, [[0.5, 0, 0.5, 0]] * 2, atol=1e-3)  # a large one: the k nearest vote equally
    np.testing.assert_allclose(bench.knn_scores(sims, labels, k=3, tau=0.05, n_classes=4).sum(1), 1.0)


def test_features_are_normalised_mirror_invariant_and_tell_faces_apart():
    model = Classifier("fer2013", threads=1)
    rng = np.random.default_rng(0)
    faces = rng.integers(0, 256, (3, 48, 48), dtype=np.uint8)
    f = bench.features(model, faces)
    assert f.shape == (3, 512)  # vgg_wide: 512 features before its head
    np.testing.assert_allclose(np.linalg.norm(f, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(bench.features(model, faces[:, :, ::-1]), f, atol=1e-5)  # flip-averaged
    assert (f @ f.T)[~np.eye(3, dtype=bool)].max() < 0.999
