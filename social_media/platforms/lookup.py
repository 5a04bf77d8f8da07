"""Looking for a post on a platform after an attempt with an unknown end: paged, bounded.

A lookup lists the board's pins or the page's posts (newest first) and follows the list's
cursor (Pinterest ``bookmark``, Graph ``paging.next``) until a whole page is older than the
post itself, the list ends, or ``MAX_LOOKUP_PAGES`` pages were read. A whole page, not the
first old item: a board's pins can be rearranged by hand, so order is a hint, not a promise.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tasks.models import SocialMediaPost

# At most this many list calls per lookup (times the page size: the items looked at).
MAX_LOOKUP_PAGES = 10
# Our clock and the platform's may disagree: items this much older than the post still count.
CLOCK_SKEW = timedelta(minutes=15)


def lookup_cutoff(post: SocialMediaPost) -> datetime:
    """Items created before this cannot be the post: the post's row did not exist yet."""
    return post.created_at - CLOCK_SKEW


def parse_time(value: object) -> datetime | None:
    """A platform's ISO 8601 time ("…T09:00:00", "…Z", "…+0000"), made aware (UTC when naive)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def all_older(items: Iterable[dict[str, Any]], field: str, cutoff: datetime) -> bool:
    """True when the page has items and every one was created before ``cutoff``.

    An item without a readable time keeps the lookup going (up to the page bound).
    """
    times = [parse_time(item.get(field)) for item in items]
    return bool(times) and all(when is not None and when < cutoff for when in times)
