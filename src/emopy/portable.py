"""Paths as files meant for other people show them: the home folder as `~`, never this machine's absolute path."""

from __future__ import annotations

from pathlib import Path


def portable(text: str | Path) -> str:
    """`text` with this user's home folder written as `~` (a path, or a command line holding paths)."""
    home = str(Path.home())
    s = str(text)
    return s.replace(home + "/", "~/") if home not in ("/", "") else s
