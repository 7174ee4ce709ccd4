"""Int8 quantisation of an exported model (onnxruntime static QDQ, per-channel weights).

The quantised file keeps the emopy card (name suffixed `.int8`, metrics cleared until they
are measured again), so it loads and evaluates like any emopy model.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from ..errors import require
from ..modelcard import CARD_KEY, FORMAT_KEY, FORMAT_VERSION
from ..predict.runtime import Classifier
from .export import file_sha256


def quantize_model(src: str | Path, dst: str | Path, calibration: np.ndarray, batch: int = 64) -> Path:
    """Write an int8 copy of `src` to `dst`, calibrated on face crops `calibration` (N x H x W uint8)."""
    q = require("onnxruntime.quantization", "train")
    onnx = require("onnx", "train")
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
        q.quantize_static(str(prepared), str(dst), Reader(), quant_format=q.QuantFormat.QDQ, per_channel=True,
                          activation_type=q.QuantType.QUInt8, weight_type=q.QuantType.QInt8)
    card = replace(clf.card, name=f"{clf.card.name}.int8", metrics={},
                   training={**clf.card.training, "quantized": f"int8 static QDQ, per-channel, {len(x)} calibration faces"})
    proto = onnx.load(str(dst))
    del proto.metadata_props[:]
    for key, value in ((FORMAT_KEY, str(FORMAT_VERSION)), (CARD_KEY, card.to_json())):
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(dst))
    sidecar = asdict(card) | {"file": dst.name, "file_sha256": file_sha256(dst)}
    dst.with_suffix(".json").write_text(json.dumps(sidecar, indent=1, sort_keys=True) + "\n")
    return dst
