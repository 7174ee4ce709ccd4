"""The CLI run as a user without some packages installed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# recipe fields of a quick training smoke run: small batches, one thread, no ONNX export
QUICK = ("--set", "optimisation.batch_size=16", "--set", "threads=1", "--set", "export=false")

ABSENT = """
import sys
from importlib.machinery import PathFinder
class Absent(PathFinder):  # the path finder, blind to {modules!r}: as if they were not installed
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        return None if name.split(".")[0] in {modules!r} else super().find_spec(name, path, target)
sys.meta_path[:] = [Absent if f is PathFinder else f for f in sys.meta_path]
"""


def run_without(modules: list[str], *args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run `emopy *args` in a fresh interpreter in which `modules` cannot be found, as if not installed."""
    code = ABSENT.format(modules=set(modules)) + (
        f"from emopy.cli import main\nsys.argv = ['emopy', *{[str(a) for a in args]!r}]\nmain()"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=cwd)
