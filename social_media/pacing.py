"""Pacing per target: a minimum gap, a daily cap and quiet hours, held as slots.

A paced target (a credential or webhook with a gap, a cap, quiet hours, or slowed down
after a spam answer) gives each new post the first free moment from when the post is
due: the post's ``next_attempt_at`` becomes that moment (``planned_at`` says so while
it lies ahead) and the relay sends it when due; no countdown waits in the broker.

The moments are ``PublishSlot`` rows. A planner first locks the target's row
(``SELECT … FOR UPDATE``, so two editors or workers plan one target in turn), then
reads the target's slots and writes its own; the table's unique constraints (one post
per target and moment, one slot per post, one numbered place per day up to the cap)
refuse anything that would double a slot or exceed a cap even if a planner went
wrong. Planning any number of posts costs a constant number of queries.

A target without pacing costs nothing: no lock, no slot, ``planned_at`` stays empty.
"""

from __future__ import annotations

import bisect
import logging
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from social_media.models import PublishSlot
from social_media.targets import Target, Targets, preloaded_targets
from tasks.models import PostStatus, SocialMediaPost, Task
from webhooks.models import SocialMediaCredentials, Webhook

if TYPE_CHECKING:
    from social_media.services import PublishSummary

logger = logging.getLogger("social_media")

#: A spam answer multiplies the target's gap by 2 (then 4, 8, at most 16) …
SPAM_FACTOR_MAX = 16
#: … for this long after the last spam answer; then the target's own pace is back.
SPAM_HOLD = timedelta(hours=6)
#: The gap of a slowed-down target that has none of its own.
SPAM_BASE_GAP = timedelta(minutes=15)
#: Slots older than this no longer matter to the planner (the daily cap looks back a day).
LOOKBACK = timedelta(days=1)
_MAX_STEPS = 100_000


@dataclass(frozen=True)
class Pace:
    """One target's rules as they stand now."""

    gap: timedelta = timedelta(0)
    cap: int = 0
    quiet: tuple[time, time] | None = None
    zone: zoneinfo.ZoneInfo | None = None
    slowed_until: datetime | None = None  # a spam answer stretched the gap until then

    @property
    def active(self) -> bool:
        return bool(self.gap or self.cap or self.quiet)


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def pace_of(target: Target, now: datetime | None = None) -> Pace:
    """The target's pace now: its own settings, the gap stretched while it is slowed down."""
    now = now or timezone.now()
    gap = timedelta(seconds=target.min_gap_seconds or 0)
    slowed = target.spam_until if target.spam_until and target.spam_until > now else None
    if slowed is not None:
        gap = (gap or SPAM_BASE_GAP) * max(target.spam_factor, 2)
    quiet = None
    start, end = target.quiet_start, target.quiet_end
    if start is not None and end is not None and start != end:
        quiet = (start, end)
    return Pace(gap, target.daily_cap or 0, quiet, _zone(target.time_zone), slowed)


def target_key(target: Target) -> str:
    """How slots name a target: ``api:<id>`` or ``webhook:<id>``."""
    return f"{'webhook' if isinstance(target, Webhook) else 'api'}:{target.pk}"


def _in_quiet(local: datetime, quiet: tuple[time, time]) -> datetime | None:
    """The local end of the quiet hours ``local`` falls in, else ``None``."""
    start, end = quiet
    now = local.timetz().replace(tzinfo=None)
    day = local.date()
    if start < end:
        inside = start <= now < end
        end_day = day
    else:  # across midnight
        inside = now >= start or now < end
        end_day = day + timedelta(days=1) if now >= start else day
    if not inside:
        return None
    return datetime.combine(end_day, end, tzinfo=local.tzinfo)


@dataclass
class _Book:
    """One target's slots while planning: times in order, the places taken per day."""

    pace: Pace
    times: list[datetime]
    places: dict[date, set[int]]
    #: No free moment lies in [start, end): slots are only added while planning, so a
    #: search that starts inside it may start at its end (a batch costs O(n log n)).
    full: tuple[datetime, datetime] | None = None

    def take(self, earliest: datetime) -> tuple[datetime, date, int]:
        """The first moment at or after ``earliest`` the pace allows; reserved at once."""
        moment = start = earliest
        if self.full is not None and self.full[0] <= earliest <= self.full[1]:
            start, moment = self.full[0], self.full[1]
        found = self._search(moment)
        self.full = (start, found[0])
        return found

    def _search(self, moment: datetime) -> tuple[datetime, date, int]:
        pace = self.pace
        zone = pace.zone or _zone("")
        for _step in range(_MAX_STEPS):
            local = moment.astimezone(zone)
            if pace.quiet and (end := _in_quiet(local, pace.quiet)) is not None:
                moment = end.astimezone(UTC)
                continue
            day = local.date()
            taken = self.places.get(day, set())
            if pace.cap and len(taken) >= pace.cap:
                moment = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
                continue
            clash = self._clash(moment)
            if clash is not None:
                moment = clash + pace.gap if pace.gap else clash + timedelta(seconds=1)
                continue
            place = 0
            if pace.cap:
                place = next(n for n in range(1, pace.cap + len(taken) + 2) if n not in taken)
            bisect.insort(self.times, moment)
            self.places.setdefault(day, set()).add(place)
            return moment, day, place
        raise RuntimeError("no free slot found")  # pragma: no cover - a cap of 0 is no cap

    def _clash(self, moment: datetime) -> datetime | None:
        """The latest slot closer than the gap to ``moment`` (the same moment without a gap)."""
        gap = self.pace.gap
        low = (
            bisect.bisect_right(self.times, moment - gap)
            if gap
            else bisect.bisect_left(self.times, moment)
        )
        high = (
            bisect.bisect_left(self.times, moment + gap)
            if gap
            else bisect.bisect_right(self.times, moment)
        )
        return self.times[high - 1] if high > low else None


def _books(paces: dict[str, Pace], since: datetime) -> dict[str, _Book]:
    """The slots of these targets from ``since`` on (one query)."""
    books = {key: _Book(pace, [], defaultdict(set)) for key, pace in paces.items()}
    rows = PublishSlot.objects.filter(target__in=list(paces), at__gte=since - LOOKBACK)
    for key, at, day, place in rows.values_list("target", "at", "day", "ordinal").order_by("at"):
        books[key].times.append(at)
        if place:  # forced and uncapped slots hold no place in the day
            books[key].places[day].add(place)
    return books


def _lock(targets: Iterable[Target]) -> list[Target]:
    """Lock the targets' rows (ids in order: no deadlock) and return them as they are now."""
    targets = list(targets)
    fresh: list[Target] = []
    for model in (SocialMediaCredentials, Webhook):
        ids = sorted({t.pk for t in targets if isinstance(t, model)})
        if ids:
            fresh.extend(model.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    return fresh


def _paced(targets: Iterable[Target], now: datetime) -> dict[str, Target]:
    return {target_key(t): t for t in targets if pace_of(t, now).active}


def _due(task: Task, now: datetime) -> datetime:
    return task.publish_date if task.publish_date and task.publish_date > now else now


@dataclass
class _Probe:
    """A post that is not there yet (the bulk action's preview): what planning reads."""

    task_id: int
    platform: str
    next_attempt_at: datetime | None


class _Plannable(Protocol):
    task_id: int
    platform: str
    next_attempt_at: datetime | None


def _plan(
    wanted: Sequence[tuple[_Plannable, Target]],
    now: datetime,
    *,
    dry: bool = False,
    fresh_only: bool = False,
) -> dict[int, tuple[str, datetime, date, int, int]]:
    """Slots for ``wanted`` (index → target key, moment, day, place, cap), posts in due order.

    Not ``dry``: the targets are locked and the slots written (at most six queries).
    ``fresh_only``: the posts are new; one that exists by now is left out.
    Each post's ``next_attempt_at`` is when it is due at the earliest.
    """
    if not wanted:
        return {}
    targets = {target_key(t): t for _, t in wanted}
    if not dry:
        targets = {target_key(t): t for t in _lock(targets.values())}
    if fresh_only:
        # Under the lock: a post another transaction wrote meanwhile keeps its slot (our
        # INSERT of it will be dropped); a slot whose post is gone is given back.
        pairs = {(p.task_id, p.platform) for p, _ in wanted}
        task_ids = {task_id for task_id, _ in pairs}
        posts = SocialMediaPost.objects.filter(task_id__in=task_ids)
        taken = set(posts.values_list("task_id", "platform")) & pairs
        slots = PublishSlot.objects.filter(task_id__in=task_ids)
        stale = [
            pk
            for pk, task_id, platform in slots.values_list("pk", "task_id", "platform")
            if (task_id, platform) in pairs - taken
        ]
        if stale:
            PublishSlot.objects.filter(pk__in=stale).delete()
        skip = {i for i, (p, _) in enumerate(wanted) if (p.task_id, p.platform) in taken}
    else:
        skip = set()
    paces = {key: pace_of(t, now) for key, t in targets.items()}
    books = _books(paces, now)
    order = sorted(
        range(len(wanted)),
        key=lambda i: (wanted[i][0].next_attempt_at or now, wanted[i][0].task_id or 0),
    )
    found: dict[int, tuple[str, datetime, date, int, int]] = {}
    for index in order:
        if index in skip:
            continue
        post, target = wanted[index]
        key = target_key(target)
        if key not in books or not paces[key].active:
            continue  # deactivated or unpaced meanwhile: it goes when due
        earliest = max(post.next_attempt_at or now, now)
        at, day, place = books[key].take(earliest)
        found[index] = (key, at, day, place, paces[key].cap)
    if not dry and found:
        PublishSlot.objects.bulk_create(
            [
                PublishSlot(
                    target=key,
                    at=at,
                    day=day,
                    ordinal=place,
                    cap=cap,
                    task_id=wanted[index][0].task_id,
                    platform=wanted[index][0].platform,
                )
                for index, (key, at, day, place, cap) in found.items()
            ]
        )
    return found


def _apply_slot(post: SocialMediaPost, at: datetime, now: datetime) -> None:
    post.next_attempt_at = at
    post.planned_at = at if at > now else None


def plan_new(
    posts: list[SocialMediaPost],
    targets: Targets,
    now: datetime,
    summary: PublishSummary | None = None,
) -> None:
    """Give new (unsaved) posts on paced targets their slots; no query when none is paced.

    Called by ``services.publish_tasks`` before the posts are inserted, so a planned post
    is written with its slot as ``next_attempt_at`` and is not handed to a worker now.
    """
    paced = _paced([*targets.credentials, *targets.webhooks], now)
    if not paced or not posts:
        return
    by_task: dict[int, dict[str, Target]] = {}
    wanted: list[tuple[SocialMediaPost, Target]] = []
    for post in posts:
        if post.task_id not in by_task:
            by_task[post.task_id] = targets.for_task(post.task)
        target = by_task[post.task_id].get(post.platform)
        if target is not None and target_key(target) in paced:
            wanted.append((post, target))
    if not wanted:
        return
    with transaction.atomic():
        found = _plan(wanted, now, fresh_only=True)
    for index, (_key, at, _day, _place, _cap) in found.items():
        post = wanted[index][0]
        was_due = post.next_attempt_at is None or post.next_attempt_at <= now
        _apply_slot(post, at, now)
        if summary is not None and was_due and at > now:
            summary.scheduled[post.platform] += 1
    _log_planned([wanted[i][0] for i in found], now)


def _pairs(posts: Iterable[SocialMediaPost]) -> Q:
    """The slots of these posts (one per task and platform)."""
    return _pairs_of((post.task_id, post.platform) for post in posts)


def _pairs_of(pairs: Iterable[tuple[int, str]]) -> Q:
    query = Q(pk__in=[])
    for task_id, platform in pairs:
        query |= Q(task_id=task_id, platform=platform)
    return query


def _log_planned(posts: list[SocialMediaPost], now: datetime) -> None:
    later = [p for p in posts if p.planned_at]
    if later:
        last = max(p.planned_at for p in later if p.planned_at)
        logger.info("🗓️ Темп: запланировано постов %s, последний на %s", len(later), last)


def posts_replan(
    post_ids: Iterable[int], *, targets: Targets | None = None, from_due: bool = False
) -> list[int]:
    """Plan pending posts again from their ``next_attempt_at`` (when each is due; with
    ``from_due``, from their task's publish date or now).

    Each post's old slot is given back; a post whose target (the task's current active
    one: a deactivated target's posts move to the next) is paced gets a new slot, the
    others go when due. Returns the ids now due, for the caller to enqueue. Locks the
    posts, so a worker cannot claim one half-way.
    """
    ids = list(post_ids)
    now = timezone.now()
    targets = targets or preloaded_targets() or Targets.load()
    if not ids or not (from_due or _paced([*targets.credentials, *targets.webhooks], now)):
        return ids  # nothing is paced: every post goes when due, as before
    with transaction.atomic():
        posts = list(
            SocialMediaPost.objects.select_for_update(of=("self",))
            .select_related("task")
            .filter(pk__in=ids, status=PostStatus.PENDING, claim_token__isnull=True)
            .order_by("pk")
        )
        if not posts:
            return []
        PublishSlot.objects.filter(_pairs(posts)).delete()
        wanted: list[tuple[SocialMediaPost, Target]] = []
        for post in posts:
            target = targets.for_task(post.task).get(post.platform)
            post.webhook = target if isinstance(target, Webhook) else None
            post.planned_at = None
            if from_due and post.attempt_count == 0:  # a retry keeps its own time
                post.next_attempt_at = _due(post.task, now)
                post.enqueued_at = None
            if target is not None and pace_of(target, now).active:
                wanted.append((post, target))
        for index, (_key, at, _day, _place, _cap) in _plan(wanted, now).items():
            _apply_slot(wanted[index][0], at, now)
        SocialMediaPost.objects.bulk_update(
            posts, ["next_attempt_at", "planned_at", "webhook", "enqueued_at"], batch_size=500
        )
    return [p.pk for p in posts if p.next_attempt_at is None or p.next_attempt_at <= now]


def _waiting_on(target: Target, now: datetime) -> list[int]:
    """Pending, unclaimed posts this target may carry: those holding one of its future
    slots and, while it is active and paced, every pending post of its platforms (they
    may not have a slot yet)."""
    pairs = list(
        PublishSlot.objects.filter(target=target_key(target), at__gt=now, forced=False).values_list(
            "task_id", "platform"
        )
    )
    keys = target.target_platforms if isinstance(target, Webhook) else [target.platform]
    platforms = [k for k in (keys if isinstance(keys, list) else []) if isinstance(k, str)]
    if not (target.is_active and pace_of(target, now).active):
        platforms = []  # only the posts it holds slots for need a new plan
    waiting = Q(status=PostStatus.PENDING, claim_token__isnull=True)
    return list(
        SocialMediaPost.objects.filter(waiting & (Q(platform__in=platforms) | _pairs_of(pairs)))
        .values_list("pk", flat=True)
        .order_by("pk")
    )


def target_replan(target: Target, *, deleted: bool = False) -> int:
    """A target was edited, deactivated or deleted: plan its waiting posts again.

    Each goes back to when its task is due and is planned on the task's current target
    (the next active one if this one is off), so nothing waits on a target that is gone.
    """
    now = timezone.now()
    key = target_key(target)
    ids = _waiting_on(target, now)
    if deleted:
        PublishSlot.objects.filter(target=key, at__gt=now).delete()
    if not ids:
        return 0
    from social_media.services import enqueue_after_commit

    enqueue_after_commit(posts_replan(ids, from_due=True))
    logger.info("🗓️ Темп: цель %s изменена — перепланировано постов %s", key, len(ids))
    return len(ids)


def task_slots_release(task: Task) -> int:
    """Give back the future slots of a task whose posts were cancelled (unpublished)."""
    deleted, _ = PublishSlot.objects.filter(task=task, at__gt=timezone.now()).delete()
    return deleted


def spam_slowdown(
    target: Target, now: datetime | None = None, post: SocialMediaPost | None = None
) -> Pace:
    """A spam or flood answer: double the target's slow-down (at most ×16) for ``SPAM_HOLD``.

    The refused ``post`` holds the moment of its attempt (the gap counts from it), and
    the target's waiting posts are spread again under the stretched gap. Returns the
    pace now in force.
    """
    now = now or timezone.now()
    if post is not None:
        PublishSlot.objects.update_or_create(
            task_id=post.task_id,
            platform=post.platform,
            defaults={
                "target": target_key(target),
                "at": now,
                "day": now.astimezone(_zone(target.time_zone)).date(),
                "ordinal": 0,
                "cap": 0,
                "forced": True,
            },
        )
    model = type(target)
    still = target.spam_until is not None and target.spam_until > now
    factor = min(max(target.spam_factor, 1) * 2, SPAM_FACTOR_MAX) if still else 2
    model.objects.filter(pk=target.pk).update(spam_factor=factor, spam_until=now + SPAM_HOLD)
    target.spam_factor, target.spam_until = factor, now + SPAM_HOLD
    logger.warning("🐢 %s: ответ «спам» — интервал ×%s до %s", target, factor, target.spam_until)
    target_replan(target)
    return pace_of(target, now)


def spam_retry_at(post: SocialMediaPost, target: Target, now: datetime | None = None) -> datetime:
    """After a spam answer: slow the target down and give ``post`` the next slot under it."""
    now = now or timezone.now()
    pace = spam_slowdown(target, now, post)
    earliest = now + pace.gap  # the refused attempt was just now
    with transaction.atomic():
        PublishSlot.objects.filter(task_id=post.task_id, platform=post.platform).delete()
        found = _plan([(_Probe(post.task_id, post.platform, earliest), target)], now)
    return found[0][1] if found else earliest


def post_publish_now(post: SocialMediaPost) -> bool:
    """*Skip the queue*: send a pending, unclaimed post at once, whatever the pace.

    Its slot becomes a forced one at this moment (it still counts for the gap of the
    posts after it, not for the daily cap). Returns whether the post was taken.
    """
    from social_media.services import enqueue_after_commit

    now = timezone.now()
    with transaction.atomic():
        moved = SocialMediaPost.objects.filter(
            pk=post.pk, status=PostStatus.PENDING, claim_token__isnull=True
        ).update(next_attempt_at=now, planned_at=None, enqueued_at=None, updated_at=now)
        if not moved:
            return False
        PublishSlot.objects.filter(task_id=post.task_id, platform=post.platform).update(
            at=now, day=timezone.localdate(now), ordinal=0, forced=True
        )
    enqueue_after_commit([post.pk])
    logger.info("⏩ Пост %s отправляется вне очереди", post.pk)
    return True


def task_move_to_day(task: Task, day: date) -> Task:
    """Move a published task's unsent posts to ``day``, keeping the time of day.

    The task's publish date becomes that day (at the time its first waiting post was
    planned for, else the task's own time, else 09:00 local), so the task and its posts
    stay in step; its posts are planned again from there.
    """
    zone = timezone.get_current_timezone()
    first = (
        SocialMediaPost.objects.filter(task=task, status=PostStatus.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    reference = first or task.publish_date
    clock = reference.astimezone(zone).time() if reference else time(9, 0)
    task.publish_date = datetime.combine(day, clock, tzinfo=zone)
    task.save(update_fields=["publish_date", "updated_at"])
    return task


@dataclass(frozen=True)
class PlannedTime:
    """When one post of the bulk action would go out under its target's pace."""

    task_id: int
    platform: str
    at: datetime
    paced: bool


def preview(plans: Iterable[Any], targets: Targets) -> dict[str, list[PlannedTime]]:
    """Per platform, when the bulk action's posts would go out (nothing written; one query).

    ``plans`` are ``publish_plan.TaskPlan``: only posts it would send are planned.
    """
    now = timezone.now()
    wanted: list[tuple[_Probe, Target]] = []
    unpaced: list[PlannedTime] = []
    for plan in plans:
        found = targets.for_task(plan.task)
        for post in plan.posts:
            if post.decision not in ("new", "retry") or post.platform not in found:
                continue
            target = found[post.platform]
            due = _due(plan.task, now)
            if pace_of(target, now).active:
                wanted.append((_Probe(plan.task.pk, post.platform, due), target))
            else:
                unpaced.append(PlannedTime(plan.task.pk, post.platform, due, False))
    times: dict[str, list[PlannedTime]] = defaultdict(list)
    for item in unpaced:
        times[item.platform].append(item)
    for index, (_key, at, _day, _place, _cap) in _plan(wanted, now, dry=True).items():
        probe = wanted[index][0]
        times[probe.platform].append(PlannedTime(probe.task_id, probe.platform, at, True))
    return {key: sorted(items, key=lambda p: p.at) for key, items in sorted(times.items())}


def spam_state(target: Target, now: datetime | None = None) -> tuple[int, datetime] | None:
    """(factor, until) while the target is slowed down after a spam answer, else ``None``."""
    now = now or timezone.now()
    if target.spam_until and target.spam_until > now:
        return max(target.spam_factor, 2), target.spam_until
    return None


def spam_reset(target: Target) -> None:
    """Lift a spam slow-down by hand (the admin's action)."""
    type(target).objects.filter(pk=target.pk).update(spam_factor=1, spam_until=None)
    target.spam_factor, target.spam_until = 1, None
    target_replan(target)


def suggested_pace_for(target: Target) -> tuple[int, int] | None:
    """(gap seconds, daily cap) the target's platforms suggest: the strictest of them."""
    from social_media.platforms.registry import PLATFORMS

    keys = target.target_platforms if isinstance(target, Webhook) else [target.platform]
    suggestions = [
        PLATFORMS[key].suggested_pace
        for key in (keys if isinstance(keys, list) else [])
        if isinstance(key, str) and key in PLATFORMS and PLATFORMS[key].suggested_pace
    ]
    if not suggestions:
        return None
    gap = max(s.min_gap_seconds for s in suggestions if s)
    caps = [s.daily_cap for s in suggestions if s and s.daily_cap]
    return gap, min(caps) if caps else 0


def apply_suggested_pace(target: Target) -> bool:
    """Set the target's gap and cap to its platforms' suggestion (its waiting posts follow)."""
    suggestion = suggested_pace_for(target)
    if suggestion is None:
        return False
    target.min_gap_seconds, target.daily_cap = suggestion
    target.save(update_fields=["min_gap_seconds", "daily_cap", "updated_at"])
    return True


def describe_pace(target: Any) -> str:
    """“every 10 min, at most 24 a day, quiet 22:00–08:00 (Europe/Moscow)”, or “no pacing”."""
    parts = []
    if target.min_gap_seconds:
        minutes, seconds = divmod(target.min_gap_seconds, 60)
        parts.append(
            gettext("every %(minutes)d min") % {"minutes": minutes}
            if not seconds
            else gettext("every %(seconds)d s") % {"seconds": target.min_gap_seconds}
        )
    if target.daily_cap:
        parts.append(gettext("at most %(count)d a day") % {"count": target.daily_cap})
    if target.quiet_start is not None and target.quiet_end is not None:
        parts.append(
            gettext("quiet %(start)s–%(end)s")
            % {"start": f"{target.quiet_start:%H:%M}", "end": f"{target.quiet_end:%H:%M}"}
        )
    if not parts:
        return gettext("no pacing")
    zone = target.time_zone or gettext("site time zone")
    return f"{', '.join(parts)} ({zone})"
