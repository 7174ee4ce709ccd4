"""Throughput of `emopy batch`, local engine vs Ray, and Ray's per-task overhead, on this machine.

  python benchmarks/bench_batch.py [--images 400] [--tasks 200]

Writes `--images` 320x240 frames with one face (the shipped example photo, pasted at varied places and sizes)
to a temp folder, runs `emopy batch` on them with each engine as a user would (a fresh process, the time
including model loading and, for Ray, starting a local Ray), and times `--tasks` no-op Ray tasks. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT / "src" / "emopy" / "assets" / "astronaut.jpg"


def write_frames(folder: Path, n: int) -> None:
    face = cv2.imread(str(PHOTO))[40:220, 140:320]  # the face with some context
    rng = np.random.default_rng(0)
    for i in range(n):
        frame = np.full((240, 320, 3), int(rng.integers(40, 200)), np.uint8)
        side = int(rng.integers(110, 200))
        x, y = int(rng.integers(0, 320 - side)), int(rng.integers(0, 240 - side))
        frame[y : y + side, x : x + side] = cv2.resize(face, (side, side), interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(folder / f"f{i:05d}.jpg"), frame)


def run_engine(engine: str, folder: Path, out: Path) -> dict:
    cmd = [
        sys.executable,
        "-c",
        "from emopy.cli import main; main()",
        "batch",
        str(folder),
        "--out",
        str(out),
        "--engine",
        engine,
    ]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if res.returncode:
        raise SystemExit(res.stderr[-2000:])
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    return {
        "engine": engine,
        "images": summary["processed"],
        "wall_s": round(wall, 1),
        "images_per_s": round(summary["processed"] / wall, 1),
    }


def ray_task_overhead(tasks: int) -> dict:
    """Mean seconds per no-op remote task (submitted together, on a local Ray), and Ray's start time."""
    import ray

    t0 = time.perf_counter()
    ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
    start = time.perf_counter() - t0

    @ray.remote
    def noop(x):
        return x

    ray.get([noop.remote(i) for i in range(20)])  # warm the worker pool
    t0 = time.perf_counter()
    ray.get([noop.remote(i) for i in range(tasks)])
    per = (time.perf_counter() - t0) / tasks
    ray.shutdown()
    return {"ray_start_s": round(start, 1), "noop_tasks": tasks, "ms_per_task": round(per * 1000, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=400)
    ap.add_argument("--tasks", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "frames"
        folder.mkdir()
        write_frames(folder, args.images)
        results = [run_engine(e, folder, Path(tmp) / f"{e}.jsonl") for e in ("local", "ray")]
    print(json.dumps({"engines": results, "ray": ray_task_overhead(args.tasks)}, indent=1))


if __name__ == "__main__":
    main()
