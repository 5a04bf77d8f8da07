"""TikTok's FILE_UPLOAD chunk rules (Media Transfer Guide) as plain arithmetic.

- ``total_chunk_count = floor(video_size / chunk_size)``; chunks are sent in order;
- every chunk is ``chunk_size`` bytes except the last, which takes the remaining bytes
  (it may be larger than ``chunk_size``, up to 128 MB);
- a video no larger than one chunk goes whole (``chunk_size = video_size``), which is
  also what TikTok requires under 5 MB; 1 to 1000 chunks.
https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MAX_CHUNKS = 1000


@dataclass(frozen=True)
class ChunkPlan:
    video_size: int
    chunk_size: int
    total_chunk_count: int

    def span(self, index: int) -> tuple[int, int]:
        """``(first byte, length)`` of chunk ``index`` (0-based)."""
        if not 0 <= index < self.total_chunk_count:
            raise IndexError(index)
        first = index * self.chunk_size
        last_chunk = index == self.total_chunk_count - 1
        return first, (self.video_size - first) if last_chunk else self.chunk_size

    def index_at(self, offset: int) -> int | None:
        """The chunk that starts at byte ``offset`` (``None`` if no chunk starts there)."""
        if offset < 0 or offset % self.chunk_size:
            return None
        index = offset // self.chunk_size
        return index if index < self.total_chunk_count else None

    def source_info(self) -> dict[str, Any]:
        return {
            "source": "FILE_UPLOAD",
            "video_size": self.video_size,
            "chunk_size": self.chunk_size,
            "total_chunk_count": self.total_chunk_count,
        }

    def as_state(self) -> list[int]:
        return [self.video_size, self.chunk_size, self.total_chunk_count]

    @classmethod
    def from_state(cls, value: Any) -> ChunkPlan | None:
        if not isinstance(value, list) or len(value) != 3:
            return None
        if not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in value):
            return None
        return cls(*value)


def plan_chunks(video_size: int, chunk_bytes: int) -> ChunkPlan:
    """How ``video_size`` bytes are cut into chunks of (about) ``chunk_bytes``."""
    if video_size <= 0 or chunk_bytes <= 0:
        raise ValueError("video_size and chunk_bytes must be positive.")
    if video_size <= chunk_bytes:
        return ChunkPlan(video_size, video_size, 1)
    chunk = max(chunk_bytes, math.ceil(video_size / MAX_CHUNKS))
    return ChunkPlan(video_size, chunk, video_size // chunk)
