"""Publishing one task to a VK community wall, step by step, resumable.

``post.platform_state`` holds what is done: ``photo`` (the saved wall photo,
``photo-<gid>_<id>``) and ``poll`` (``poll-<gid>_<id>``, or ``""`` when the poll was left
out). Every result carries the state, so a retry after any failure reuses the photo and
the poll instead of uploading or creating them again. Only ``wall.post`` publishes; a
timeout before it is a plain retry (nothing is on the wall), one during it is UNKNOWN
and the wall is read first (``reconcile``).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from django.core.files.storage import default_storage

from social_media.captions import content_for
from social_media.content import first_line, truncate
from social_media.http import ApiError
from social_media.platforms.base import Outcome, PublishResult
from social_media.platforms.vk.client import NO_GROUP, VkApiError, VkClient, group_of, post_url

if TYPE_CHECKING:
    from quiz_media.specs import RenderedMedia
    from social_media.media import PostMedia
    from tasks.models import SocialMediaPost
    from webhooks.models import SocialMediaCredentials

logger = logging.getLogger("social_media")

# polls.create: "from 1 to 10 answers" (schema); no text limits are published, these
# keep a poll readable (not confirmed by VK: docs/platform-api-facts-native.md §5.3).
POLL_ANSWERS = (1, 10)
POLL_QUESTION_CHARS = 255
POLL_ANSWER_CHARS = 100
POLL_DOES_NOT_FIT = "Posted without a poll: a VK poll takes 1-10 options of at most 100 characters."
# wall.post answers 100 "attachments is invalid" when a stored photo or poll is gone.
STALE_ATTACHMENT = "attachments"


def result_of(
    error: ApiError, state: dict[str, Any], *, before_post: bool = False
) -> PublishResult:
    """The error as a result that keeps the state; before ``wall.post`` nothing can be
    on the wall, so an unknown end there is a plain retry."""
    result = error.to_result()
    if before_post and result.outcome == Outcome.UNKNOWN:
        result = dataclasses.replace(
            result,
            outcome=Outcome.TRANSIENT,
            error_message=f"{error.message} Nothing is on the wall yet.",
        )
    spam = isinstance(error, VkApiError) and error.spam
    return dataclasses.replace(result, state=dict(state), spam=spam)


def poll_of(post: SocialMediaPost) -> tuple[str, list[str]] | None:
    """The poll's question and answers, or ``None`` when the task does not fit a VK poll."""
    task = post.task
    answers = (
        [str(answer).strip() for answer in task.answers or []]
        if isinstance(task.answers, list)
        else []
    )
    low, high = POLL_ANSWERS
    if not low <= len(answers) <= high:
        return None
    if any(not answer or len(answer) > POLL_ANSWER_CHARS for answer in answers):
        return None
    question = truncate(first_line(task.question), POLL_QUESTION_CHARS)
    return (question, answers) if question else None


def wants_poll(credential: SocialMediaCredentials) -> bool:
    extra = credential.extra_data if isinstance(credential.extra_data, dict) else {}
    return extra.get("poll") is True


def _card_bytes(image: RenderedMedia) -> bytes:
    with default_storage.open(image.name, "rb") as handle:
        data: bytes = handle.read()
    return data


def _upload_card(client: VkClient, group_id: str, image: RenderedMedia) -> str:
    """getWallUploadServer → upload → saveWallPhoto: the photo attachment."""
    upload_url = client.wall_upload_server(group_id=group_id)
    try:
        data = _card_bytes(image)
    except OSError as error:
        raise VkApiError(
            Outcome.TRANSIENT,
            f"VK: the card could not be read from storage ({type(error).__name__}).",
        ) from None
    extension = image.mime_type.split("/")[-1].replace("jpeg", "jpg")
    uploaded = client.upload_photo(
        upload_url=upload_url,
        filename=f"card.{extension}",
        data=data,
        content_type=image.mime_type,
    )
    return client.save_wall_photo(group_id=group_id, uploaded=uploaded)


def publish(
    post: SocialMediaPost, credential: SocialMediaCredentials, media: PostMedia
) -> PublishResult:
    group_id = group_of(credential)
    if not group_id:
        return PublishResult(Outcome.PERMANENT, error_message=NO_GROUP)
    state: dict[str, Any] = (
        dict(post.platform_state) if isinstance(post.platform_state, dict) else {}
    )
    client = VkClient(token=credential.access_token)
    if not state.get("photo"):
        if media.image is None or not media.image.name:
            return PublishResult(Outcome.PERMANENT, error_message="VK: no card to upload.")
        try:
            state["photo"] = _upload_card(client, group_id, media.image)
        except ApiError as error:
            return result_of(error, state, before_post=True)
        logger.info("📷 VK: карточка поста %s загружена (%s)", post.pk, state["photo"])
    if "poll" not in state:
        poll = poll_of(post) if wants_poll(credential) else None
        state["poll"] = ""
        if poll is None and wants_poll(credential):
            state["poll_left_out"] = POLL_DOES_NOT_FIT
        elif poll is not None:
            try:
                state["poll"] = client.create_poll(
                    group_id=group_id, question=poll[0], answers=poll[1]
                )
            except ApiError as error:
                if not (isinstance(error, VkApiError) and error.code == 100):
                    state.pop("poll")
                    return result_of(error, state, before_post=True)
                # VK refused this poll's texts: the post goes out without it.
                logger.warning("📊 VK: опрос поста %s не создан: %s", post.pk, error.message)
                state["poll_left_out"] = f"VK refused the poll ({error.message})."[:500]
    attachments = [state["photo"], *([state["poll"]] if state["poll"] else [])]
    message = content_for(post.task, "vk").description
    try:
        post_id = client.wall_post(
            group_id=group_id,
            message=message,
            attachments=attachments,
            guid=f"quiz-post-{post.pk}",
        )
    except ApiError as error:
        if (
            isinstance(error, VkApiError)
            and error.code == 100
            and STALE_ATTACHMENT in error.message
        ):
            # A stored photo or poll is gone: make them again on the next attempt.
            return dataclasses.replace(error.to_result(), outcome=Outcome.TRANSIENT, state={})
        return result_of(error, state)
    return PublishResult(
        Outcome.SUCCESS,
        post_id=f"-{group_id}_{post_id}",
        post_url=post_url(group_id, post_id),
        http_status=client.last_status,
        response_excerpt=client.last_excerpt,
        state=state,
        notice=str(state.get("poll_left_out") or ""),
    )
