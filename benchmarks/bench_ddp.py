"""Data-parallel training throughput: `emopy train` in 1 process vs `--nproc N` (torchrun, gloo) on this machine.

  python benchmarks/bench_ddp.py [--arch vgg_small] [--images 4096] [--epochs 2] [--nproc 2]

Writes `--images` random 48x48 faces as class folders (throughput does not depend on content), trains each way
with the same total threads (N processes x 1 thread vs 1 process x N threads), and reports the images/s of the
last epoch from each run's metrics. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np


def write_folders(root: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    for i in range(n):
        folder = root / ("anger", "happy", "sad", "calm")[i % 4]
        folder.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / f"{i:05d}.png"), rng.integers(0, 256, (48, 48), dtype=np.uint8))


def train(data: Path, out: Path, arch: str, epochs: int, nproc: int, threads: int) -> float:
    cmd = [
        sys.executable,
        "-c",
        "from emopy.cli import main; main()",
        "train",
        "--arch",
        arch,
        "--data",
        str(data),
        "--out",
        str(out),
        "--epochs",
        str(epochs),
        "--set",
        f"threads={threads}",
        "--set",
        "export=false",
    ]
    if nproc > 1:
        cmd += ["--nproc", str(nproc)]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if res.returncode:
        raise SystemExit(res.stderr[-2000:])
    return json.loads((out / "metrics.json").read_text())[-1]["images_per_s"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="vgg_small")
    ap.add_argument("--images", type=int, default=4096)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--nproc", type=int, default=2)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        write_folders(data, a.images)
        single = train(data, Path(tmp) / "one", a.arch, a.epochs, 1, a.nproc)
        ddp = train(data, Path(tmp) / "ddp", a.arch, a.epochs, a.nproc, 1)
    print(
        json.dumps(
            {
                "arch": a.arch,
                "images": a.images,
                "single_process_threads": a.nproc,
                "single_images_per_s": single,
                "ddp_processes": a.nproc,
                "ddp_images_per_s": ddp,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
