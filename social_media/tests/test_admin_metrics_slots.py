"""The workers' records in the admin: metric snapshots, engagement days, publishing slots.

Read-only pages: staff may look and filter; nobody adds, edits or deletes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from social_media.models import MetricDay, MetricSnapshot, MetricSource, PublishSlot
from tasks.models import PostStatus, SocialMediaPost
from tests.factories import (
    PinterestCredentialsFactory,
    SocialMediaPostFactory,
    TaskFactory,
    WebhookFactory,
)

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}
SNAPSHOTS = reverse("admin:social_media_metricsnapshot_changelist")
DAYS = reverse("admin:social_media_metricday_changelist")
SLOTS = reverse("admin:social_media_publishslot_changelist")
MODELS = ("metricsnapshot", "metricday", "publishslot")


def _snapshot(post: SocialMediaPost | None = None, **fields: object) -> MetricSnapshot:
    post = post or SocialMediaPostFactory(status=PostStatus.PUBLISHED, post_id="813744")
    values: dict[str, object] = {
        "platform": post.platform,
        "read_at": timezone.now(),
        "views": 120,
        "engagements": 7,
        "raw": {"impression": 120, "save": 3},
        "interactions_gain": 7,
    }
    values.update(fields)
    return MetricSnapshot.objects.create(post=post, **values)


def _slot(post: SocialMediaPost | None = None, **fields: object) -> PublishSlot:
    # An unpublished task: an active target would otherwise fan out its own posts.
    post = post or SocialMediaPostFactory(task=TaskFactory())
    at = fields.pop("at", None) or timezone.now() + timedelta(hours=1)
    assert isinstance(at, datetime)
    values: dict[str, object] = {"target": "api:1", "at": at, "day": at.date()}
    values.update(fields)
    return PublishSlot.objects.create(task=post.task, platform=post.platform, **values)


def _day(platform: str = "pinterest", day: date | None = None) -> MetricDay:
    return MetricDay.objects.create(
        platform=platform, day=day or timezone.localdate(), interactions_gain=42
    )


def _rows(model: str, count: int) -> None:
    for index in range(count):
        if model == "metricsnapshot":
            _snapshot()
        elif model == "publishslot":
            _slot(target=f"webhook:{index}" if index % 2 else f"api:{index}")
        else:
            _day(day=date(2026, 1, 1) + timedelta(days=index + MetricDay.objects.count()))


def _staff(client, *codenames: str) -> User:
    user = User.objects.create_user("operator", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (EN, ["Metric snapshots", "Views", "Interactions gained", "Scenario callback"]),
        (RU, ["Снимки метрик", "Просмотры", "Прирост взаимодействий", "Callback сценария"]),
    ],
)
def test_snapshot_list_shows_the_readings_and_links_post_and_task(admin_client, headers, expected):
    snapshot = _snapshot(source=MetricSource.CALLBACK, correct_share=0.625)

    response = admin_client.get(SNAPSHOTS, **headers)

    assert response.status_code == 200
    html = response.content.decode()
    for text in expected:
        assert text in html
    assert reverse("admin:tasks_socialmediapost_change", args=[snapshot.post_id]) in html
    assert reverse("admin:tasks_task_change", args=[snapshot.post.task_id]) in html
    assert "62%" in html


def test_snapshot_page_is_read_only_and_masks_secret_looking_raw_values(admin_client):
    snapshot = _snapshot(
        raw={"impression": 120, "access_token": "EAAGm0PX4ZCpsBAKZCZ", "next": "x?token=abcd1234"}
    )

    response = admin_client.get(
        reverse("admin:social_media_metricsnapshot_change", args=[snapshot.pk]), **EN
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "&quot;impression&quot;: 120" in html
    assert "EAAGm0PX4ZCpsBAKZCZ" not in html
    assert "abcd1234" not in html
    assert 'name="views"' not in html
    assert 'name="_save"' not in html
    assert "/delete/" not in html


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (EN, ["Publishing slots", "credential #7", "webhook #3", "2 of 5", "no daily cap"]),
        (RU, ["Слоты публикаций", "учётные данные #7", "вебхук #3", "2 из 5", "без дневного"]),
    ],
)
def test_slot_list_links_target_task_and_post(admin_client, headers, expected):
    credential = PinterestCredentialsFactory()
    webhook = WebhookFactory()
    capped = _slot(target=f"api:{credential.pk}", ordinal=2, cap=5)
    _slot(target=f"webhook:{webhook.pk}")
    expected = [
        text.replace("#7", f"#{credential.pk}").replace("#3", f"#{webhook.pk}") for text in expected
    ]

    response = admin_client.get(SLOTS, **headers)

    assert response.status_code == 200
    html = response.content.decode()
    for text in expected:
        assert text in html
    post = SocialMediaPost.objects.get(task=capped.task, platform=capped.platform)
    assert reverse("admin:tasks_socialmediapost_change", args=[post.pk]) in html
    assert reverse("admin:tasks_task_change", args=[capped.task_id]) in html
    assert reverse("admin:webhooks_socialmediacredentials_change", args=[credential.pk]) in html
    assert reverse("admin:webhooks_webhook_change", args=[webhook.pk]) in html


def test_slot_and_day_pages_answer_read_only(admin_client):
    slot = _slot(forced=True)
    day = _day()
    post = SocialMediaPost.objects.get(task=slot.task, platform=slot.platform)

    slot_page = admin_client.get(
        reverse("admin:social_media_publishslot_change", args=[slot.pk]), **EN
    )
    day_page = admin_client.get(reverse("admin:social_media_metricday_change", args=[day.pk]))

    assert slot_page.status_code == day_page.status_code == 200
    html = slot_page.content.decode()
    assert "out of turn" in html
    assert reverse("admin:tasks_socialmediapost_change", args=[post.pk]) in html
    assert 'name="at"' not in html
    assert 'name="_save"' not in day_page.content.decode()


def test_day_links_to_the_snapshots_read_that_day(admin_client):
    today = timezone.localdate()
    _snapshot(interactions_gain=5)
    _snapshot(post=SocialMediaPostFactory(platform="facebook"), platform="facebook")
    _snapshot(read_at=timezone.now() - timedelta(days=3))
    _day("pinterest", today)

    response = admin_client.get(DAYS, **EN)
    assert response.status_code == 200
    link = (
        f"{SNAPSHOTS}?platform=pinterest&amp;read_at__year={today.year}"
        f"&amp;read_at__month={today.month}&amp;read_at__day={today.day}"
    )
    assert link in response.content.decode()

    readings = admin_client.get(link.replace("&amp;", "&"))
    assert readings.status_code == 200
    assert readings.context["cl"].result_count == 1


@pytest.mark.parametrize("model", MODELS)
def test_list_query_count_does_not_grow_with_rows(
    admin_client, django_assert_max_num_queries, model
):
    url = reverse(f"admin:social_media_{model}_changelist")
    _rows(model, 1)
    with CaptureQueriesContext(connection) as one:
        assert admin_client.get(url).status_code == 200

    _rows(model, 19)
    with django_assert_max_num_queries(len(one)):
        response = admin_client.get(url)
    assert response.context["cl"].result_count == 20


@pytest.mark.parametrize("model", MODELS)
def test_nobody_adds_edits_or_deletes(admin_client, model):
    makers: dict[str, Callable[[], Model]] = {
        "metricsnapshot": _snapshot,
        "metricday": _day,
        "publishslot": _slot,
    }
    obj = makers[model]()
    changelist = admin_client.get(reverse(f"admin:social_media_{model}_changelist"))

    assert admin_client.get(reverse(f"admin:social_media_{model}_add")).status_code == 403
    delete = reverse(f"admin:social_media_{model}_delete", args=[obj.pk])
    assert admin_client.get(delete).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    change = reverse(f"admin:social_media_{model}_change", args=[obj.pk])
    assert admin_client.post(change, {}).status_code == 403
    assert changelist.status_code == 200
    assert not changelist.context["has_add_permission"]
    assert changelist.context["action_form"] is None  # no "delete selected", no checkboxes
    bulk = admin_client.post(
        reverse(f"admin:social_media_{model}_changelist"),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert type(obj)._default_manager.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", MODELS)
def test_staff_with_view_permission_sees_the_pages(client, model):
    _staff(client, f"view_{model}")
    assert client.get(reverse(f"admin:social_media_{model}_changelist")).status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_staff_without_permission_is_refused_and_others_sent_to_login(client, model):
    url = reverse(f"admin:social_media_{model}_changelist")
    _staff(client)
    assert client.get(url).status_code == 403

    client.logout()
    User.objects.create_user("visitor", password="pw")
    client.login(username="visitor", password="pw")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_snapshot_filters_and_search(admin_client):
    wanted = _snapshot(source=MetricSource.CALLBACK)
    _snapshot(post=wanted.post, source=MetricSource.API)
    _snapshot(post=SocialMediaPostFactory(platform="facebook", post_id="99"), platform="facebook")

    def count(**query: object) -> int:
        response = admin_client.get(SNAPSHOTS, query)
        assert response.status_code == 200
        return int(response.context["cl"].result_count)

    assert count(post__id__exact=wanted.post_id) == 2
    assert count(post__id__exact=wanted.post_id, source="callback") == 1
    assert count(platform="facebook") == 1
    assert count(q=str(wanted.post.task_id)) == 2
    assert count(q="99") == 1
    assert count(q="no such post") == 0


def test_slot_filters_and_search(admin_client):
    now = timezone.now()
    _slot(target="api:1", at=now + timedelta(hours=2))
    _slot(target="webhook:2", at=now + timedelta(hours=3), forced=True)
    past = _slot(target="api:1", at=now - timedelta(hours=2))

    def count(**query: object) -> int:
        response = admin_client.get(SLOTS, query)
        assert response.status_code == 200
        return int(response.context["cl"].result_count)

    assert count(when="upcoming") == 2
    assert count(when="past") == 1
    assert count(target_kind="webhook") == 1
    assert count(target_kind="api", when="upcoming") == 1
    assert count(forced__exact="1") == 1
    assert count(target="api:1") == 2
    assert count(q="api:1") == 2
    assert count(q=str(past.task_id)) == 1


def test_day_filter_by_platform(admin_client):
    _day("pinterest")
    _day("facebook")
    response = admin_client.get(DAYS, {"platform": "facebook"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_post_page_links_its_snapshots_and_slot(admin_client):
    post = SocialMediaPostFactory(status=PostStatus.PUBLISHED)
    _snapshot(post=post)
    _snapshot(post=post)
    slot = _slot(post=post)

    response = admin_client.get(reverse("admin:tasks_socialmediapost_change", args=[post.pk]), **EN)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{SNAPSHOTS}?post__id__exact={post.pk}">Engagement snapshots (2)</a>' in html
    assert reverse("admin:social_media_publishslot_change", args=[slot.pk]) in html


def test_post_page_hides_the_links_from_staff_who_may_not_follow_them(client):
    post = SocialMediaPostFactory()
    _slot(post=post)
    _staff(client, "view_socialmediapost")

    response = client.get(reverse("admin:tasks_socialmediapost_change", args=[post.pk]), **EN)

    assert response.status_code == 200
    html = response.content.decode()
    assert SNAPSHOTS not in html
    assert SLOTS not in html


def test_calendar_links_the_slots(admin_client):
    response = admin_client.get(reverse("admin-calendar"), **EN)
    assert response.status_code == 200
    assert f'href="{SLOTS}?when=upcoming"' in response.content.decode()


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (EN, ["Metric snapshots", "Engagement days", "Publishing slots"]),
        (RU, ["Снимки метрик", "Дни вовлечённости", "Слоты публикаций"]),
    ],
)
def test_admin_index_lists_the_new_pages(admin_client, headers, expected):
    _snapshot()
    response = admin_client.get(reverse("admin:index"), **headers)
    assert response.status_code == 200
    html = response.content.decode()
    for text in expected:
        assert text in html
    for model in MODELS:
        assert reverse(f"admin:social_media_{model}_changelist") in html
        assert reverse(f"admin:social_media_{model}_add") not in html
    app = admin_client.get(reverse("admin:app_list", args=["social_media"]))
    assert app.status_code == 200


@pytest.mark.parametrize(
    ("factory", "url_name", "key"),
    [
        (PinterestCredentialsFactory, "admin:webhooks_socialmediacredentials_change", "api"),
        (WebhookFactory, "admin:webhooks_webhook_change", "webhook"),
    ],
)
def test_target_page_links_its_slots(admin_client, factory, url_name, key):
    target = factory()
    _slot(target=f"{key}:{target.pk}")
    _slot(target=f"{key}:{target.pk + 1000}")

    response = admin_client.get(reverse(url_name, args=[target.pk]), **EN)

    assert response.status_code == 200
    link = f"{SLOTS}?target={key}:{target.pk}"
    assert f'href="{link}"' in response.content.decode()
    assert admin_client.get(link).context["cl"].result_count == 1


def test_target_page_hides_the_slots_link_from_staff_who_may_not_follow_it(client):
    credential = PinterestCredentialsFactory()
    _staff(client, "view_socialmediacredentials", "change_socialmediacredentials")

    response = client.get(
        reverse("admin:webhooks_socialmediacredentials_change", args=[credential.pk])
    )

    assert response.status_code == 200
    assert SLOTS not in response.content.decode()
