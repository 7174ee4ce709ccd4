"""Row folders and their `result.json`: a finished row is reused, a new one is timed and stored."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError

RESULT = "result.json"
CURVE = "metrics.json"


@dataclass(frozen=True)
class Row:
    """One row to run: a label for the log, its folder, the settings it must match, the work, stored extras."""

    label: str
    folder: Path
    settings: dict
    fn: Callable[[Path], dict]
    meta: dict = field(default_factory=dict)


def stored(row: Row) -> dict | None:
    """The finished result of `row`, None if it has none; raises when it was made with other settings."""
    path = row.folder / RESULT
    if not path.exists():
        return None
    result = json.loads(path.read_text())
    if result.get("settings") != row.settings:
        raise ConfigError(
            f"{path} was made with {result.get('settings')}, not {row.settings}; use another --out "
            "or delete that folder to redo the row"
        )
    return result


def execute(row: Row) -> dict:
    """Do the row's work, timed, and store its result (atomically)."""
    row.folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    result = row.fn(row.folder)
    result.update(row.meta, settings=row.settings, wall_s=round(time.perf_counter() - t0, 1), folder=str(row.folder))
    tmp = row.folder / (RESULT + ".tmp")
    tmp.write_text(json.dumps(result, indent=1))
    os.replace(tmp, row.folder / RESULT)
    return result


def run_rows(
    rows: list[Row], log: Callable[[str], None] = print, warn: Callable[[str], None] = print
) -> tuple[list[dict], list[str]]:
    """(results, failed labels): settings are checked for all rows first; a finished or reused row is logged to
    `log`, a failing one to `warn` and skipped (nothing is stored for it, so no report shows it)."""
    done = {r.label: stored(r) for r in rows}
    results, failed = [], []
    for r in rows:
        result, verb = done[r.label], "reused"
        if result is None:
            try:
                result, verb = execute(r), "done"
            except Exception as exc:  # one broken row must not stop hours of others; it is retried next run
                warn(f"failed {r.label}: {type(exc).__name__}: {exc}")
                failed.append(r.label)
                continue
        log(f"{verb} {r.label}: PrivateTest acc {result['test']['accuracy']:.3f}, {result['wall_s']} s")
        results.append(result)
    return results, failed


def load_rows(out: Path, table: str) -> list[dict]:
    """Every stored row of one table (subsets, baselines, ablations) under the run root; a trained row's learning
    curve (its `metrics.json`, one dict per epoch) comes with it as `curve`."""
    rows = []
    for path in sorted((Path(out) / table).glob(f"**/{RESULT}")):
        row = json.loads(path.read_text())
        curve = path.with_name(CURVE)
        if curve.is_file():
            row["curve"] = json.loads(curve.read_text())
        rows.append(row)
    return rows
