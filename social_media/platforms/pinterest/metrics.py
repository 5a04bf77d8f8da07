"""Pinterest pin analytics: impressions, saves, pin and outbound clicks, reactions, comments.

One ``GET pins/{id}/analytics`` per pin (the multi-pin endpoint is a beta not every app
has). ``summary_metrics`` covers the days since the pin was made (at most 90 back),
``lifetime_metrics`` the totals Pinterest keeps for the pin's life. The numbers go to the
collector as Pinterest gave them; it validates them (social_media/metrics_values.py).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from social_media.http import ApiError
from social_media.platforms.base import MetricsBatch, MetricsReading, Outcome
from social_media.platforms.pinterest import oauth
from social_media.platforms.pinterest.client import PinterestClient

if TYPE_CHECKING:
    from tasks.models import SocialMediaPost
    from webhooks.models import SocialMediaCredentials

logger = logging.getLogger(__name__)

METRIC_TYPES = "IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK,TOTAL_COMMENTS,TOTAL_REACTIONS"
MAX_DAYS_BACK = 89  # "start_date cannot be more than 90 days back from today"
BATCH_SIZE = 10


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _add(first: Any, second: Any) -> Any:
    """Pin clicks + outbound clicks; a missing one counts as absent, junk passes through."""
    if first is None:
        return second
    if second is None:
        return first
    if _number(first) and _number(second):
        return first + second
    return first if not _number(first) else second


def reading_from(answer: Any) -> MetricsReading | None:
    """The common names from one analytics answer, or ``None`` when it holds nothing."""
    bucket = answer.get("all") if isinstance(answer, dict) else None
    if not isinstance(bucket, dict):
        return None
    summary = bucket.get("summary_metrics")
    lifetime = bucket.get("lifetime_metrics")
    summary = summary if isinstance(summary, dict) else {}
    lifetime = lifetime if isinstance(lifetime, dict) else {}
    raw = {**summary, **{f"lifetime_{k}": v for k, v in lifetime.items()}}
    values: dict[str, Any] = {}
    pairs = (("views", "IMPRESSION"), ("saves", "SAVE"))
    for name, key in pairs:
        if key in summary:
            values[name] = summary[key]
    if "PIN_CLICK" in summary or "OUTBOUND_CLICK" in summary:
        values["clicks"] = _add(summary.get("PIN_CLICK"), summary.get("OUTBOUND_CLICK"))
    for name, key in (("engagements", "TOTAL_REACTIONS"), ("comments", "TOTAL_COMMENTS")):
        if key in lifetime:
            values[name] = lifetime[key]
    return MetricsReading(values=values, raw=raw)


def _dates(post: SocialMediaPost, today: datetime) -> tuple[str, str]:
    published = post.published_at or today
    start = max(published.astimezone(UTC).date(), today.date() - timedelta(days=MAX_DAYS_BACK))
    return start.isoformat(), today.date().isoformat()


def read_pinterest_metrics(
    posts: list[SocialMediaPost], credential: SocialMediaCredentials
) -> MetricsBatch:
    """Each pin's analytics; stops at the first answer that is about the token or limits.

    A 401 refreshes the token once (when the app can) and asks again, as publishing does.
    """
    today = datetime.now(UTC)
    reader = _Reader(credential)
    readings: dict[int, MetricsReading] = {}
    for post in posts:
        if not post.post_id:
            continue
        start, end = _dates(post, today)
        try:
            answer = reader.analytics(post.post_id, start, end)
        except ApiError as error:
            stop = _stop(error, readings)
            if stop is not None:
                return stop
            logger.warning(
                "📊 Pinterest: аналитика пина поста %s не прочитана (%s)", post.pk, error.message
            )
            continue
        reading = reading_from(answer)
        if reading is not None:
            readings[post.pk] = reading
    return MetricsBatch(readings=readings)


class _Reader:
    """The client of one credential, refreshing its token after a 401 at most once."""

    def __init__(self, credential: SocialMediaCredentials) -> None:
        self.credential = credential
        self.client = PinterestClient(token=credential.access_token)
        self.refreshed = False

    def analytics(self, pin_id: str, start: str, end: str) -> Any:
        try:
            return self._ask(pin_id, start, end)
        except ApiError as error:
            if error.outcome != Outcome.AUTH or not self._refresh():
                raise
            return self._ask(pin_id, start, end)

    def _ask(self, pin_id: str, start: str, end: str) -> Any:
        return self.client.pin_analytics(
            pin_id=pin_id, start_date=start, end_date=end, metric_types=METRIC_TYPES
        )

    def _refresh(self) -> bool:
        if self.refreshed or not oauth.refresh_possible(self.credential):
            return False
        self.refreshed = True
        stale = self.credential.access_token
        result = oauth.credential_refresh_token(credential=self.credential, stale_token=stale)
        if result.ok:
            self.client = PinterestClient(token=self.credential.access_token)
        return result.ok


def _stop(error: ApiError, readings: dict[int, MetricsReading]) -> MetricsBatch | None:
    """A batch ending here (token, limits, outage), or ``None`` to skip only this pin."""
    if error.outcome == Outcome.PERMANENT:
        return None  # this pin (deleted, not ours): the others may still answer
    outcome = Outcome.TRANSIENT if error.outcome == Outcome.UNKNOWN else error.outcome
    return MetricsBatch(
        readings=readings,
        outcome=outcome,
        error_message=error.message,
        retry_after=error.retry_after,
    )
