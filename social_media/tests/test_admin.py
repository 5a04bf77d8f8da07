"""Social media posts admin: the record, its attempts, the retry action."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from social_media.models import PublishAttempt
from tasks.models import PostStatus, SocialMediaPost
from tests.factories import SocialMediaPostFactory, TaskFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:tasks_socialmediapost_changelist")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (RU, ["Публикации в соцсетях", "Опубликовано", "Ошибка", "Повторить выбранные публикации"]),
        (EN, ["Social media posts", "Published", "Failed", "Retry selected posts"]),
    ],
)
def test_changelist_renders_in_both_languages(admin_client, headers, expected):
    SocialMediaPostFactory(status=PostStatus.PUBLISHED, post_url="https://www.pinterest.com/pin/1/")
    SocialMediaPostFactory(platform="facebook", status=PostStatus.FAILED)

    response = admin_client.get(CHANGELIST, **headers)

    assert response.status_code == 200
    html = response.content.decode()
    for text in expected:
        assert text in html
    assert 'href="https://www.pinterest.com/pin/1/" target="_blank"' in html


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (RU, ["Яндекс Дзен", "Ожидает", "Попытки публикации", "Выдержка из ответа"]),
        (EN, ["Yandex Dzen", "Pending", "Publish attempts", "Response excerpt"]),
    ],
)
def test_change_page_shows_attempts_in_both_languages(admin_client, headers, expected):
    post = SocialMediaPostFactory(platform="yandex_dzen", status=PostStatus.PENDING)
    PublishAttempt.objects.create(
        post=post,
        number=1,
        started_at=timezone.now(),
        duration_ms=120,
        http_status=503,
        outcome="transient",
        error_message="HTTP 503 from Make.com",
        response_excerpt='{"error": "busy"}',
    )

    response = admin_client.get(
        reverse("admin:tasks_socialmediapost_change", args=[post.pk]), **headers
    )

    assert response.status_code == 200
    html = response.content.decode()
    for text in expected:
        assert text in html
    assert "HTTP 503 from Make.com" in html
    # A record: nothing is editable, attempts cannot be added or deleted.
    assert 'name="status"' not in html
    assert 'name="attempts-0-number"' not in html
    assert "attempts-0-DELETE" not in html


def test_add_page_is_refused(admin_client):
    response = admin_client.get(reverse("admin:tasks_socialmediapost_add"))
    assert response.status_code == 403


def _retry(client, posts, **headers):
    data = {"action": "retry_posts", "_selected_action": [p.pk for p in posts], "index": 0}
    response = client.post(CHANGELIST, data, follow=True, **headers)
    assert response.status_code == 200
    return " ".join(str(m) for m in response.context["messages"])


def test_retry_moves_failed_posts_and_leaves_published_and_in_flight(admin_client):
    failed = SocialMediaPostFactory(
        status=PostStatus.FAILED, retry_count=3, error_message="HTTP 500"
    )
    published = SocialMediaPostFactory(status=PostStatus.PUBLISHED, post_id="813744")
    processing = SocialMediaPostFactory(status=PostStatus.PROCESSING)

    message = _retry(admin_client, [failed, published, processing], **EN)

    failed.refresh_from_db()
    published.refresh_from_db()
    processing.refresh_from_db()
    assert failed.status == PostStatus.PENDING
    assert failed.retry_count == 0
    assert published.status == PostStatus.PUBLISHED
    assert processing.status == PostStatus.PROCESSING
    assert "1 post moved back to the queue." in message
    assert "2 posts not touched: published posts and posts in progress" in message


def test_retry_message_in_russian(admin_client):
    failed = SocialMediaPostFactory(status=PostStatus.FAILED)
    message = _retry(admin_client, [failed], **RU)
    assert "возвращена в очередь" in message


def test_retry_needs_change_permission(client):
    failed = SocialMediaPostFactory(status=PostStatus.FAILED)
    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_socialmediapost"))
    client.force_login(user)

    _retry(client, [failed], **EN)

    failed.refresh_from_db()
    assert failed.status == PostStatus.FAILED


@pytest.mark.parametrize("term", ["", "42", "print(len", "no such question"])
def test_search_by_task_id_or_question_never_fails(admin_client, term):
    post = SocialMediaPostFactory(task=TaskFactory(published=True, question="print(len('x'))"))

    response = admin_client.get(CHANGELIST, {"q": term})

    assert response.status_code == 200
    if term == "print(len":
        assert response.context["cl"].result_count == 1
    found = admin_client.get(CHANGELIST, {"q": str(post.task_id)})
    assert found.context["cl"].result_count == 1


def test_filters_by_platform_status_and_failure_kind(admin_client):
    SocialMediaPostFactory(platform="pinterest", status=PostStatus.FAILED, failure_kind="auth")
    SocialMediaPostFactory(platform="facebook", status=PostStatus.PUBLISHED)
    SocialMediaPostFactory(platform="pinterest", status=PostStatus.FAILED, failure_kind="permanent")

    response = admin_client.get(
        CHANGELIST, {"platform": "pinterest", "status": "failed", "failure_kind": "auth"}, **RU
    )

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert "Авторизация" in response.content.decode()


def _posts(count: int) -> None:
    for _ in range(count):
        post = SocialMediaPostFactory(status=PostStatus.FAILED)
        PublishAttempt.objects.create(post=post, number=1, started_at=timezone.now())


def test_changelist_query_count_does_not_grow_with_rows(
    admin_client, django_assert_max_num_queries
):
    _posts(5)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(CHANGELIST).status_code == 200

    _posts(45)
    with django_assert_max_num_queries(len(few)):
        response = admin_client.get(CHANGELIST)
    assert response.context["cl"].result_count == SocialMediaPost.objects.count() == 50


@pytest.mark.parametrize(
    ("url_name", "inline_prefix"),
    [
        ("admin:tasks_task_change", "social_posts"),
        ("admin:tasks_socialmediapost_change", "attempts"),
    ],
)
def test_posts_and_attempts_are_shown_read_only(admin_client, url_name, inline_prefix):
    post = SocialMediaPostFactory(status=PostStatus.FAILED, error_message="HTTP 500")
    PublishAttempt.objects.create(
        post=post, number=1, started_at=timezone.now(), outcome="transient"
    )
    obj = post.task if url_name == "admin:tasks_task_change" else post

    response = admin_client.get(reverse(url_name, args=[obj.pk]))

    assert response.status_code == 200
    inline = next(
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == inline_prefix
    )
    assert (inline.has_add_permission, inline.has_change_permission) == (False, False)
    assert not inline.formset.can_delete
    assert inline.formset.total_form_count() == 1  # the existing row, no blank one to add
    # Only the hidden id and parent key: every shown column is read-only.
    assert set(inline.formset.forms[0].fields) <= {"id", "task", "post"}
