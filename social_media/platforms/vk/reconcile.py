"""After an unknown end of ``wall.post``: is the post on the community's wall?

The wall is read newest first (``wall.get``, 100 posts a page) and a post whose text holds
the task's link (not followed by another digit: task 1 is not task 12) is ours. The
lookup stops at the end of the wall, at a page whose posts are all older than ours, or
after ``MAX_LOOKUP_PAGES`` pages.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from social_media.http import ApiError
from social_media.platforms.base import Outcome, PublishResult
from social_media.platforms.lookup import MAX_LOOKUP_PAGES, lookup_cutoff
from social_media.platforms.vk.client import NO_GROUP, VkClient, group_of, post_url

if TYPE_CHECKING:
    from tasks.models import SocialMediaPost
    from webhooks.models import SocialMediaCredentials

logger = logging.getLogger("social_media")
PAGE_SIZE = 100  # wall.get: "maximum 100"


def _older(items: list[dict], cutoff: datetime) -> bool:
    """Every post of the page (a pinned one aside) was made before ``cutoff``."""
    dates = [item.get("date") for item in items if not item.get("is_pinned")]
    return bool(dates) and all(
        isinstance(date, int) and datetime.fromtimestamp(date, tz=UTC) < cutoff for date in dates
    )


def find_on_wall(post: SocialMediaPost, credential: SocialMediaCredentials) -> PublishResult | None:
    group_id = group_of(credential)
    if not group_id:
        return PublishResult(Outcome.PERMANENT, error_message=NO_GROUP)
    client = VkClient(token=credential.access_token)
    link = re.compile(re.escape(post.task.public_url) + r"(?!\d)")
    cutoff = lookup_cutoff(post)
    for page in range(MAX_LOOKUP_PAGES):
        try:
            items = client.wall_page(group_id=group_id, count=PAGE_SIZE, offset=page * PAGE_SIZE)
        except ApiError as error:
            return error.to_result()
        for item in items:
            if link.search(str(item.get("text") or "")) and isinstance(item.get("id"), int):
                return PublishResult(
                    Outcome.SUCCESS,
                    post_id=f"-{group_id}_{item['id']}",
                    post_url=post_url(group_id, item["id"]),
                    http_status=client.last_status,
                )
        if len(items) < PAGE_SIZE or _older(items, cutoff):
            return None  # the end of the wall, or posts older than ours
    logger.warning(
        "🔎 VK: пост %s не найден на %d страницах стены — отправляем снова",
        post.pk,
        MAX_LOOKUP_PAGES,
    )
    return None
