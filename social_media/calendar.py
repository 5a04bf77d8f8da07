"""The publishing calendar: what went out and what goes out when, per day (two queries).

Each post sits on the day of its moment: a pending post on ``next_attempt_at`` (its
publish date, or its slot under the target's pace), a published one on
``published_at``, a failed or processing one on its last change. Also the bulk
action's per-platform summary of when its posts would go out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from social_media import pacing
from social_media.platforms.registry import PLATFORMS
from social_media.targets import Targets
from tasks.models import PostStatus, SocialMediaPost

#: At most this many posts are drawn (a month of six platforms at a fast pace fits).
MAX_ENTRIES = 2000


class Kind(StrEnum):
    SCHEDULED = "scheduled"  # waits for its task's publish date
    PLANNED = "planned"  # waits for its slot under the target's pace
    DUE = "due"  # due, waiting for a worker
    PROCESSING = "processing"
    PUBLISHED = "published"
    FAILED = "failed"


KIND_LABELS = {
    Kind.SCHEDULED: _("Scheduled"),
    Kind.PLANNED: _("Planned (pace)"),
    Kind.DUE: _("Due"),
    Kind.PROCESSING: _("Processing"),
    Kind.PUBLISHED: _("Published"),
    Kind.FAILED: _("Failed"),
}


@dataclass(frozen=True)
class Entry:
    post_id: int
    task_id: int
    task_label: str
    platform: str
    kind: Kind
    at: datetime  # local time
    first_of_task: bool = True  # the task's first waiting post that day carries its move form

    @property
    def platform_label(self) -> Any:
        platform = PLATFORMS.get(self.platform)
        return platform.label if platform else self.platform

    @property
    def kind_label(self) -> Any:
        return KIND_LABELS[self.kind]

    @property
    def waiting(self) -> bool:
        """Not sent yet: it can be moved to another day or sent now."""
        return self.kind in (Kind.SCHEDULED, Kind.PLANNED, Kind.DUE)


@dataclass
class Day:
    day: date
    entries: list[Entry] = field(default_factory=list)
    outside: bool = False  # a day of the previous or next month in the month view
    today: bool = False


@dataclass
class Calendar:
    view: str
    anchor: date
    start: date
    end: date  # exclusive
    weeks: list[list[Day]]
    platform: str
    counts: Counter
    truncated: bool

    @property
    def previous(self) -> date:
        if self.view == "month":
            return (self.anchor.replace(day=1) - timedelta(days=1)).replace(day=1)
        return self.anchor - timedelta(days=7)

    @property
    def next(self) -> date:
        if self.view == "month":
            return (self.anchor.replace(day=28) + timedelta(days=4)).replace(day=1)
        return self.anchor + timedelta(days=7)


def calendar_range(view: str, anchor: date) -> tuple[date, date]:
    """The days shown: the week (Monday first) of ``anchor``, or whole weeks covering its month."""
    if view == "month":
        first = anchor.replace(day=1)
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        start = first - timedelta(days=first.weekday())
        end = last + timedelta(days=7 - last.weekday())
        return start, end
    start = anchor - timedelta(days=anchor.weekday())
    return start, start + timedelta(days=7)


def _kind(post: SocialMediaPost, now: datetime) -> Kind:
    if post.status == PostStatus.PUBLISHED:
        return Kind.PUBLISHED
    if post.status == PostStatus.FAILED:
        return Kind.FAILED
    if post.status == PostStatus.PROCESSING:
        return Kind.PROCESSING
    if post.next_attempt_at and post.next_attempt_at > now:
        return Kind.PLANNED if post.planned_at else Kind.SCHEDULED
    return Kind.DUE


def _moment(post: SocialMediaPost) -> datetime:
    if post.status == PostStatus.PUBLISHED and post.published_at:
        return post.published_at
    if post.status == PostStatus.PENDING and post.next_attempt_at:
        return post.next_attempt_at
    return post.updated_at


def _excerpt(question: str) -> str:
    text = " ".join(question.split())
    return text if len(text) <= 60 else text[:59] + "…"


def build_calendar(view: str, anchor: date, platform: str = "") -> Calendar:
    """The calendar of ``view`` ("week" or "month") around ``anchor`` in the current time zone."""
    zone = timezone.get_current_timezone()
    now = timezone.now()
    start, end = calendar_range(view, anchor)
    since = datetime.combine(start, time(0), tzinfo=zone)
    until = datetime.combine(end, time(0), tzinfo=zone)
    in_range = (
        Q(status=PostStatus.PENDING, next_attempt_at__gte=since, next_attempt_at__lt=until)
        | Q(status=PostStatus.PUBLISHED, published_at__gte=since, published_at__lt=until)
        | Q(
            status__in=[PostStatus.FAILED, PostStatus.PROCESSING],
            updated_at__gte=since,
            updated_at__lt=until,
        )
    )
    posts = SocialMediaPost.objects.filter(in_range).select_related("task")
    if platform:
        posts = posts.filter(platform=platform)
    fields = ("id", "task_id", "platform", "status", "next_attempt_at", "planned_at")
    rows = list(
        posts.only(*fields, "published_at", "updated_at", "task__id", "task__question").order_by(
            "pk"
        )[: MAX_ENTRIES + 1]
    )
    truncated = len(rows) > MAX_ENTRIES
    by_day: dict[date, list[Entry]] = defaultdict(list)
    counts: Counter = Counter()
    for post in rows[:MAX_ENTRIES]:
        at = timezone.localtime(_moment(post), zone)
        kind = _kind(post, now)
        counts[kind] += 1
        by_day[at.date()].append(
            Entry(post.pk, post.task_id, _excerpt(post.task.question), post.platform, kind, at)
        )
    today = timezone.localdate(now, zone)
    days = []
    for offset in range((end - start).days):
        day = start + timedelta(days=offset)
        entries = _mark_first(sorted(by_day.get(day, []), key=lambda e: (e.at, e.platform)))
        outside = view == "month" and day.month != anchor.month
        days.append(Day(day, entries, outside, day == today))
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
    return Calendar(view, anchor, start, end, weeks, platform, counts, truncated)


def _mark_first(entries: list[Entry]) -> list[Entry]:
    seen: set[int] = set()
    marked = []
    for entry in entries:
        first = entry.waiting and entry.task_id not in seen
        if entry.waiting:
            seen.add(entry.task_id)
        marked.append(entry if first else replace(entry, first_of_task=False))
    return marked


@dataclass(frozen=True)
class PlatformPace:
    """The bulk action's posts on one platform: how many, when the first and last go out."""

    platform: str
    times: list[pacing.PlannedTime]
    pace: str  # the target's pace in words, "" when not paced

    @property
    def label(self) -> Any:
        platform = PLATFORMS.get(self.platform)
        return platform.label if platform else self.platform

    @property
    def first(self) -> datetime:
        return self.times[0].at

    @property
    def last(self) -> datetime:
        return self.times[-1].at

    @property
    def paced(self) -> bool:
        return any(t.paced for t in self.times)


def pace_preview(plans: list[Any], targets: Targets) -> list[PlatformPace]:
    """Per platform, when the bulk action's posts would go out under the pace (nothing written)."""
    first_target: dict[str, Any] = {}
    for plan in plans:
        for key, target in targets.for_task(plan.task).items():
            first_target.setdefault(key, target)
    rows = []
    for key, items in pacing.preview(plans, targets).items():
        carrier = first_target.get(key)
        paced = carrier is not None and pacing.pace_of(carrier).active
        rows.append(PlatformPace(key, items, pacing.describe_pace(carrier) if paced else ""))
    return rows
