"""The bulk publish action asks first: what will be sent, retried and skipped, per platform."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from social_media.publish_plan import Decision, publish_plan
from social_media.services import tasks_publish_bulk
from social_media.targets import Targets
from tasks.models import PostStatus, SocialMediaPost, Task
from tests.factories import (
    FacebookCredentialsFactory,
    PinterestCredentialsFactory,
    SocialMediaPostFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:tasks_task_changelist")
PINS = "https://api.pinterest.com/v5/pins"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}


def ask(client, tasks, **headers):
    """Choose the action in the changelist: the answer is the confirmation page."""
    data = {"action": "publish_to_social_networks", "_selected_action": [t.pk for t in tasks]}
    return client.post(CHANGELIST, data, **headers)


def rows(html: str) -> set[tuple[str, str, str]]:
    pattern = r'data-task="(\d+)"(?: data-platform="(\w+)")? data-decision="(\w+)"'
    return set(re.findall(pattern, html))


@pytest.fixture
def mixed_tasks(settings):
    """A task of each kind: new, partly failed, in flight and one no platform serves."""
    settings.SOCIAL_MEDIA_AUTO_PUBLISH = False
    fresh = TaskFactory(published=False)
    mixed = TaskFactory(published=True)
    SocialMediaPostFactory(task=mixed, platform="pinterest", status=PostStatus.FAILED)
    SocialMediaPostFactory(task=mixed, platform="facebook", status=PostStatus.PUBLISHED)
    busy = TaskFactory(published=True)
    SocialMediaPostFactory(task=busy, platform="pinterest", status=PostStatus.PROCESSING)
    german = TaskFactory(published=False, language="de")
    PinterestCredentialsFactory(languages=["en"])
    FacebookCredentialsFactory(languages=["en"])
    return fresh, mixed, busy, german


def test_choosing_the_action_shows_a_confirmation_and_changes_nothing(
    admin_client, mocked_responses, mixed_tasks
):
    fresh, mixed, busy, german = mixed_tasks
    before = list(Task.objects.order_by("pk").values())
    posts_before = list(SocialMediaPost.objects.order_by("pk").values())

    response = ask(admin_client, mixed_tasks, **EN)

    assert response.status_code == 200
    html = response.content.decode()
    assert rows(html) == {
        (str(fresh.pk), "pinterest", "new"),
        (str(fresh.pk), "facebook", "new"),
        (str(mixed.pk), "pinterest", "retry"),
        (str(mixed.pk), "facebook", "skip_published"),
        (str(busy.pk), "pinterest", "skip_in_flight"),
        (str(busy.pk), "facebook", "new"),
        (str(german.pk), "", "no_platform"),
    }
    for text in (
        "New posts to send: 3",
        "Failed posts to retry: 1",
        "Skipped, already published: 1",
        "Skipped, in progress: 1",
        "Tasks with no active social network: 1",
        "will be marked published",
        "Yes, publish",
    ):
        assert text in html
    for task in mixed_tasks:
        assert f'name="_selected_action" value="{task.pk}"' in html
    assert 'name="post" value="yes"' in html
    assert 'name="action" value="publish_to_social_networks"' in html
    assert len(mocked_responses.calls) == 0
    assert list(Task.objects.order_by("pk").values()) == before
    assert list(SocialMediaPost.objects.order_by("pk").values()) == posts_before


def test_yes_publish_runs_the_service_and_reports_counts(
    admin_client, mocked_responses, django_capture_on_commit_callbacks
):
    PinterestCredentialsFactory()
    mocked_responses.post(PINS, json={"id": "813744"}, status=201)
    task = TaskFactory(published=False)
    page = ask(admin_client, [task], **EN).content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(CHANGELIST, hidden, follow=True, **EN)

    task.refresh_from_db()
    assert task.published is True
    assert task.social_posts.get().status == PostStatus.PUBLISHED
    text = " ".join(str(m) for m in response.context["messages"])
    assert text == "1 task sent to social networks. Pinterest: 1 new post."


def test_confirmation_says_when_nothing_will_be_sent_now(admin_client, settings):
    settings.SOCIAL_MEDIA_AUTO_PUBLISH = False
    PinterestCredentialsFactory()
    done = TaskFactory(published=True)
    SocialMediaPostFactory(task=done, platform="pinterest", status=PostStatus.PUBLISHED)
    later = TaskFactory(publish_date=timezone.now() + timedelta(days=1))

    html = ask(admin_client, [done, later], **EN).content.decode()

    assert "Of these, waiting for their publish date: 1" in html
    assert "Nothing will be sent now:" in html
    assert "Сейчас ничего не будет отправлено" in ask(admin_client, [done], **RU).content.decode()


def test_confirmation_without_the_note_when_something_goes_out(admin_client, mixed_tasks):
    html = ask(admin_client, mixed_tasks, **EN).content.decode()

    assert "Nothing will be sent now:" not in html
    assert "waiting for their publish date" not in html


def test_the_plan_matches_what_the_service_then_does(mixed_tasks):
    plans = publish_plan(Task.objects.order_by("pk"), Targets.load())
    planned: Counter = Counter((p.platform, p.decision) for plan in plans for p in plan.posts)

    summary = tasks_publish_bulk(Task.objects.all())

    done: Counter = Counter()
    for decision, counts in (
        (Decision.NEW, summary.created),
        (Decision.RETRY, summary.retried),
        (Decision.SKIP_PUBLISHED, summary.skipped_published),
        (Decision.SKIP_IN_FLIGHT, summary.skipped_in_flight),
    ):
        for platform, count in counts.items():
            done[(platform, decision)] += count
    assert planned == done


def test_confirmation_page_in_russian(admin_client, mixed_tasks):
    html = ask(admin_client, mixed_tasks, **RU).content.decode()

    assert "Да, опубликовать" in html
    assert "Новых постов к отправке: 3" in html
    assert "будет повторён" in html
    assert "пропуск: уже опубликован" in html
    assert "пропуск: для задачи нет активных соцсетей" in html


def test_viewer_gets_no_confirmation_page(client, mixed_tasks):
    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_task"))
    client.force_login(user)

    response = ask(client, mixed_tasks, **EN)

    assert "Yes, publish" not in response.content.decode()
    assert not Task.objects.filter(pk=mixed_tasks[0].pk, published=True).exists()


def test_confirmation_says_which_posts_will_certainly_fail(admin_client):
    PinterestCredentialsFactory(extra_data={})
    FacebookCredentialsFactory()
    task = TaskFactory(image_url="")  # no image is no failure: the card stands in

    html = ask(admin_client, [task], **EN).content.decode()

    assert "This post will fail: Pinterest needs {&quot;board_id&quot;: &quot;…&quot;}." in html
    assert html.count("This post will fail:") == 1
