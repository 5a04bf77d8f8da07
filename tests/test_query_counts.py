"""SQL queries stay constant in the number of tasks, posts and platforms.

Each test first counts the queries of a small case, then requires exactly that
many (``django_assert_num_queries``) for the large one, so an N+1 anywhere in
the path fails here. The tests run inside pytest-django's transaction, so
``on_commit`` hand-offs to the broker do not fire: what is counted is the
service's (or the page's) own SQL, which is what grows with N if anything does.
"""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from social_media.services import publish_tasks, publish_to_social_media
from tasks.models import PostStatus, SocialMediaPost, Task
from tests.factories import (
    FacebookCredentialsFactory,
    PinterestCredentialsFactory,
    TaskFactory,
    WebhookFactory,
)

# The counts are PostgreSQL's (SQLite splits bulk statements into more batches).
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ALL_PLATFORMS = ["pinterest", "facebook", "instagram", "tiktok", "youtube_shorts", "yandex_dzen"]
STATUS_CYCLE = [PostStatus.PUBLISHED, PostStatus.FAILED, PostStatus.PROCESSING, PostStatus.PENDING]


def _six_platforms() -> None:
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    WebhookFactory(target_platforms=["instagram", "tiktok", "youtube_shorts", "yandex_dzen"])
    _load_targets()


def _load_targets() -> None:
    """Let this process load its copy of the targets before the counting starts."""
    from social_media import target_cache

    target_cache.snapshot(target_cache.fingerprint())


def _count(func) -> int:
    with CaptureQueriesContext(connection) as captured:
        func()
    return len(captured)


def _tasks(count: int, *, published: bool = True) -> list[Task]:
    built = TaskFactory.build_batch(count, published=published)
    return Task.objects.bulk_create(built)


def _posts_for(tasks: list[Task]) -> None:
    """Six posts per task, in every status, as the changelists would show them."""
    statuses = itertools.cycle(STATUS_CYCLE)
    SocialMediaPost.objects.bulk_create(
        SocialMediaPost(
            task=task,
            platform=platform,
            status=next(statuses),
            post_url="https://www.pinterest.com/pin/1/" if platform == "pinterest" else "",
        )
        for task in tasks
        for platform in ALL_PLATFORMS
    )


# --- the publishing service ---------------------------------------------------------


def test_publishing_one_task_costs_the_same_for_one_or_six_platforms(
    django_assert_num_queries,
):
    PinterestCredentialsFactory()
    _load_targets()
    first = _tasks(1)[0]
    one_platform = _count(lambda: publish_to_social_media(first))
    FacebookCredentialsFactory()
    WebhookFactory(target_platforms=["instagram", "tiktok", "youtube_shorts", "yandex_dzen"])
    _load_targets()
    task = _tasks(1)[0]

    with django_assert_num_queries(one_platform):
        summary = publish_to_social_media(task)

    assert sorted(summary.created) == sorted(ALL_PLATFORMS)
    assert SocialMediaPost.objects.filter(task=task).count() == 6


def test_publish_tasks_costs_the_same_for_500_tasks_as_for_5(django_assert_num_queries):
    _six_platforms()
    # Both runs meet every branch: new posts, failed posts to retry, published ones.
    small, large = _tasks(5), _tasks(500)
    for batch in (small, large):
        SocialMediaPost.objects.bulk_create(
            [
                SocialMediaPost(task=batch[0], platform="pinterest", status=PostStatus.FAILED),
                SocialMediaPost(task=batch[1], platform="facebook", status=PostStatus.PUBLISHED),
            ]
        )
    five = _count(lambda: publish_tasks(small, retry_failed=True))

    with django_assert_num_queries(five):
        summary = publish_tasks(large, retry_failed=True)

    assert summary.tasks == 500
    assert sum(summary.created.values()) == 500 * 6 - 2
    assert summary.retried["pinterest"] == 1
    assert summary.skipped_published["facebook"] == 1
    assert SocialMediaPost.objects.filter(task__in=large).count() == 3000


@pytest.mark.parametrize("confirmed", [False, True], ids=["confirmation-page", "publish"])
def test_admin_bulk_action_costs_the_same_for_500_tasks_as_for_5(
    admin_client, django_assert_num_queries, confirmed
):
    _six_platforms()
    small, large = _tasks(5, published=False), _tasks(500, published=False)

    def act(tasks: list[Task]):
        data = {
            "action": "publish_to_social_networks",
            "_selected_action": [task.pk for task in tasks],
        }
        if confirmed:
            data["post"] = "yes"
        return admin_client.post("/admin/tasks/task/", data)

    five = _count(lambda: act(small))

    with django_assert_num_queries(five):
        response = act(large)

    if confirmed:
        assert response.status_code == 302
        assert Task.objects.filter(published=True).count() == 505
        assert SocialMediaPost.objects.count() == 505 * 6
    else:
        assert response.status_code == 200
        assert not SocialMediaPost.objects.exists()


# --- the admin changelists -----------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/admin/tasks/task/", "/admin/tasks/socialmediapost/"], ids=["tasks", "posts"]
)
def test_changelist_costs_the_same_for_1000_tasks_and_6000_posts_as_for_10(
    admin_client, django_assert_num_queries, url
):
    _six_platforms()
    _posts_for(_tasks(10))
    response = admin_client.get(url)
    assert response.status_code == 200
    ten = _count(lambda: admin_client.get(url))
    _posts_for(_tasks(990))
    assert SocialMediaPost.objects.count() == 6000

    with django_assert_num_queries(ten):
        response = admin_client.get(url)

    assert response.status_code == 200
    assert response.context["cl"].result_count == (1000 if "task/" in url else 6000)
    assert len(response.context["cl"].result_list) == 100


# --- delivering one post (the worker's side) --------------------------------------------

# claim + post + task + fingerprint of the targets, caption templates and brand settings;
# attempt INSERT; outcome (attempt result in the same statement); and the media step: one
# lookup of the post's stored renders. Renders are made once per task, before (here) or by
# the first post that needs them; a post whose render must still be made pays for it.
PUBLISH_ROUND_TRIPS = 4


@pytest.fixture
def emulated_platforms(settings):
    from pathlib import Path

    from emulator.testing import InProcessEmulator
    from tests.reliability.helpers import MediaServer

    # The emulator downloads the renders it is sent, as a platform does.
    with InProcessEmulator() as emu, MediaServer(Path(settings.MEDIA_ROOT)) as media:
        settings.MEDIA_PUBLIC_URL = media.url
        settings.PINTEREST_API_BASE_URL = emu.pinterest_url
        settings.FACEBOOK_GRAPH_API_BASE_URL = emu.facebook_url
        settings.ALLOW_PRIVATE_WEBHOOK_URLS = True
        settings.SITE_URL = "https://quiz.example.com"
        PinterestCredentialsFactory(extra_data={"board_id": "1"})
        FacebookCredentialsFactory(extra_data={"page_id": "104512345678901"})
        WebhookFactory(
            url=f"{emu.url}/make/counts",
            target_platforms=["instagram", "tiktok", "youtube_shorts", "yandex_dzen"],
        )
        yield emu


def _pending_posts(count: int) -> list[SocialMediaPost]:
    tasks = _tasks(count)
    publish_tasks(tasks)
    return list(SocialMediaPost.objects.filter(task__in=tasks).order_by("pk"))


def test_a_publish_costs_four_sql_round_trips_on_every_platform(
    emulated_platforms, django_assert_num_queries
):
    from social_media.delivery import post_publish
    from social_media.media import tasks_render_media

    posts = _pending_posts(3)
    rendered = tasks_render_media(task_ids=sorted({p.task_id for p in posts}))
    assert rendered["failed"] == 0 and rendered["rendered"] > 0
    post_publish(post_id=posts[0].pk)  # the worker loads the targets once

    for post in posts[1:]:
        with django_assert_num_queries(PUBLISH_ROUND_TRIPS):
            result = post_publish(post_id=post.pk)
        assert result is not None
        assert result.status in (PostStatus.PUBLISHED, PostStatus.PROCESSING), result.error_message
        stored = SocialMediaPost.objects.get(pk=post.pk)
        assert (stored.status, stored.post_url, stored.claim_token) == (
            result.status,
            result.post_url,
            None,
        )
        attempt = stored.attempts.get()
        assert attempt.finished_at is not None and attempt.outcome in ("success", "accepted")
    assert sum(emulated_platforms.create_counts().values()) == len(posts)  # once each


def test_a_deactivated_credential_is_not_used_by_the_next_publish(emulated_platforms):
    from social_media.delivery import post_publish
    from webhooks.models import SocialMediaCredentials

    first, second = (p for p in _pending_posts(2) if p.platform == "pinterest")
    published = post_publish(post_id=first.pk)
    assert published is not None and published.status == PostStatus.PUBLISHED
    credential = SocialMediaCredentials.objects.get(platform="pinterest")
    credential.is_active = False
    credential.save()

    result = post_publish(post_id=second.pk)

    assert result is not None
    assert result.status == PostStatus.FAILED
    assert "No active credentials" in result.error_message
    assert emulated_platforms.create_count("pinterest") == 1


def test_an_edited_webhook_is_used_by_the_next_publish_even_when_edited_without_save(
    emulated_platforms,
):
    from social_media.delivery import post_publish
    from webhooks.models import Webhook

    posts = [p for p in _pending_posts(2) if p.platform == "instagram"]
    post_publish(post_id=posts[0].pk)
    # A queryset UPDATE (no signal, no updated_at) still reaches the worker's copy.
    Webhook.objects.update(is_active=False)

    result = post_publish(post_id=posts[1].pk)

    assert result is not None
    assert result.status == PostStatus.FAILED
    assert "No active credentials or webhook" in result.error_message


def test_edited_brand_settings_reach_the_next_publish_s_media(emulated_platforms):
    from quiz_media.models import BrandSettings, RenderedFile
    from social_media.delivery import post_publish

    first, second = (p for p in _pending_posts(2) if p.platform == "pinterest")
    post_publish(post_id=first.pk)  # the worker caches the brand with the targets
    used = set(RenderedFile.objects.values_list("cache_key", flat=True))
    assert used
    # A queryset UPDATE (no save(), no signal) still reaches the worker's copy.
    BrandSettings.objects.update_or_create(pk=1, defaults={"primary_color": "#123456"})
    BrandSettings.objects.filter(pk=1).update(accent_color="#654321")

    result = post_publish(post_id=second.pk)

    assert result is not None
    assert result.status == PostStatus.PUBLISHED, result.error_message
    brand = BrandSettings.objects.get(pk=1)
    assert (brand.primary_color, brand.accent_color) == ("#123456", "#654321")
    from quiz_media.services import cache_key, content_for, current_brand
    from social_media.media import render_spec
    from social_media.platforms.registry import PLATFORMS

    (spec,) = PLATFORMS["pinterest"].media_requirements
    wanted = cache_key(content_for(second.task), render_spec(spec), current_brand())
    assert wanted not in used
    assert RenderedFile.objects.filter(cache_key=wanted).exists()  # rendered in the new colours
