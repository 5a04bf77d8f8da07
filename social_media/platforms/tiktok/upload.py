"""Step 2 of a TikTok FILE_UPLOAD: the chunks, in order, a byte budget a step.

An interrupted upload resumes from the bytes TikTok reports (``uploaded_bytes``), never
from scratch while the upload URL lives. The URL carries a token, so the state keeps it
encrypted and drops it once every chunk is there.
https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.files.storage import default_storage

from quiz_backend.encryption import DecryptionError, decrypt
from social_media.http import ApiError
from social_media.platforms.base import Outcome, PublishResult, platform_setting
from social_media.platforms.tiktok.chunks import ChunkPlan
from social_media.platforms.tiktok.client import TikTokUploadClient
from social_media.platforms.tiktok.session import (
    FIRST_POLL,
    STEP_PROCESSING,
    STEP_UPLOAD,
    Api,
    failure,
    waiting,
)

if TYPE_CHECKING:
    from quiz_media.specs import RenderedMedia


def upload(state: dict[str, Any], video: RenderedMedia, api: Api) -> PublishResult:
    plan = ChunkPlan.from_state(state.get("chunks"))
    try:
        upload_url = decrypt(str(state.get("upload") or ""))
    except DecryptionError:
        upload_url = ""
    if plan is None or not upload_url or plan.video_size != video.bytes:
        return PublishResult(
            Outcome.TRANSIENT,
            error_message="TikTok: the unfinished upload cannot be resumed; starting over.",
            state={},
        )
    index = state.get("next_chunk")
    if state.get("resync") or not isinstance(index, int):
        status = api.run(lambda client: client.publish_status(publish_id=state["publish_id"]))
        received = status.get("uploaded_bytes")
        index = plan.index_at(received) if isinstance(received, int) else None
        if index is None:
            return PublishResult(
                Outcome.TRANSIENT,
                error_message=f"TikTok: the upload stopped mid-chunk ({received} bytes "
                "received); starting over.",
                state={},
            )
    try:
        return _send_chunks(state, video, plan, upload_url, index)
    except OSError as error:  # the stored video could not be read
        return PublishResult(
            Outcome.TRANSIENT,
            error_message=f"TikTok: the video file could not be read ({type(error).__name__}).",
            state={**state, "next_chunk": index, "resync": True},
        )


def _send_chunks(
    state: dict[str, Any], video: RenderedMedia, plan: ChunkPlan, upload_url: str, index: int
) -> PublishResult:
    """PUT chunks from ``index`` on, in order, until the step's byte budget is spent."""
    sender = TikTokUploadClient(upload_url=upload_url)
    budget = int(platform_setting("TIKTOK_UPLOAD_BYTES_PER_STEP"))
    sent = 0
    with default_storage.open(video.name, "rb") as file:
        while index < plan.total_chunk_count:
            first, length = plan.span(index)
            file.seek(first)
            chunk = file.read(length)
            try:
                answer = sender.put_chunk(
                    data=chunk, first=first, total=plan.video_size, content_type=video.mime_type
                )
            except ApiError as error:
                return _chunk_failed(error, state, index, plan)
            index += 1
            sent += length
            if answer == 201 or index >= plan.total_chunk_count:
                # All there: the upload URL (and its token) is no longer kept.
                done = {k: v for k, v in state.items() if k not in ("upload", "resync")}
                done.update(next_chunk=index, uploaded=True)
                return waiting(done, STEP_PROCESSING, FIRST_POLL)
            if sent >= budget:
                break
    more = {**state, "next_chunk": index, "resync": False}
    return waiting(more, f"{STEP_UPLOAD} (part {index + 1} of {plan.total_chunk_count})", 0)


def _chunk_failed(
    error: ApiError, state: dict[str, Any], index: int, plan: ChunkPlan
) -> PublishResult:
    where = f"part {index + 1} of {plan.total_chunk_count}"
    if error.http_status in (403, 404):
        # The upload URL expired or is gone: that publish never gets its video.
        message = f"{error.message} ({where}); a new upload starts on the next attempt."
        return PublishResult(Outcome.TRANSIENT, error_message=message, state={})
    if error.http_status == 400:
        return failure(error, {})
    # Cut off, 5xx, 416, 429: ask TikTok how much it has and go on from there.
    outcome = error.outcome if error.outcome == Outcome.RATE_LIMITED else Outcome.TRANSIENT
    return PublishResult(
        outcome,
        http_status=error.http_status,
        error_message=f"{error.message} (upload {where}); it resumes from what TikTok received.",
        retry_after=error.retry_after,
        state={**state, "next_chunk": index, "resync": True},
    )
