"""YouTube's daily upload quota: counted in Pacific days.

Google's current rule (https://developers.google.com/youtube/data/determine_quota_cost,
checked 2026-12-02): ``videos.insert`` has its own bucket of 100 calls a day (cost 1 per
call), apart from the 10,000 units of every other method; quotas reset at midnight
Pacific Time. Each started upload session is one ``videos.insert`` call.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

PACIFIC = ZoneInfo("America/Los_Angeles")


def window_start(now: datetime | None = None) -> datetime:
    """Midnight Pacific Time that began the current quota day (an aware datetime)."""
    local = (now or timezone.now()).astimezone(PACIFIC)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def next_reset(now: datetime | None = None) -> datetime:
    """The next midnight Pacific Time (daylight saving time included)."""
    start = window_start(now)
    following = (start + timedelta(hours=26)).replace(hour=0, minute=0, second=0, microsecond=0)
    return following.replace(tzinfo=PACIFIC)


def seconds_until_reset(now: datetime | None = None) -> float:
    """Seconds until the quota resets (at least one)."""
    now = now or timezone.now()
    return max((next_reset(now) - now).total_seconds(), 1.0)
