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
    first = _tasks(1)[0]
    one_platform = _count(lambda: publish_to_social_media(first))
    FacebookCredentialsFactory()
    WebhookFactory(target_platforms=["instagram", "tiktok", "youtube_shorts", "yandex_dzen"])
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
