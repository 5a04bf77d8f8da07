"""The publishing calendar, moving a day, publishing now, and the pace in the admin."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from social_media import tasks as celery_tasks
from social_media.calendar import build_calendar, calendar_range
from social_media.services import publish_tasks
from tasks.models import PostStatus, SocialMediaPost, Task
from tests.factories import (
    FacebookCredentialsFactory,
    PinterestCredentialsFactory,
    TaskFactory,
    WebhookFactory,
)
from webhooks.models import SocialMediaCredentials

pytestmark = pytest.mark.django_db

GAP = 3600


@pytest.fixture(autouse=True)
def sent(monkeypatch):
    ids: list[int] = []
    monkeypatch.setattr(celery_tasks.publish_post, "delay", ids.append)
    monkeypatch.setattr(celery_tasks.dispatch_posts, "delay", ids.extend)
    return ids


def _entries(html: str) -> dict[str, str]:
    """post id → the day cell (YYYY-MM-DD) it is drawn in."""
    found = {}
    for day, cell in re.findall(r'data-day="([\d-]+)">(.*?)</td>', html, re.S):
        for post in re.findall(r'data-post="(\d+)"', cell):
            found[post] = day
    return found


def _local_day(moment) -> str:
    return timezone.localtime(moment).date().isoformat()


def test_the_week_shows_planned_published_failed_and_scheduled_posts(admin_client):
    PinterestCredentialsFactory(min_gap_seconds=GAP)
    FacebookCredentialsFactory()  # no pace: its posts are due now, or scheduled
    publish_tasks([TaskFactory() for _ in range(3)])
    publish_tasks([TaskFactory(publish_date=timezone.now() + timedelta(days=1))])
    first = SocialMediaPost.objects.filter(platform="pinterest").order_by("next_attempt_at")[0]
    SocialMediaPost.objects.filter(pk=first.pk).update(
        status=PostStatus.PUBLISHED, published_at=timezone.now()
    )
    SocialMediaPost.objects.create(task=TaskFactory(), platform="tiktok", status="failed")

    response = admin_client.get("/admin/calendar/", {"view": "week"}, HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    kinds = dict(re.findall(r'data-post="(\d+)"[^>]*data-kind="(\w+)"', html))
    assert kinds[str(first.pk)] == "published"
    expected = {"published", "planned", "due", "failed", "scheduled"}
    if timezone.localdate().weekday() < 6:  # tomorrow is in this week
        assert set(kinds.values()) == expected
    assert set(kinds.values()) <= expected
    assert "Publishing calendar" in html and "Planned (pace)" in html
    drawn = _entries(html)
    for post in SocialMediaPost.objects.filter(pk__in=[int(k) for k in kinds]):
        moment = post.published_at if post.status == "published" else post.next_attempt_at
        assert drawn[str(post.pk)] == _local_day(moment or post.updated_at)


def test_the_calendar_speaks_russian(admin_client):
    PinterestCredentialsFactory(min_gap_seconds=GAP)
    publish_tasks([TaskFactory(), TaskFactory()])

    html = admin_client.get("/admin/calendar/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert "Календарь публикаций" in html
    assert "Запланирован по темпу" in html
    assert "Опубликовать сейчас" in html


def test_the_month_view_covers_whole_weeks_and_filters_by_platform(admin_client):
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    publish_tasks([TaskFactory()])

    html = admin_client.get(
        "/admin/calendar/", {"view": "month", "platform": "facebook"}
    ).content.decode()

    platforms = set(re.findall(r'data-platform="(\w+)" data-kind', html))
    assert platforms == {"facebook"}
    start, end = calendar_range("month", timezone.localdate())
    assert (end - start).days % 7 == 0 and start.weekday() == 0
    assert html.count('class="calendar-day') == (end - start).days


def test_bad_parameters_fall_back_to_this_week(admin_client):
    response = admin_client.get(
        "/admin/calendar/", {"view": "year", "date": "not-a-date", "platform": "myspace"}
    )
    assert response.status_code == 200
    assert response.context["calendar"].view == "week"
    assert response.context["calendar"].platform == ""


def test_moving_a_day_moves_the_task_s_waiting_posts(admin_client):
    PinterestCredentialsFactory(min_gap_seconds=GAP)
    FacebookCredentialsFactory()
    tasks = [TaskFactory(published=False) for _ in range(2)]
    Task.objects.update(published=True)
    publish_tasks(Task.objects.all())
    target = timezone.localdate() + timedelta(days=3)
    moved = tasks[1]

    response = admin_client.post(
        "/admin/calendar/move/",
        {"task": moved.pk, "day": target.isoformat(), "next": "/admin/calendar/?view=month"},
    )

    assert response.status_code == 302 and response["Location"] == "/admin/calendar/?view=month"
    days = {_local_day(p.next_attempt_at) for p in SocialMediaPost.objects.filter(task=moved)}
    assert days == {target.isoformat()}
    publish_date = Task.objects.get(pk=moved.pk).publish_date
    assert publish_date is not None and publish_date.date() == target
    others = SocialMediaPost.objects.filter(task=tasks[0])
    assert all(p.next_attempt_at and p.next_attempt_at <= timezone.now() for p in others)


def test_a_day_in_the_past_or_an_unpublished_task_is_refused(admin_client):
    task = TaskFactory()
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()

    admin_client.post("/admin/calendar/move/", {"task": task.pk, "day": yesterday})
    Task.objects.filter(pk=task.pk).update(published=True)
    response = admin_client.post(
        "/admin/calendar/move/",
        {"task": task.pk, "day": yesterday},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert Task.objects.get(pk=task.pk).publish_date is None
    assert "past" in response.content.decode()
    assert admin_client.get("/admin/calendar/move/").status_code == 405


def test_a_redirect_elsewhere_is_not_followed(admin_client):
    task = TaskFactory(published=True)
    response = admin_client.post(
        "/admin/calendar/move/", {"task": task.pk, "day": "", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/admin/calendar/"


def test_publish_now_from_the_calendar_skips_the_queue(admin_client, sent):
    PinterestCredentialsFactory(min_gap_seconds=GAP)
    publish_tasks([TaskFactory(), TaskFactory()])
    last = SocialMediaPost.objects.order_by("-next_attempt_at")[0]
    assert last.planned_at is not None
    sent.clear()

    admin_client.post("/admin/calendar/publish-now/", {"post": last.pk})

    last.refresh_from_db()
    assert last.planned_at is None
    assert last.next_attempt_at is not None and last.next_attempt_at <= timezone.now()


def test_a_viewer_sees_the_calendar_but_cannot_move_or_publish(client, django_user_model):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_socialmediapost"))
    client.force_login(viewer)
    task = TaskFactory(published=True)

    assert client.get("/admin/calendar/").status_code == 200
    response = client.post("/admin/calendar/move/", {"task": task.pk, "day": "2099-01-01"})
    assert response.status_code == 403


def test_the_calendar_s_queries_do_not_grow_with_the_number_of_posts(admin_client):
    PinterestCredentialsFactory(min_gap_seconds=60)
    FacebookCredentialsFactory(min_gap_seconds=60)
    WebhookFactory(min_gap_seconds=60)
    publish_tasks([TaskFactory() for _ in range(2)])
    with CaptureQueriesContext(connection) as few:
        admin_client.get("/admin/calendar/")
    publish_tasks([TaskFactory() for _ in range(40)])

    with CaptureQueriesContext(connection) as many:
        response = admin_client.get("/admin/calendar/")

    assert len(many.captured_queries) == len(few.captured_queries)
    assert response.content.decode().count('class="calendar-entry ') >= 6 * 42


def test_build_calendar_draws_each_post_once():
    PinterestCredentialsFactory(min_gap_seconds=GAP)
    publish_tasks([TaskFactory() for _ in range(30)])  # 30 hours: over two days

    calendar = build_calendar("month", timezone.localdate())

    drawn = [e.post_id for week in calendar.weeks for day in week for e in day.entries]
    assert sorted(drawn) == sorted(SocialMediaPost.objects.values_list("pk", flat=True)) or (
        # at the end of a month the last planned posts fall into the next one
        set(drawn) <= set(SocialMediaPost.objects.values_list("pk", flat=True))
    )
    assert len(drawn) == len(set(drawn))


# --- the pace in the admin ---------------------------------------------------------------


def test_the_bulk_confirmation_lists_when_each_platform_s_posts_go(admin_client):
    PinterestCredentialsFactory(min_gap_seconds=GAP, daily_cap=10)
    FacebookCredentialsFactory()
    tasks = [TaskFactory() for _ in range(3)]

    response = admin_client.post(
        "/admin/tasks/task/",
        {"action": "publish_to_social_networks", "_selected_action": [t.pk for t in tasks]},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    html = response.content.decode()
    assert 'data-platform="pinterest" data-paced="yes"' in html
    assert 'data-platform="facebook" data-paced="no"' in html
    assert "every 60 min, at most 10 a day" in html
    found = re.search(r'data-paced="yes">(.*?)</tr>', html, re.S)
    assert found is not None
    times = found.group(1)
    assert len(re.findall(r"<li>#", times)) == 3
    assert not SocialMediaPost.objects.exists()


def test_one_click_applies_the_platform_s_suggested_pace(admin_client):
    from social_media.platforms.registry import PLATFORMS

    credential = PinterestCredentialsFactory()
    hook = WebhookFactory(target_platforms=["instagram", "tiktok"])

    admin_client.post(
        "/admin/webhooks/socialmediacredentials/",
        {"action": "apply_suggested_pace", "_selected_action": [credential.pk]},
    )
    admin_client.post(
        "/admin/webhooks/webhook/",
        {"action": "apply_suggested_pace", "_selected_action": [hook.pk]},
    )

    credential.refresh_from_db()
    hook.refresh_from_db()
    pinterest = PLATFORMS["pinterest"].suggested_pace
    assert pinterest is not None
    assert (credential.min_gap_seconds, credential.daily_cap) == (
        pinterest.min_gap_seconds,
        pinterest.daily_cap,
    )
    suggestions = [PLATFORMS[k].suggested_pace for k in ("instagram", "tiktok")]
    assert hook.min_gap_seconds == max(s.min_gap_seconds for s in suggestions if s)
    assert hook.daily_cap == min(s.daily_cap for s in suggestions if s)


def test_the_target_page_shows_its_pace_and_a_spam_slow_down(admin_client):
    from social_media import pacing

    credential = PinterestCredentialsFactory(min_gap_seconds=600)
    pacing.spam_slowdown(credential)

    html = admin_client.get(
        f"/admin/webhooks/socialmediacredentials/{credential.pk}/change/",
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    listing = admin_client.get(
        "/admin/webhooks/socialmediacredentials/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "every 10 min" in html and "slowed down ×2 after a spam answer" in html
    assert "Suggested by the platform:" in html
    assert "slowed down ×2" in listing


def test_quiet_hours_need_both_ends_and_a_known_zone():
    credential = SocialMediaCredentials(
        platform="pinterest",
        access_token="x",
        extra_data={"board_id": "1"},
        quiet_start=timezone.now().time(),
        time_zone="Mars/Olympus",
    )
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        credential.full_clean()
    assert {"quiet_end", "time_zone"} <= set(error.value.message_dict)


def test_the_task_page_lists_waiting_posts_with_publish_now_and_move(admin_client):
    PinterestCredentialsFactory(min_gap_seconds=GAP)
    tasks = [TaskFactory(published=False) for _ in range(2)]
    Task.objects.update(published=True)
    publish_tasks(Task.objects.all())
    later = tasks[1]

    html = admin_client.get(
        f"/admin/tasks/task/{later.pk}/change/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert 'id="task-schedule"' in html
    assert "planned for" in html and "/admin/calendar/publish-now/" in html
    assert "/admin/calendar/move/" in html


def test_the_pace_fields_may_be_left_empty_or_out_of_a_form(admin_client):
    import json

    credential = PinterestCredentialsFactory(min_gap_seconds=600, daily_cap=5)
    data = {
        "platform": "pinterest",
        "access_token": "",
        "refresh_token": "",
        "token_expires_at_0": "",
        "token_expires_at_1": "",
        "extra_data": json.dumps(credential.extra_data),
        "languages": "[]",
        "is_active": "on",
    }
    url = f"/admin/webhooks/socialmediacredentials/{credential.pk}/change/"

    assert admin_client.post(url, data).status_code == 302
    credential.refresh_from_db()
    assert (credential.min_gap_seconds, credential.daily_cap) == (600, 5)  # left out: kept

    emptied = data | {"min_gap_seconds": "", "daily_cap": ""}
    assert admin_client.post(url, emptied).status_code == 302
    credential.refresh_from_db()
    assert (credential.min_gap_seconds, credential.daily_cap) == (0, 0)  # empty: no pacing
