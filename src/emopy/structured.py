"""Settings files people write (training recipes, stories): JSON or YAML read with the place of a syntax error, and
pydantic's complaints listed one per line by field path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails


def read_mapping(path: Path, what: str, error: type[Exception]) -> Any:
    """The parsed content of a .json file, or of a YAML one (any other suffix); `error` names the file and problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: cannot read {what} file ({exc.strerror})") from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        import yaml

        return yaml.safe_load(text)
    except Exception as exc:  # json / yaml syntax errors carry the line
        raise error(f"{path}: not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: {exc}") from None


def field_errors(exc: ValidationError, explain: Callable[[ErrorDetails], str | None] = lambda _: None) -> list[str]:
    """One "field.path: problem" line per error (a whole-object check names its fields itself); `explain` may
    replace an error's message (e.g. name the closest real field)."""
    lines = []
    for e in exc.errors():
        where = ".".join(str(p) for p in e["loc"])
        msg = explain(e) or e["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {msg}" if where else msg)
    return lines
