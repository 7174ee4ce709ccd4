"""Int8 quantisation of an exported model (onnxruntime static QDQ, per-channel weights).

The quantised file keeps the emopy card (name suffixed `.int8`, metrics measured again on the
given validation/test data), so it loads and evaluates like any emopy model.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..cards import write_card
from ..data.dataset import Dataset
from ..errors import EmopyError, require
from ..predict.runtime import Classifier
from .evaluate import measure_card


def float_head(path: Path) -> list[str]:
    """Names of the last Gemm (the classifier head) and every node after it: they stay float, so the logits keep
    their precision (a fused model's log-probability arithmetic too) at no cost in speed."""
    onnx = require("onnx", "train")
    nodes = onnx.load(str(path)).graph.node
    gemms = [i for i, n in enumerate(nodes) if n.op_type == "Gemm"]
    if not gemms:
        return []
    tensors, names = set(nodes[gemms[-1]].output), [nodes[gemms[-1]].name]
    for n in nodes[gemms[-1] + 1 :]:  # ONNX lists nodes in topological order
        if tensors.intersection(n.input):
            tensors.update(n.output)
            names.append(n.name)
    return names


CALIBRATION_METHODS = ("minmax", "percentile")


def check_method(method: str) -> str:
    """`method` if it names a calibration method, else a clear error (before any data is loaded)."""
    if method not in CALIBRATION_METHODS:
        raise EmopyError(f"unknown calibration method {method!r}; choose one of {', '.join(CALIBRATION_METHODS)}")
    return method


def quantize_model(
    src: str | Path,
    dst: str | Path,
    calibration: np.ndarray,
    batch: int = 64,
    val: Dataset | None = None,
    test: Dataset | None = None,
    method: str = "minmax",
) -> Path:
    """Write an int8 copy of `src` to `dst`, calibrated on face crops `calibration` (N x H x W uint8).

    `method`: activation ranges from the calibration faces' "minmax", or their 99.99th "percentile" (clips
    outliers). With `val`/`test`, the copy's card gets its own measured metrics (as `emopy train` records them).
    """
    check_method(method)
    require("onnxruntime.quantization", "train")
    from onnxruntime import quantization as q

    clf = Classifier(src)
    x = clf.preprocess(calibration)
    batches = iter([{"pixels": x[i : i + batch]} for i in range(0, len(x), batch)])

    class Reader(q.CalibrationDataReader):
        def get_next(self):
            return next(batches, None)

    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        q.quant_pre_process(str(clf.path), str(prepared))
        head = float_head(prepared)
        q.quantize_static(
            str(prepared),
            str(dst),
            Reader(),
            quant_format=q.QuantFormat.QDQ,
            per_channel=True,
            activation_type=q.QuantType.QUInt8,
            weight_type=q.QuantType.QInt8,
            reduce_range=True,
            calibrate_method=q.CalibrationMethod.Percentile if method == "percentile" else q.CalibrationMethod.MinMax,
            extra_options={"CalibPercentile": 99.99},
            nodes_to_exclude=head,
        )  # 7-bit weights: no u8s8 overflow on CPUs without VNNI (AVX2)
    card = replace(
        clf.card,
        name=f"{clf.card.name}.int8",
        metrics={},
        temperature=1.0,
        reference={},
        training={
            **clf.card.training,
            "quantized": f"int8 static QDQ, per-channel, {len(x)} calibration faces, {method} ranges",
        },
    )
    write_card(dst, card)
    measure_card(dst, val, test)
    return dst
