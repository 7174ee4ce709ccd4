"""The CLI as a user without an optional dependency runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_without(modules: list[str], *args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run `emopy *args` in a fresh interpreter in which `modules` cannot be imported."""
    code = (
        f"import sys\nfor m in {modules!r}: sys.modules[m] = None\n"
        f"from emopy.cli import main\nsys.argv = ['emopy', *{list(map(str, args))!r}]\nmain()"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=cwd)
