"""Time and peak memory of loading all of FER2013 (and FER+), for benchmarks/RESULTS.md.

Run: python benchmarks/bench_data.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

CHILD = """
import json, resource, sys, time
t = time.perf_counter()
from emopy.data import load_dataset
ds = load_dataset(sys.argv[1], ferplus_labels=sys.argv[2] if len(sys.argv) > 2 else None)
print(json.dumps({"seconds": round(time.perf_counter() - t, 2), "images": len(ds),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
"""


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=os.environ.get("EMOPY_DATA", "../shared/data"))
    args = p.parse_args()
    fer = os.path.join(args.data, "fer2013", "fer2013.csv.gz")
    plus = os.path.join(args.data, "ferplus", "fer2013new.csv")
    for name, argv in (("fer2013", [fer]), ("ferplus", [fer, plus])):
        out = subprocess.run([sys.executable, "-c", CHILD, *argv], capture_output=True, text=True, check=True)
        print(name, out.stdout.strip())


if __name__ == "__main__":
    main()
