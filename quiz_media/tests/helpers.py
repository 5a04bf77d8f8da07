"""Test helpers: small specs, a storage that counts saves, pixel and MP4 readers."""

from __future__ import annotations

import io
import struct
import threading
from typing import Any

from django.core.files.storage import FileSystemStorage
from PIL import Image

from quiz_media.specs import MediaSpec

SMALL_CARD = MediaSpec("question_card", 540, 675, "png", 8 * 1024 * 1024)
SMALL_ANSWER = MediaSpec("answer_card", 540, 675, "png", 8 * 1024 * 1024)
SMALL_VIDEO = MediaSpec("video", 180, 320, "mp4", 10 * 1024 * 1024, 1.0, 2.0)


class CountingStorage(FileSystemStorage):
    """FileSystemStorage that counts the files it writes (class-wide, thread-safe)."""

    saves = 0
    lock = threading.Lock()

    def _save(self, name: str, content: Any) -> str:
        with CountingStorage.lock:
            CountingStorage.saves += 1
        # django-stubs omit the private _save that FileSystemStorage implements.
        return super()._save(name, content)  # type: ignore[misc]


class SizelessStorage(FileSystemStorage):
    """A storage that stores files but whose size lookups time out (a flaky backend)."""

    def size(self, name):
        raise TimeoutError("storage timed out")


class BrokenStorage(FileSystemStorage):
    """A storage whose disk refuses every write."""

    def _save(self, name, content):
        raise OSError(28, "No space left on device")


def open_png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def colour_share(
    image: Image.Image,
    box: tuple[int, int, int, int],
    colour: tuple[int, int, int],
    tolerance: int = 6,
) -> float:
    """The share of pixels in ``box`` within ``tolerance`` of ``colour``."""
    region = image.convert("RGB").crop(box)
    raw = region.tobytes()
    count = len(raw) // 3
    r, g, b = colour
    near = sum(
        1
        for i in range(0, len(raw), 3)
        if abs(raw[i] - r) <= tolerance
        and abs(raw[i + 1] - g) <= tolerance
        and abs(raw[i + 2] - b) <= tolerance
    )
    return near / max(1, count)


def mp4_top_level_atoms(data: bytes) -> list[str]:
    """The types of the top-level MP4 boxes, in file order."""
    atoms = []
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        elif size == 0:
            size = len(data) - offset
        atoms.append(kind.decode("latin-1"))
        if size < 8:
            break
        offset += size
    return atoms
