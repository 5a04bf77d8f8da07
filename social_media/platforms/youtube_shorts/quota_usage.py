"""The day's ``videos.insert`` calls, counted per credential in ``QuotaUsage``.

Google counts the bucket per Google Cloud project (one ``GOOGLE_CLIENT_ID``), so the
limit (``YOUTUBE_DAILY_UPLOAD_LIMIT``, Google's default 100) is checked against every
YouTube credential's uses of the current Pacific day together. Every session start
that reached Google, or may have (a timeout), counts (invalid requests cost quota too);
a ``quotaExceeded`` answer marks the day as used up, whatever our count said.
"""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING

from django.db.models import F, Sum

from social_media.models import QuotaUsage
from social_media.platforms.base import Outcome, PublishResult, platform_setting
from social_media.platforms.youtube_shorts import quota
from social_media.platforms.youtube_shorts.client import NAME, QUOTA_REASONS, YouTubeError

if TYPE_CHECKING:
    from webhooks.models import SocialMediaCredentials

KEY = "youtube_shorts"


def daily_limit() -> int:
    return int(platform_setting("YOUTUBE_DAILY_UPLOAD_LIMIT"))


def uses_today(credential: SocialMediaCredentials | None = None) -> int:
    """Uploads started today (Pacific): by ``credential``, or by every credential."""
    rows = QuotaUsage.objects.filter(platform=KEY, window_start=quota.window_start())
    if credential is not None:
        rows = rows.filter(credential=credential)
    return int(rows.aggregate(total=Sum("used"))["total"] or 0)


def exhausted(credential: SocialMediaCredentials) -> PublishResult | None:
    """RATE_LIMITED until midnight Pacific when today's uploads are used up, else ``None``."""
    used, limit = uses_today(), daily_limit()
    if used < limit:
        return None
    reset = quota.next_reset()
    return PublishResult(
        Outcome.RATE_LIMITED,
        error_message=(
            f"{NAME}: today's upload quota is used up ({used} of {limit} videos.insert calls); "
            f"it resets at midnight Pacific time ({reset.astimezone(UTC):%Y-%m-%d %H:%M} UTC)."
        ),
        retry_after=quota.seconds_until_reset(),
    )


def record(credential: SocialMediaCredentials, error: YouTubeError | None = None) -> None:
    """Count one session start that reached (or may have reached) Google."""
    if error is not None and error.http_status is None and error.outcome != Outcome.UNKNOWN:
        return  # the request never left: nothing was spent
    if error is not None and error.http_status == 401:
        return  # the token was refused before any quota was spent
    row, _created = QuotaUsage.objects.get_or_create(
        credential=credential, platform=KEY, window_start=quota.window_start()
    )
    if error is not None and error.reason in QUOTA_REASONS:
        # Google says the bucket is empty: believe it until the reset.
        others = uses_today() - row.used
        QuotaUsage.objects.filter(pk=row.pk).update(used=max(daily_limit() - others, row.used))
        return
    QuotaUsage.objects.filter(pk=row.pk).update(used=F("used") + 1)
