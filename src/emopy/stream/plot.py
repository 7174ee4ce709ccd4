"""A video's emotions at a glance: smoothed probabilities over time and a band of the dominant emotion."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import require
from ..results import Line

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def timeline_figure(table: Sequence[Line], labels: Sequence[str], title: str = "") -> Figure:
    """Per emotion, the smoothed probability of the main track (most frames) over time, the legend right of the
    plot so it never hides a line; below it, the held dominant emotion as a coloured band. Needs matplotlib."""
    require("matplotlib", "plot")
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    tracks: dict[int, list[Line]] = {}
    for line in table:
        if line["face"] is not None:
            tracks.setdefault(line["face"], []).append(line)
    main = max(tracks.values(), key=len) if tracks else []
    colours = {e: colormaps["tab10"](i % 10) for i, e in enumerate(labels)}
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    ax, band = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [5, 1]})
    times = [line["time_s"] for line in main]
    for e in labels:
        ax.plot(times, [line[f"smoothed_{e}"] for line in main], label=e, color=colours[e], lw=1.6)
    ax.set_ylim(0, 1)
    ax.set_ylabel("smoothed probability")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0, fontsize=8)
    suffix = f" (face {main[0]['face']}, {len(tracks)} faces)" if main else " (no face found)"
    ax.set_title((title or "emotions over time") + suffix)
    for a, b in zip(main, main[1:] + main[-1:]):
        if a["dominant"]:
            band.axvspan(a["time_s"], max(b["time_s"], a["time_s"] + 1e-3), color=colours[a["dominant"]], lw=0)
    band.set_yticks([])
    band.set_ylabel("dominant", rotation=0, ha="right", va="center")
    band.set_xlabel("time (s)")
    return fig


def plot_timeline(table: Sequence[Line], labels: Sequence[str], path: str | Path, title: str = "") -> Path:
    """Write `timeline_figure` as a PNG at `path` (emopy video --plot). Needs matplotlib (emopy-fer[plot])."""
    path = Path(path)
    timeline_figure(table, labels, title).savefig(path, dpi=110)
    return path
