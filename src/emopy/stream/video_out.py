"""Annotated video files: H.264 with the source's audio via PyAV (emopy-fer[video]), else OpenCV's mp4v/MJPG, silent.

H.264 in MP4 is what browsers play; each frame keeps its source timestamp (variable frame rates and `--fps`
thinning stay in sync with the audio), and the source's audio track is copied in (AAC as it is, other
codecs re-encoded to AAC).
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import SourceError

if TYPE_CHECKING:  # av and cv2 are imported where a writer needs them (av is an optional extra)
    import cv2
    from av.audio.resampler import AudioResampler
    from av.audio.stream import AudioStream
    from av.container import InputContainer
    from av.video.stream import VideoStream

MS = Fraction(1, 1000)


def open_writer(path: str | Path, source: str | Path | None, fps: float) -> H264Writer | OpenCVWriter:
    """A writer for `path`: PyAV H.264 + audio for .mp4/.mov/.mkv when PyAV is installed, else OpenCV."""
    path = Path(path)
    if path.suffix.lower() not in (".mp4", ".mov", ".mkv", ".avi"):
        raise SourceError(f"{path}: write the annotated video as .mp4, .mov, .mkv or .avi")
    if path.suffix.lower() != ".avi":
        try:
            import av  # noqa: F401
        except ImportError:
            print(
                "note: pip install 'emopy-fer[video]' for browser-playable H.264 with the source's audio; "
                "writing mp4v without audio",
                file=sys.stderr,
            )
        else:
            return H264Writer(path, source)
    return OpenCVWriter(path, fps)


class H264Writer:
    """Frames at their source times into an H.264 stream; the source's audio copied in at `close`.

    All streams are declared before the first packet is written (a container cannot add one later).
    """

    def __init__(self, path: Path, source: str | Path | None):
        import av

        self.av, self.path = av, path
        self.out = av.open(str(path), "w")
        self.video: VideoStream | None = None
        self.last_pts = -1
        self.src: InputContainer | None = None
        self.audio_in: AudioStream | None = None
        self.audio_out: AudioStream | None = None
        self.resample: AudioResampler | None = None
        if source is not None and Path(str(source)).is_file():
            self.src = av.open(str(source))
            if self.src.streams.audio:
                self._add_audio(self.src.streams.audio[0])

    def _add_audio(self, a_in: AudioStream) -> None:
        self.audio_in = a_in
        if a_in.codec_context.name == "aac":  # copied packet by packet
            self.audio_out = self.out.add_stream_from_template(a_in)
        else:
            out = self.audio_out = self.out.add_stream("aac", rate=a_in.codec_context.sample_rate or 44100)
            self.resample = self.av.AudioResampler(format="fltp", layout=out.codec_context.layout, rate=out.rate)

    def write(self, image: np.ndarray, t: float) -> None:
        """One BGR frame shown from `t` seconds on."""
        video = self.video
        if video is None:
            h, w = image.shape[:2]
            video = self.video = self.out.add_stream("libx264", rate=30, options={"crf": "23", "preset": "veryfast"})
            video.width, video.height = w - w % 2, h - h % 2  # yuv420p needs even sizes
            video.pix_fmt = "yuv420p"
            video.time_base = video.codec_context.time_base = MS
            video.codec_context.max_b_frames = 0  # no reordering: timestamps in ms stay pts == dts
        frame = self.av.VideoFrame.from_ndarray(
            np.ascontiguousarray(image[: video.height, : video.width]), format="bgr24"
        )
        frame.pts = max(round(t * 1000), self.last_pts + 1)
        frame.time_base = MS
        self.last_pts = frame.pts
        self.out.mux(video.encode(frame))

    def close(self) -> None:
        """Flush the video, copy the source's audio, finish the file."""
        try:
            if self.video is not None:
                self.out.mux(self.video.encode())
                if self.src is not None and self.audio_in is not None and self.audio_out is not None:
                    self._copy_audio(self.src, self.audio_in, self.audio_out)
        finally:
            self.out.close()
            if self.src is not None:
                self.src.close()

    def _copy_audio(self, src: InputContainer, a_in: AudioStream, a_out: AudioStream) -> None:
        """The audio track `a_in` of `src` into `a_out`: packets as they are, or resampled and encoded."""
        if self.resample is None:
            for packet in src.demux(a_in):
                if packet.dts is not None:
                    packet.stream = a_out
                    self.out.mux(packet)
            return
        for frame in src.decode(a_in):
            for chunk in self.resample.resample(frame):
                self.out.mux(a_out.encode(chunk))
        self.out.mux(a_out.encode())


class OpenCVWriter:
    """OpenCV's writer (mp4v for .mp4, MJPG for .avi) at a constant frame rate, without audio."""

    def __init__(self, path: Path, fps: float):
        self.path, self.fps = path, float(fps)
        self.writer: cv2.VideoWriter | None = None

    def write(self, image: np.ndarray, t: float) -> None:
        import cv2

        if self.writer is None:
            code = "MJPG" if self.path.suffix.lower() == ".avi" else "mp4v"
            size = (image.shape[1], image.shape[0])
            self.writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter.fourcc(*code), self.fps, size)
            if not self.writer.isOpened():
                raise SourceError(f"cannot write video {self.path}")
        self.writer.write(image)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.release()
