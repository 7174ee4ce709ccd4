"""The prediction path never imports PyTorch (or TensorFlow), checked in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ASSET = Path(__file__).resolve().parents[1] / "src" / "emopy" / "assets" / "astronaut.jpg"

CODE = f"""
import json, sys
from emopy import FERModel
m = FERModel(threads=1)
faces = m.predict({str(ASSET)!r})
import emopy.predict.files, emopy.predict.annotate, emopy.predict.bench, emopy.cli
heavy = sorted(k for k in sys.modules if k.split('.')[0] in ('torch', 'tensorflow', 'kornia', 'sklearn', 'matplotlib'))
print(json.dumps({{"heavy": heavy, "faces": len(faces)}}))
"""


def test_prediction_imports_no_torch():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["heavy"] == [] and res["faces"] == 1  # how fast it loads: `emopy bench` (benchmarks/RESULTS.md)
