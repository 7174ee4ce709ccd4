"""The `emopy` command line: one Typer app; each module here adds the commands of one area.

Commands only parse arguments and call library functions; heavy imports happen inside them.
"""

from __future__ import annotations

from . import batch, data, experiments, predict, serve, stream, train  # noqa: F401,E402  (importing registers the commands)
from ._app import app


def main() -> None:
    """Console-script entry point."""
    app()
