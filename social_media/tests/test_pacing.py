"""Pacing per target: slots from the database, the gap, the cap, quiet hours, re-planning.

The broker is the boundary: ``sent`` records the post ids handed to it.
"""

from __future__ import annotations

import itertools
import zoneinfo
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from social_media import pacing
from social_media import tasks as celery_tasks
from social_media.delivery import _relay_batch
from social_media.models import PublishSlot
from social_media.platforms.registry import PLATFORMS
from social_media.publish_plan import publish_plan
from social_media.services import publish_tasks, tasks_publish_bulk
from social_media.targets import Targets
from tasks.models import PostStatus, SocialMediaPost, Task
from tests.factories import (
    FacebookCredentialsFactory,
    PinterestCredentialsFactory,
    TaskFactory,
    WebhookFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

GAP = 600


@pytest.fixture
def sent(monkeypatch):
    ids: list[int] = []
    monkeypatch.setattr(celery_tasks.publish_post, "delay", lambda post_id: ids.append(post_id))
    monkeypatch.setattr(celery_tasks.dispatch_posts, "delay", lambda post_ids: ids.extend(post_ids))
    return ids


def _tasks(count: int, **kwargs) -> list[Task]:
    return [TaskFactory(**kwargs) for _ in range(count)]


def _times(platform: str = "pinterest") -> list[datetime]:
    posts = SocialMediaPost.objects.filter(platform=platform).order_by("next_attempt_at")
    return [p.next_attempt_at for p in posts if p.next_attempt_at]


def _at(post: SocialMediaPost) -> datetime:
    """The post's next attempt (always set on a pending post here)."""
    assert post.next_attempt_at is not None
    return post.next_attempt_at


def _gaps(times: list[datetime]) -> list[float]:
    return [round((b - a).total_seconds()) for a, b in itertools.pairwise(times)]


# --- no pacing: today's behaviour ---------------------------------------------------


def test_an_unpaced_target_sends_everything_at_once_and_holds_no_slot(sent):
    PinterestCredentialsFactory()
    tasks_publish_bulk(Task.objects.filter(pk__in=[t.pk for t in _tasks(3)]))

    posts = list(SocialMediaPost.objects.all())
    assert len(posts) == 3
    assert all(p.planned_at is None for p in posts)
    assert sorted(sent) == sorted(p.pk for p in posts)
    assert not PublishSlot.objects.exists()


# --- the gap, the cap, quiet hours --------------------------------------------------


def test_a_gap_spreads_a_bulk_publish_and_only_the_first_post_goes_now(sent):
    PinterestCredentialsFactory(min_gap_seconds=GAP)
    before = timezone.now()
    summary = tasks_publish_bulk(Task.objects.filter(pk__in=[t.pk for t in _tasks(4)]))

    times = _times()
    assert _gaps(times) == [GAP, GAP, GAP]
    assert before <= times[0] <= timezone.now()
    first, *later = list(SocialMediaPost.objects.order_by("next_attempt_at"))
    assert first.planned_at is None and sent == [first.pk]
    assert [p.planned_at for p in later] == times[1:]
    assert summary.scheduled["pinterest"] == 3
    assert PublishSlot.objects.count() == 4


def test_a_second_batch_waits_behind_the_first(sent):
    PinterestCredentialsFactory(min_gap_seconds=GAP)
    publish_tasks(_tasks(2, published=True))
    publish_tasks(_tasks(2, published=True))

    assert _gaps(_times()) == [GAP, GAP, GAP]


def test_a_daily_cap_moves_the_rest_to_the_next_days_in_the_target_s_zone(sent):
    PinterestCredentialsFactory(daily_cap=2, time_zone="Asia/Tokyo")
    publish_tasks(_tasks(5, published=True))

    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    days = [t.astimezone(tokyo).date() for t in _times()]
    today = timezone.now().astimezone(tokyo).date()
    assert days == [today, today, *[today + timedelta(days=1)] * 2, today + timedelta(days=2)]
    assert _times()[2].astimezone(tokyo).time() == time(0, 0)
    assert sorted(PublishSlot.objects.values_list("ordinal", flat=True)) == [1, 1, 1, 2, 2]


def test_quiet_hours_push_a_slot_to_their_end_also_across_midnight():
    credential = PinterestCredentialsFactory.build(
        pk=1, min_gap_seconds=3600, quiet_start=time(22, 0), quiet_end=time(8, 0)
    )
    pace = pacing.pace_of(credential)
    book = pacing._Book(pace, [], {})
    evening = datetime(2026, 12, 2, 21, 30, tzinfo=UTC)

    slots = [book.take(evening)[0] for _ in range(3)]

    assert slots == [
        evening,
        datetime(2026, 12, 3, 8, 0, tzinfo=UTC),  # 22:30 is quiet: the morning
        datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
    ]


def test_a_slot_keeps_the_gap_before_a_later_slot_too():
    credential = PinterestCredentialsFactory.build(pk=1, min_gap_seconds=GAP)
    noon = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    book = pacing._Book(pacing.pace_of(credential), [noon + timedelta(seconds=300)], {})

    assert book.take(noon)[0] == noon + timedelta(seconds=300 + GAP)
    assert book.take(noon - timedelta(hours=1))[0] == noon - timedelta(hours=1)


# --- the database keeps the promises -------------------------------------------------


def test_the_database_refuses_two_posts_in_one_slot_and_a_place_past_the_cap():
    first, second = _tasks(2)
    at = timezone.now()
    PublishSlot.objects.create(
        target="api:1", at=at, day=at.date(), task=first, platform="pinterest"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        PublishSlot.objects.create(
            target="api:1", at=at, day=at.date(), task=second, platform="pinterest"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        PublishSlot.objects.create(
            target="api:2", at=at, day=at.date(), ordinal=3, cap=2, task=second, platform="x"
        )


def test_a_restarted_process_plans_after_the_slots_already_held(sent):
    from social_media import target_cache

    PinterestCredentialsFactory(min_gap_seconds=GAP)
    publish_tasks(_tasks(2))
    target_cache.forget()  # a new process: nothing in memory, the slots are in the database

    publish_tasks(_tasks(2))

    assert _gaps(_times()) == [GAP, GAP, GAP]


def test_pacing_a_target_plans_the_posts_already_waiting_for_it(sent):
    credential = PinterestCredentialsFactory()
    publish_tasks(_tasks(3, publish_date=timezone.now() + timedelta(hours=1)))
    assert not PublishSlot.objects.exists()

    credential.min_gap_seconds = GAP
    credential.save()

    assert _gaps(_times()) == [GAP, GAP]
    assert PublishSlot.objects.count() == 3

    credential.min_gap_seconds = 0
    credential.save()

    assert len(set(_times())) == 1  # back to their publish date, all at once
    assert SocialMediaPost.objects.filter(planned_at__isnull=False).count() == 0


# --- the relay sends what is due -----------------------------------------------------


def test_the_relay_leaves_a_planned_post_alone_until_its_slot(sent):
    PinterestCredentialsFactory(min_gap_seconds=GAP)
    publish_tasks(_tasks(2, published=True))
    SocialMediaPost.objects.update(enqueued_at=None)
    later = SocialMediaPost.objects.exclude(planned_at=None).get()

    assert later.pk not in _relay_batch(timezone.now())
    assert later.pk in _relay_batch(_at(later) + timedelta(seconds=1))


# --- nothing lost, nothing doubled ---------------------------------------------------


def test_unpublishing_gives_the_slots_back_and_republishing_plans_again(sent):
    PinterestCredentialsFactory(min_gap_seconds=GAP)
    first, second = _tasks(2, published=True)
    publish_tasks([first, second])
    first_time = _at(SocialMediaPost.objects.get(task=first))

    second.published = False
    second.save()
    assert not SocialMediaPost.objects.filter(task=second).exists()
    assert PublishSlot.objects.filter(task=second).count() == 0

    second.published = True
    second.save()
    post = SocialMediaPost.objects.get(task=second)
    assert post.status == PostStatus.PENDING
    assert post.next_attempt_at == first_time + timedelta(seconds=GAP)


def test_a_new_publish_date_moves_the_posts_and_their_slots(sent):
    PinterestCredentialsFactory(min_gap_seconds=GAP)
    first, second = _tasks(2, published=True)
    publish_tasks([first, second])
    tomorrow = timezone.now() + timedelta(days=1)

    second.publish_date = tomorrow
    second.save()

    post = SocialMediaPost.objects.get(task=second)
    assert post.next_attempt_at == tomorrow
    assert post.planned_at == tomorrow
    assert PublishSlot.objects.get(task=second).at == tomorrow


def test_moving_a_task_to_another_day_keeps_the_time_of_day(sent):
    PinterestCredentialsFactory(min_gap_seconds=GAP)
    tasks = _tasks(3, published=True)
    publish_tasks(tasks)
    planned = _at(SocialMediaPost.objects.get(task=tasks[2]))
    day = (planned + timedelta(days=3)).astimezone(timezone.get_current_timezone()).date()

    pacing.task_move_to_day(tasks[2], day)

    moved = SocialMediaPost.objects.get(task=tasks[2])
    assert moved.next_attempt_at == planned + timedelta(days=3)
    assert moved.planned_at == moved.next_attempt_at
    assert Task.objects.get(pk=tasks[2].pk).publish_date == moved.next_attempt_at


def test_deactivating_a_target_re_plans_its_posts_on_the_next_active_one(sent):
    paced = PinterestCredentialsFactory(min_gap_seconds=GAP)
    publish_tasks(_tasks(3, published=True))
    spare = PinterestCredentialsFactory(min_gap_seconds=60)
    waiting = set(SocialMediaPost.objects.exclude(planned_at=None).values_list("pk", flat=True))
    assert len(waiting) == 2

    paced.is_active = False
    paced.save()

    times = _times()
    later = SocialMediaPost.objects.filter(pk__in=waiting).order_by("next_attempt_at")
    assert _gaps([_at(p) for p in later]) == [60]
    assert set(PublishSlot.objects.filter(target=f"api:{spare.pk}").values_list("task", flat=True))
    assert not PublishSlot.objects.filter(target=f"api:{paced.pk}", at__gt=timezone.now())
    assert len(times) == 3


def test_deleting_the_only_target_leaves_no_post_waiting_for_it(sent):
    paced = PinterestCredentialsFactory(min_gap_seconds=GAP)
    publish_tasks(_tasks(3, published=True))

    paced.delete()

    now = timezone.now()
    assert all(_at(p) <= now for p in SocialMediaPost.objects.all())
    assert SocialMediaPost.objects.filter(planned_at__isnull=False).count() == 0
    assert not PublishSlot.objects.filter(at__gt=now).exists()


def test_deleting_a_task_frees_its_slots(sent):
    PinterestCredentialsFactory(min_gap_seconds=GAP)
    tasks = _tasks(2, published=True)
    publish_tasks(tasks)

    tasks[1].delete()

    assert list(PublishSlot.objects.values_list("task", flat=True)) == [tasks[0].pk]


def test_publish_now_skips_the_queue(sent):
    PinterestCredentialsFactory(min_gap_seconds=GAP)
    publish_tasks(_tasks(3, published=True))
    last = SocialMediaPost.objects.order_by("-next_attempt_at")[0]
    sent.clear()

    assert pacing.post_publish_now(last)

    last.refresh_from_db()
    assert last.planned_at is None and _at(last) <= timezone.now()
    assert sent == [last.pk]
    assert PublishSlot.objects.get(task=last.task_id).forced


def test_a_retried_post_waits_for_a_slot_on_a_paced_target(sent):
    PinterestCredentialsFactory(min_gap_seconds=GAP)
    tasks = _tasks(2, published=True)
    publish_tasks(tasks)
    SocialMediaPost.objects.filter(task=tasks[0]).update(status=PostStatus.FAILED)

    tasks_publish_bulk(Task.objects.filter(pk=tasks[0].pk))

    retried = SocialMediaPost.objects.get(task=tasks[0])
    assert retried.status == PostStatus.PENDING
    other = _at(SocialMediaPost.objects.get(task=tasks[1]))
    assert abs((_at(retried) - other).total_seconds()) >= GAP


# --- spam answers ---------------------------------------------------------------------


def test_a_spam_answer_stretches_the_gap_and_spreads_the_waiting_posts(sent):
    credential = PinterestCredentialsFactory(min_gap_seconds=GAP)
    publish_tasks(_tasks(3, published=True))

    pace = pacing.spam_slowdown(credential)

    assert pace.gap == timedelta(seconds=GAP * 2)
    credential.refresh_from_db()
    assert credential.spam_factor == 2
    assert credential.spam_until is not None and credential.spam_until > timezone.now()
    waiting = [_at(p) for p in SocialMediaPost.objects.exclude(planned_at=None)]
    assert all(b - a >= pace.gap for a, b in itertools.pairwise(sorted(waiting)))
    assert pacing.spam_slowdown(credential).gap == timedelta(seconds=GAP * 4)


def test_a_spam_answer_slows_down_a_target_without_a_pace_of_its_own(sent):
    credential = PinterestCredentialsFactory()
    publish_tasks(_tasks(1, published=True))
    post = SocialMediaPost.objects.get()

    retry = pacing.spam_retry_at(post, credential)

    assert retry >= timezone.now() + pacing.SPAM_BASE_GAP * 2 - timedelta(seconds=5)
    assert pacing.spam_state(credential) is not None


def test_the_slow_down_ends_after_the_hold():
    credential = PinterestCredentialsFactory.build(
        pk=1, spam_factor=4, spam_until=timezone.now() - timedelta(seconds=1)
    )
    assert not pacing.pace_of(credential).active
    assert pacing.spam_state(credential) is None


# --- what the bulk action will do ------------------------------------------------------


def test_the_preview_says_when_each_post_will_go_and_writes_nothing(sent):
    PinterestCredentialsFactory(min_gap_seconds=GAP)
    FacebookCredentialsFactory()
    tasks = _tasks(3)
    targets = Targets.load()

    times = pacing.preview(publish_plan(tasks, targets), targets)

    assert not PublishSlot.objects.exists() and not SocialMediaPost.objects.exists()
    assert _gaps([p.at for p in times["pinterest"]]) == [GAP, GAP]
    assert all(p.paced for p in times["pinterest"])
    assert [p.paced for p in times["facebook"]] == [False] * 3
    tasks_publish_bulk(Task.objects.filter(pk__in=[t.pk for t in tasks]))
    assert _gaps(_times()) == [GAP, GAP]


# --- the platforms' suggestions ---------------------------------------------------------


def test_every_platform_suggests_a_pace():
    for platform in PLATFORMS.values():
        pace = platform.suggested_pace
        assert pace is not None and pace.min_gap_seconds > 0, platform.key


# --- cost: constant in the number of posts ---------------------------------------------


def _six_paced_targets() -> None:
    PinterestCredentialsFactory(min_gap_seconds=60, daily_cap=500)
    FacebookCredentialsFactory(min_gap_seconds=60)
    WebhookFactory(min_gap_seconds=30, daily_cap=400)


@pytest.mark.postgres  # SQLite splits a bulk INSERT by its variable limit
def test_planning_1000_posts_over_6_targets_costs_the_same_queries_as_12(
    sent, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _six_paced_targets()
    publish_tasks(_tasks(1))  # the process loads its copy of the targets once
    small = _tasks(2)
    large = _tasks(167)  # 1,002 posts
    with CaptureQueriesContext(connection) as few:
        publish_tasks(small)

    with django_assert_num_queries(len(few.captured_queries)):
        publish_tasks(large)

    assert SocialMediaPost.objects.count() == 6 * 170
    assert PublishSlot.objects.count() == 6 * 170
    assert all(p.next_attempt_at for p in SocialMediaPost.objects.all())


# --- the local run ----------------------------------------------------------------------


def test_bulk_publishing_twenty_demo_tasks_spreads_them_over_the_demo_pace(sent):
    from io import StringIO

    from django.core.management import call_command

    from social_media.management.commands.load_demo_data import DEMO_GAP_SECONDS

    call_command(
        "load_demo_data", emulator_url="http://127.0.0.1:9025", extra_tasks=14, stdout=StringIO()
    )
    assert Task.objects.count() == 20

    tasks_publish_bulk(Task.objects.all())

    from webhooks.models import SocialMediaCredentials, Webhook

    credentials = list(SocialMediaCredentials.objects.all())
    hook = Webhook.objects.get()
    platforms = set(SocialMediaPost.objects.values_list("platform", flat=True))
    assert platforms == {c.platform for c in credentials} | set(hook.target_platforms)
    for platform in platforms:
        times = _times(platform)
        assert len(times) == 20
        assert min(_gaps(times)) >= DEMO_GAP_SECONDS, platform
    # the webhook carries several platforms: its posts share one pace
    carried = SocialMediaPost.objects.filter(platform__in=hook.target_platforms)
    hooked = sorted(_at(p) for p in carried)
    assert _gaps(hooked) == [DEMO_GAP_SECONDS] * (20 * len(hook.target_platforms) - 1)
    assert len(sent) == len(credentials) + 1  # the first post of each target goes now
