"""Vertical quiz videos: H.264 (yuv420p, 30 fps) in MP4 with the moov atom first, and AAC audio.

The video is the question card with a countdown (seconds left and a shrinking bar, redrawn once
a second), then the answer card with the explanation; a soft two-note chime marks the reveal,
the rest of the audio track is silence. Only a handful of distinct frames exist (one per second
of countdown, one answer frame): each is drawn and converted to YUV once and handed to the
encoder as often as needed, which keeps a 15 s 1080×1920 render within a few seconds.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from array import array
from dataclasses import dataclass

import av
from av.video.reformatter import ColorRange, Colorspace
from PIL import Image

from quiz_media.cards import CardRender, draw_countdown
from quiz_media.specs import MediaRenderError

FPS = 30
SAMPLE_RATE = 44100
AUDIO_FRAME = 1024
X264_OPTIONS = {"preset": "ultrafast", "tune": "stillimage", "crf": "23"}


BT709 = 1  # AVCOL_SPC_BT709 = AVCOL_PRI_BT709 = AVCOL_TRC_BT709


def _yuv(image: Image.Image) -> av.VideoFrame:
    return av.VideoFrame.from_image(image).reformat(
        format="yuv420p", dst_colorspace=Colorspace.ITU709, dst_color_range=ColorRange.MPEG
    )


@dataclass(frozen=True)
class Timing:
    """How a video's length splits into the countdown and the answer."""

    total_frames: int
    question_frames: int

    @property
    def seconds(self) -> float:
        return self.total_frames / FPS

    @property
    def question_seconds(self) -> float:
        return self.question_frames / FPS


def timing_for(seconds: float) -> Timing:
    """The answer gets a third of the video (1–6 s), the countdown the rest (at least 1 s)."""
    total = max(2 * FPS, round(seconds * FPS))
    answer = min(6 * FPS, max(FPS, round(total / 3)))
    return Timing(total_frames=total, question_frames=max(FPS, total - answer))


def _note(t: float, frequency: float) -> float:
    if t < 0:
        return 0.0
    envelope = math.exp(-t * 6.0) * min(1.0, t * 200)  # 5 ms attack, soft decay
    return 0.12 * envelope * math.sin(2 * math.pi * frequency * t)


def _chime(samples: int) -> array:
    """A soft two-note chime (E6 then A6), mono float samples."""
    out = array("f", bytes(4 * samples))
    for i in range(samples):
        t = i / SAMPLE_RATE
        out[i] = _note(t, 1318.5) + _note(t - 0.12, 1760.0)
    return out


def _audio_plan(timing: Timing) -> list[bytes]:
    """The audio track as AAC-sized frames of float32 mono samples."""
    total = math.ceil(timing.seconds * SAMPLE_RATE / AUDIO_FRAME)
    reveal = int(timing.question_seconds * SAMPLE_RATE)
    chime = _chime(int(0.8 * SAMPLE_RATE))
    silent = bytes(4 * AUDIO_FRAME)
    frames: list[bytes] = []
    for n in range(total):
        start, end = n * AUDIO_FRAME, (n + 1) * AUDIO_FRAME
        if end <= reveal or start >= reveal + len(chime):
            frames.append(silent)
            continue
        chunk = array("f", bytes(4 * AUDIO_FRAME))
        for i in range(AUDIO_FRAME):
            j = start + i - reveal
            if 0 <= j < len(chime):
                chunk[i] = chime[j]
        frames.append(chunk.tobytes())
    return frames


def encode_video(
    question: CardRender,
    answer: Image.Image,
    seconds: float,
    *,
    crf: int = 23,
    bit_rate: int | None = None,
    audio_bit_rate: int = 64_000,
) -> tuple[bytes, float]:
    """Encode the video; returns the MP4 bytes and the duration in seconds.

    ``bit_rate`` (bits/s) replaces the constant-quality ``crf`` when a byte limit must be met.
    """
    width, height = question.image.size
    if width % 2 or height % 2:
        raise MediaRenderError(f"A video must have an even width and height, not {width}×{height}.")
    timing = timing_for(seconds)
    fd, path = tempfile.mkstemp(suffix=".mp4", prefix="quiz-media-")
    os.close(fd)
    try:
        _write(path, question, answer, timing, crf, bit_rate, audio_bit_rate)
        with open(path, "rb") as handle:
            data = handle.read()
    except av.FFmpegError as exc:
        raise MediaRenderError(
            f"The video encoder failed: {exc.strerror or type(exc).__name__}."
        ) from exc
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
    return data, timing.seconds


def _write(
    path: str,
    question: CardRender,
    answer: Image.Image,
    timing: Timing,
    crf: int,
    bit_rate: int | None,
    audio_bit_rate: int,
) -> None:
    width, height = question.image.size
    options = dict(X264_OPTIONS)
    if bit_rate:
        options.pop("crf")
        options["maxrate"] = str(bit_rate)
        options["bufsize"] = str(bit_rate * 2)
    else:
        options["crf"] = str(crf)
    options["threads"] = str(min(4, os.cpu_count() or 1))
    options["g"] = str(5 * FPS)  # a key frame every 5 s
    with av.open(path, "w", format="mp4", options={"movflags": "+faststart"}) as container:
        video = container.add_stream("libx264", rate=FPS, options=options)
        video.width = width
        video.height = height
        video.pix_fmt = "yuv420p"
        # HD video is BT.709, limited range: convert so and say so (players assume it anyway).
        video.codec_context.colorspace = BT709
        video.codec_context.color_primaries = BT709
        video.codec_context.color_trc = BT709
        video.codec_context.color_range = ColorRange.MPEG
        if bit_rate:
            video.bit_rate = bit_rate
        audio = container.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
        audio.bit_rate = audio_bit_rate

        # The distinct frames: one per second of countdown (only the current one is kept),
        # then the answer.
        countdown_seconds = math.ceil(timing.question_seconds)
        current: list[tuple[int, av.VideoFrame]] = []

        def countdown_frame(second: int) -> av.VideoFrame:
            if not current or current[0][0] != second:
                remaining = countdown_seconds - second
                image = draw_countdown(question, remaining, remaining / countdown_seconds)
                current[:] = [(second, _yuv(image))]
            return current[0][1]

        answer_frame = _yuv(answer.convert("RGB"))
        audio_frames = _audio_plan(timing)
        next_audio = 0

        def mux_audio_until(seconds: float | None) -> None:
            nonlocal next_audio
            while next_audio < len(audio_frames) and (
                seconds is None or next_audio * AUDIO_FRAME / SAMPLE_RATE <= seconds
            ):
                audio_frame = av.AudioFrame(format="flt", layout="mono", samples=AUDIO_FRAME)
                audio_frame.planes[0].update(audio_frames[next_audio])
                audio_frame.sample_rate = SAMPLE_RATE
                audio_frame.pts = next_audio * AUDIO_FRAME
                for packet in audio.encode(audio_frame):
                    container.mux(packet)
                next_audio += 1

        for index in range(timing.total_frames):
            if index < timing.question_frames:
                frame = countdown_frame(index // FPS)
            else:
                frame = answer_frame
            frame.pts = index
            for packet in video.encode(frame):
                container.mux(packet)
            if index % FPS == 0:
                mux_audio_until(index / FPS + 1)
        for packet in video.encode(None):
            container.mux(packet)
        mux_audio_until(None)
        for packet in audio.encode(None):
            container.mux(packet)
