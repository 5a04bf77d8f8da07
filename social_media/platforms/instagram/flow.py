"""Publishing to Instagram in steps, each one call of ``publish`` (never a sleep).

1. Read the account's live ``content_publishing_limit``; a used-up quota is RATE_LIMITED
   until the oldest publish in the window leaves it.
2. Create the container(s): one image, or one Reel, or the carousel's items and then the
   CAROUSEL parent. Their ids go into ``post.platform_state`` and the call returns
   WAITING, so the container id is stored before anything can be published.
3. Read the container's ``status_code``: IN_PROGRESS → WAITING with a bounded backoff;
   FINISHED → ``media_publish``; ERROR → PERMANENT with the reason (state cleared, so a
   manual retry starts over); EXPIRED → TRANSIENT with the state cleared (a new
   container next time); PUBLISHED → the media is looked up (never published again).
4. Read the permalink → SUCCESS with the media id and link.

A worker that dies after ``media_publish`` leaves the container id behind:
``reconcile`` reads its status, and PUBLISHED means it went out.

State (JSON, no secrets): ``form`` (image / carousel / reels), ``children`` (carousel
item ids), ``container`` (the id to publish), ``polls`` (status reads that answered
IN_PROGRESS), ``media_id`` (set once ``media_publish`` answered) and ``link_reads``.
"""

from __future__ import annotations

import logging
import re
import time
from typing import TYPE_CHECKING, Any

from social_media.captions import content_for
from social_media.http import ApiError
from social_media.platforms.base import Outcome, PublishResult
from social_media.platforms.instagram.client import (
    EXPIRED_SUBCODE,
    NOT_READY_SUBCODE,
    SUBCODE_REASONS,
    GraphError,
    InstagramClient,
    PublishingLimit,
    status_subcode,
)
from social_media.platforms.lookup import MAX_LOOKUP_PAGES, all_older, lookup_cutoff, parse_time

if TYPE_CHECKING:
    from social_media.media import PostMedia
    from tasks.models import SocialMediaPost

logger = logging.getLogger(__name__)

FORMS = ("image", "carousel", "reels")
DEFAULT_FORM = "image"
MAX_HASHTAGS = 30
MAX_WAIT_SECONDS = 60.0
FIRST_WAIT_SECONDS = {"image": 1.0, "carousel": 2.0, "reels": 5.0}
LINK_READS = 3  # permalink reads after media_publish before the post is kept without a link
MIN_QUOTA_WAIT = 60.0
STEPS = {
    "image": "Instagram is preparing the image",
    "carousel": "Instagram is preparing the carousel",
    "reels": "Instagram is processing the video",
}
LINK_STEP = "Instagram published the post; reading its link"
HASHTAG = re.compile(r"(?<![\w#])#\w+", re.UNICODE)


def caption_of(description: str) -> str:
    """The caption: the description (within 2,200 characters: content building) with at
    most 30 hashtags (later ones are dropped)."""
    text = description
    tags = list(HASHTAG.finditer(text))
    for extra in reversed(tags[MAX_HASHTAGS:]):
        text = text[: extra.start()].rstrip(" ") + text[extra.end() :]
    return text.strip()


def backoff(polls: int) -> float:
    """2, 4, 8 … seconds after each IN_PROGRESS answer, at most a minute."""
    return min(2.0 ** max(polls, 1), MAX_WAIT_SECONDS)


def _idempotent(error: ApiError) -> PublishResult:
    """A read (or a container create: an unpublished container is invisible) that timed
    out cannot have changed anything: retry it, no lookup needed."""
    if error.outcome == Outcome.UNKNOWN:
        error.outcome = Outcome.TRANSIENT
    return _result(error)


def _result(error: ApiError, state: dict[str, Any] | None = None) -> PublishResult:
    result = error.to_result()
    spam = isinstance(error, GraphError) and error.spam
    if error.outcome == Outcome.PERMANENT and state is None:
        state = {}  # nothing to resume: a manual retry starts over
    return PublishResult(
        result.outcome,
        http_status=result.http_status,
        error_message=result.error_message,
        retry_after=result.retry_after,
        response_excerpt=result.response_excerpt,
        state=state,
        spam=spam,
    )


class Publisher:
    """One ``publish`` (or ``reconcile``) call for one post of one account."""

    def __init__(
        self, post: SocialMediaPost, client: InstagramClient, ig_user_id: str, form: str
    ) -> None:
        self.post = post
        self.client = client
        self.ig_user_id = ig_user_id
        stored = post.platform_state if isinstance(post.platform_state, dict) else {}
        self.state: dict[str, Any] = dict(stored)
        stored_form = self.state.get("form")
        # The form the stored containers were made as; a new post takes the credential's.
        self.form = stored_form if stored_form in FORMS else form

    # --- publish ------------------------------------------------------------------------

    def publish(self, media: PostMedia) -> PublishResult:
        if self.state.get("media_id"):
            return self._read_link()
        if not self.state.get("container"):
            return self._start(media)
        return self._advance()

    def _start(self, media: PostMedia) -> PublishResult:
        problem = self._media_problem(media)
        if problem:
            return PublishResult(Outcome.PERMANENT, error_message=problem, state={})
        try:
            limit = self.client.publishing_limit(ig_user_id=self.ig_user_id)
        except ApiError as error:
            return _idempotent(error)
        if limit.total is not None and limit.usage >= limit.total:
            return self._quota_used_up(limit)
        self.state["form"] = self.form
        try:
            self._create_containers(media)
        except ApiError as error:
            # Items already created stay in the state: the next attempt creates the rest.
            if error.outcome == Outcome.UNKNOWN:
                error.outcome = Outcome.TRANSIENT
            keep = dict(self.state) if error.outcome != Outcome.PERMANENT else {}
            return _result(error, keep)
        self.state["polls"] = 0
        return self._waiting(FIRST_WAIT_SECONDS[self.form])

    def _media_problem(self, media: PostMedia) -> str:
        if self.form == "reels" and media.video is None:
            return "Instagram: no video to publish as a Reel."
        if media.image is None and self.form != "reels":
            return "Instagram: no question card to publish."
        if self.form == "carousel" and media.answer_image is None:
            return "Instagram: no answer card for the carousel."
        return ""

    def _create_containers(self, media: PostMedia) -> None:
        content = content_for(self.post.task, "instagram")
        caption = caption_of(content.description)
        ig = self.ig_user_id
        if self.form == "reels":
            assert media.video is not None
            self.state["container"] = self.client.create_container(
                ig_user_id=ig,
                media_type="REELS",
                video_url=media.video.url,
                caption=caption,
                share_to_feed="true",
            )
            return
        assert media.image is not None
        if self.form == "image":
            self.state["container"] = self.client.create_container(
                ig_user_id=ig,
                image_url=media.image.url,
                caption=caption,
                alt_text=content.alt_text,
            )
            return
        assert media.answer_image is not None
        children: list[str] = list(self.state.get("children") or [])
        for card in (media.image, media.answer_image)[len(children) :]:
            children.append(
                self.client.create_container(
                    ig_user_id=ig, image_url=card.url, is_carousel_item="true"
                )
            )
            self.state["children"] = list(children)
        self.state["container"] = self.client.create_container(
            ig_user_id=ig, media_type="CAROUSEL", children=",".join(children), caption=caption
        )

    def _advance(self) -> PublishResult:
        container = str(self.state["container"])
        try:
            code, status = self.client.container_status(container_id=container)
        except ApiError as error:
            return _idempotent(error)
        if code == "IN_PROGRESS":
            self.state["polls"] = int(self.state.get("polls") or 0) + 1
            return self._waiting(backoff(self.state["polls"]))
        if code == "FINISHED":
            return self._publish_container(container)
        if code == "PUBLISHED":
            return self._published_elsewhere(container)
        if code == "ERROR":
            return PublishResult(
                Outcome.PERMANENT,
                error_message=self._error_reason(container, status),
                http_status=self.client.last_status,
                response_excerpt=self.client.last_excerpt,
                state={},
            )
        if code == "EXPIRED":
            return PublishResult(
                Outcome.TRANSIENT,
                error_message=f"Instagram: container {container} expired before it was "
                "published (containers live 24 hours); a new one is made on the next attempt.",
                http_status=self.client.last_status,
                state={},
            )
        return PublishResult(
            Outcome.TRANSIENT,
            error_message=f"Instagram: container {container} has an unexpected status "
            f"{code or '(none)'!r}.",
            http_status=self.client.last_status,
            response_excerpt=self.client.last_excerpt,
        )

    def _error_reason(self, container: str, status: str) -> str:
        subcode = status_subcode(status)
        what = {"reels": "video", "carousel": "carousel", "image": "image"}[self.form]
        reason = SUBCODE_REASONS.get(subcode or 0, "processing failed")
        detail = f" (error {subcode})" if subcode else ""
        said = f' It said: "{status}".' if status else ""
        return (
            f"Instagram could not process the {what} of container {container}: "
            f"{reason}{detail}.{said} Retrying starts over with a new container."
        )

    def _publish_container(self, container: str) -> PublishResult:
        try:
            media_id = self.client.media_publish(ig_user_id=self.ig_user_id, creation_id=container)
        except GraphError as error:
            if error.subcode == NOT_READY_SUBCODE:
                self.state["polls"] = int(self.state.get("polls") or 0) + 1
                return self._waiting(backoff(self.state["polls"]))
            if error.subcode == EXPIRED_SUBCODE:
                return _result(error, {})
            if error.outcome == Outcome.PERMANENT and error.code == 100:
                # Published already (e.g. by a worker that died before saving)?
                return self._check_published(container, error)
            # The container stays: after a quota wait, a timeout or a new token it is
            # checked again (PUBLISHED, FINISHED or EXPIRED) and never published twice.
            return _result(error)
        except ApiError as error:
            return _result(error)
        if not media_id:
            return PublishResult(
                Outcome.UNKNOWN,
                http_status=self.client.last_status,
                error_message="Instagram: the media_publish answer has no media id; "
                "the post may exist.",
                response_excerpt=self.client.last_excerpt,
            )
        self.state["media_id"] = media_id
        self.state["link_reads"] = 0
        return self._read_link()

    def _check_published(self, container: str, error: GraphError) -> PublishResult:
        try:
            code, _status = self.client.container_status(container_id=container)
        except ApiError:
            return _result(error)
        if code == "PUBLISHED":
            return self._published_elsewhere(container)
        return _result(error)

    def _read_link(self) -> PublishResult:
        media_id = str(self.state["media_id"])
        try:
            answer = self.client.get_media(media_id=media_id)
        except ApiError as error:
            reads = int(self.state.get("link_reads") or 0) + 1
            if reads < LINK_READS and error.outcome != Outcome.AUTH:
                self.state["link_reads"] = reads
                return PublishResult(
                    Outcome.WAITING,
                    state=dict(self.state),
                    step=LINK_STEP,
                    retry_after=backoff(reads),
                    error_message=error.message,
                )
            logger.warning("Instagram: ссылку на медиа %s прочитать не удалось", media_id)
            return PublishResult(Outcome.SUCCESS, post_id=media_id, state={})
        link = answer.get("permalink")
        return PublishResult(
            Outcome.SUCCESS,
            post_id=media_id,
            post_url=link if isinstance(link, str) else "",
            http_status=self.client.last_status,
            response_excerpt=self.client.last_excerpt,
            state={},
        )

    def _published_elsewhere(self, container: str) -> PublishResult:
        """The container says PUBLISHED: find the media it became."""
        found = self.find_media()
        if isinstance(found, PublishResult):
            return found
        return PublishResult(
            Outcome.TRANSIENT,
            error_message=f"Instagram: container {container} is published, but its media is "
            "not in the account's recent media yet; looking again later.",
            http_status=self.client.last_status,
        )

    def _waiting(self, retry_after: float) -> PublishResult:
        return PublishResult(
            Outcome.WAITING,
            state=dict(self.state),
            step=STEPS.get(self.form, STEPS["image"]),
            retry_after=retry_after,
            http_status=self.client.last_status,
            response_excerpt=self.client.last_excerpt,
        )

    def _quota_used_up(self, limit: PublishingLimit) -> PublishResult:
        wait = self._quota_wait(limit)
        return PublishResult(
            Outcome.RATE_LIMITED,
            retry_after=wait,
            http_status=self.client.last_status,
            error_message=f"Instagram: the account used its publishing quota ({limit.usage} of "
            f"{limit.total} posts in {(limit.duration or 86400) // 3600} hours); "
            f"publishing again in about {int(wait // 60)} minutes.",
            response_excerpt=self.client.last_excerpt,
        )

    def _quota_wait(self, limit: PublishingLimit) -> float:
        """Seconds until the oldest publish in the window leaves it (an hour if unknown)."""
        duration = float(limit.duration or 86400)
        try:
            recent, _next = self.client.recent_media(
                ig_user_id=self.ig_user_id, limit=min(max(limit.total or 50, 1), 100)
            )
        except ApiError:
            return 3600.0
        now = time.time()
        times = [parse_time(item.get("timestamp")) for item in recent]
        inside = [t.timestamp() for t in times if t is not None and now - t.timestamp() < duration]
        if not inside:
            return 3600.0
        return min(max(min(inside) + duration - now, MIN_QUOTA_WAIT), duration)

    # --- finding a published post --------------------------------------------------------

    def reconcile(self) -> PublishResult | None:
        if self.state.get("media_id"):
            return self._read_link_once()
        container = self.state.get("container")
        if container:
            try:
                code, _status = self.client.container_status(container_id=str(container))
            except ApiError as error:
                return _idempotent(error)
            if code == "PUBLISHED":
                return self._published_elsewhere(str(container))
            return None  # not published: publishing resumes from the stored container
        found = self.find_media()
        return found if isinstance(found, PublishResult) else None

    def _read_link_once(self) -> PublishResult:
        media_id = str(self.state["media_id"])
        try:
            answer = self.client.get_media(media_id=media_id)
        except ApiError:
            return PublishResult(Outcome.SUCCESS, post_id=media_id, state={})
        link = answer.get("permalink")
        return PublishResult(
            Outcome.SUCCESS,
            post_id=media_id,
            post_url=link if isinstance(link, str) else "",
            http_status=self.client.last_status,
            state={},
        )

    def find_media(self) -> PublishResult | None:
        """The account's recent media holding this task's link (newest first, paged,
        bounded): SUCCESS when found, ``None`` when not, a failed result when the list
        could not be read."""
        link = re.compile(re.escape(self.post.task.public_url) + r"(?!\d)")
        cutoff = lookup_cutoff(self.post)
        after = ""
        for _page in range(MAX_LOOKUP_PAGES):
            try:
                media, following = self.client.recent_media(ig_user_id=self.ig_user_id, after=after)
            except ApiError as error:
                return _idempotent(error)
            for item in media:
                if link.search(str(item.get("caption") or "")) and item.get("id"):
                    permalink = item.get("permalink")
                    return PublishResult(
                        Outcome.SUCCESS,
                        post_id=str(item["id"]),
                        post_url=permalink if isinstance(permalink, str) else "",
                        http_status=self.client.last_status,
                        state={},
                    )
            if not following or following == after or all_older(media, "timestamp", cutoff):
                return None
            after = following
        return None
