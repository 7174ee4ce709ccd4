"""`emopy video` and `emopy story`: emotions over video, and emotion-branching stories played headless."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from ._app import DetectorOpt, DeviceOpt, EmotionsOpt, app, fail

story_app = typer.Typer(help="Branching stories driven by the viewer's dominant emotion.", no_args_is_help=True)
app.add_typer(story_app, name="story")

ModelOpt = Annotated[str, typer.Option("--model", help="Shipped model name/alias or an .onnx path.")]
FpsOpt = Annotated[
    float | None, typer.Option("--fps", help="Process about N frames per second of a file (default: every frame).")
]
EveryOpt = Annotated[
    int, typer.Option("--detect-every", help="Run the face detector every k-th frame; follow boxes between.")
]


def _stream(source: str, emotions, model: str, detector: str, fps, detect_every: int, device: str | None = "cpu", **kw):
    """An EmotionStream, with usage errors reported without a traceback."""
    from ..errors import EmopyError
    from ..predict import FERModel

    try:
        return FERModel(emotions, model, detector=detector, providers=device).predict_video(
            source, fps=fps, detect_every=detect_every, **kw
        )
    except (EmopyError, FileNotFoundError, ValueError) as exc:
        fail(exc)


def _progress(stream):
    """Frames of `stream` with a progress bar for files (on stderr)."""
    from tqdm import tqdm

    src = stream.source
    total = None
    if getattr(src, "total", None):
        total = src.total if not getattr(src, "target_fps", None) else int(src.total / src.fps * src.target_fps) + 1
    return tqdm(stream, total=total, unit="frame", file=sys.stderr, disable=None if not src.live else True, leave=False)


@app.command("video")
def video_cmd(
    source: Annotated[str, typer.Argument(help="Video file, camera index (0) or stream URL.")],
    emotions: EmotionsOpt = None,
    fps: FpsOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Per-frame, per-face table (emopy.results columns): .csv or .jsonl (written as frames are "
            "processed), .parquet (emopy-fer[scale]; at the end) or .json (with the summary, at the end).",
        ),
    ] = None,
    annotate: Annotated[
        Path | None,
        typer.Option(
            "--annotate",
            help="Write the video with boxes and labels: .mp4 (H.264 with the source's audio with "
            "emopy-fer[video]) or .avi.",
        ),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Write a PNG of the smoothed emotions over time with the dominant one (.png)."),
    ] = None,
    model: ModelOpt = "default",
    detector: DetectorOpt = "auto",
    detect_every: EveryOpt = 1,
    smoothing: Annotated[str, typer.Option(help="ema (half-life) or window (mean over --window).")] = "ema",
    half_life: Annotated[float, typer.Option(help="EMA half-life in seconds.")] = 0.5,
    window: Annotated[float, typer.Option(help="Seconds for window smoothing and the dominant emotion.")] = 1.0,
    threshold: Annotated[float, typer.Option(help="Windowed probability a dominant emotion needs.")] = 0.5,
    hysteresis: Annotated[float, typer.Option(help="Margin against flicker between dominant emotions.")] = 0.1,
    max_frames: Annotated[
        int | None, typer.Option(help="Stop after N processed frames (cameras run until stopped).")
    ] = None,
    calibrate: Annotated[
        float,
        typer.Option(
            "--calibrate",
            help="Seconds at the start in which the viewer rests: their "
            "face then calibrates the model to them (per-viewer calibration; 0 = off).",
        ),
    ] = 0.0,
    device: DeviceOpt = "cpu",
) -> None:
    """Emotions per frame and per face in a video; prints a summary per second and per track."""
    from ..errors import EmopyError
    from ..results import SUFFIXES, columns, lines, open_table
    from ..stream import timeline
    from ..stream.video_out import open_writer

    if out is not None and out.suffix.lower() not in (*SUFFIXES, ".json"):
        fail(ValueError(f"--out must end in {', '.join(SUFFIXES)} or .json"))
    if plot is not None and plot.suffix.lower() != ".png":
        fail(ValueError("--plot must end in .png"))
    stream = _stream(
        source,
        emotions,
        model,
        detector,
        fps,
        detect_every,
        smoothing=smoothing,
        half_life=half_life,
        window=window,
        threshold=threshold,
        hysteresis=hysteresis,
        keep_image=annotate is not None,
        calibrate_s=calibrate,
        device=device,
    )
    labels = stream.labels
    try:
        rows = None  # .json: the whole document at the end; other tables are written as frames come
        if out is not None and out.suffix.lower() != ".json":
            rows = open_table(out, columns(labels, smoothed=True))
        video = open_writer(annotate, source, fps or getattr(stream.source, "fps", None) or 30.0) if annotate else None
    except (EmopyError, OSError, ValueError) as exc:
        fail(exc)
    frames = 0
    table: list = []
    try:
        for fr in _progress(stream):
            if video is not None:
                video.write(_draw(fr), fr.t)
            new = lines(fr.to_row(), labels, smoothed=True)
            table.extend(new)
            if rows is not None:
                rows.write(new)
            frames += 1
            if max_frames and frames >= max_frames:
                break
    except KeyboardInterrupt:
        pass
    finally:
        stream.close()
        if video is not None:
            video.close()
        if rows is not None:
            rows.close()
    summ = timeline.summary(table, labels, frames=frames, dropped=stream.dropped)
    if out is not None and rows is None:
        timeline.write_json(out, summ, table)
    if plot is not None:
        from ..stream.plot import plot_timeline

        try:
            plot_timeline(table, labels, plot, title=Path(source).name)
        except EmopyError as exc:
            fail(exc)
    for s in summ["seconds"]:
        typer.echo(f"{s['second']:>5d}s  {s['dominant']:<10s} ({s['faces']} faces)")
    for t in summ["tracks"]:
        typer.echo(f"face {t['face']}: {t['start']:.1f}-{t['end']:.1f}s  {t['dominant']}  ({t['frames']} frames)")
    typer.echo(f"{frames} frames processed, {stream.dropped} dropped, {stream.skipped} skipped", err=True)


def _draw(fr):
    """The frame with each face's box, smoothed dominant emotion and track id."""
    from ..predict.annotate import annotate as draw
    from ..predict.model import Face

    faces = []
    for f in fr.faces:
        dom = f.dominant or max(f.smoothed, key=f.smoothed.__getitem__)
        label = f"#{f.track_id} {dom}"
        faces.append(Face(f.box, f.score, {label: f.smoothed[dom]}, label))
    return draw(fr.image, faces)


@story_app.command("check")
def story_check(story: Annotated[Path, typer.Argument(help="Story file (.yaml, .yml or .json).")]) -> None:
    """Validate a story file and print its segments."""
    from ..errors import StoryError
    from ..stream.story import load_story, successors

    try:
        s = load_story(story)
    except StoryError as exc:
        fail(exc)
    typer.echo(
        f"{s.title or story.name}: {len(s.segments)} segments, starts at {s.start}, measures {', '.join(s.emotions())}"
    )
    for sid, seg in s.segments.items():
        typer.echo(f"  {sid} ({seg.duration:g}s) -> {', '.join(successors(seg)) or 'END'}")


@story_app.command("run")
def story_run(
    story: Annotated[Path, typer.Argument(help="Story file (.yaml, .yml or .json).")],
    source: Annotated[str, typer.Option("--source", help="The viewer: a video file, camera index (0) or stream URL.")],
    log: Annotated[
        Path | None, typer.Option("--log", help="Write the run log (path and measurements) as JSON.")
    ] = None,
    fps: FpsOpt = None,
    model: ModelOpt = "default",
    detector: DetectorOpt = "auto",
    detect_every: EveryOpt = 1,
    device: DeviceOpt = "cpu",
) -> None:
    """Play a story headless against a viewer; print the path taken and why each decision went that way."""
    from ..errors import StoryError
    from ..stream.story import load_story, run_on_stream

    try:
        s = load_story(story)
    except StoryError as exc:
        fail(exc)
    stream = _stream(source, None, model, detector, fps, detect_every, device=device)
    missing = [e for e in s.emotions() if e not in stream.labels]
    if missing:
        fail(
            StoryError(
                f"{story}: decisions measure {missing}, which model {model!r} does not predict "
                f"({', '.join(stream.labels)})"
            )
        )

    def show(step) -> None:
        d = step.decision
        line = f"{step.start:7.2f}s  {step.segment}"
        if d is not None:
            means = ", ".join(f"{k} {v:.2f}" for k, v in d.means.items())
            faces = f"{d.face_frames}/{d.frames} frames with a face"
            line += f"  -> {d.target}  [{d.reason}: {d.emotion or '-'}; {means}; {faces}]"
        typer.echo(line)

    try:
        result = run_on_stream(s, _progress(stream), source=source, on_step=show, calibrator=stream)
    except StoryError as exc:
        fail(exc)
    finally:
        stream.close()
    typer.echo("path: " + " -> ".join(result.path))
    if log is not None:
        log.write_text(json.dumps(result.to_dict(), indent=1))
