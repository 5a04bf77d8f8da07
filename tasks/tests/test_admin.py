"""Task admin through the admin client: pages, publishing state, the bulk action."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tasks.models import PostStatus, SocialMediaPost, Task
from tests.factories import (
    FacebookCredentialsFactory,
    PinterestCredentialsFactory,
    SocialMediaPostFactory,
    TaskFactory,
    task_admin_form,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:tasks_task_changelist")
PINS = "https://api.pinterest.com/v5/pins"
FB_PHOTOS = "https://graph.facebook.com/v26.0/104512345678901/photos"
FB_POST = "https://graph.facebook.com/v26.0/104512345678901_99"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}


def _mock_platforms(mocked_responses, *platforms: str) -> None:
    """Success answers for the named platforms only: a stub left uncalled fails the test."""
    if "pinterest" in platforms:
        mocked_responses.post(PINS, json={"id": "813744"}, status=201)
    if "facebook" in platforms:
        mocked_responses.post(FB_PHOTOS, json={"id": "1", "post_id": "104512345678901_99"})
        mocked_responses.get(
            FB_POST, json={"permalink_url": "https://www.facebook.com/104512345678901/posts/99"}
        )


def _run_bulk_action(client, tasks, django_capture_on_commit_callbacks, **headers):
    """Run the action the way the confirmation page's "Yes, publish" button posts it."""
    data = {
        "action": "publish_to_social_networks",
        "_selected_action": [t.pk for t in tasks],
        "post": "yes",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CHANGELIST, data, follow=True, **headers)
    assert response.status_code == 200
    return [str(m) for m in response.context["messages"]]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (RU, ["Опубликовать в соцсети", "Задачи", "Все опубликованы", "Опубликована"]),
        (EN, ["Publish to social networks", "Tasks", "All published", "Published"]),
    ],
)
def test_changelist_renders_in_both_languages(admin_client, headers, expected):
    post = SocialMediaPostFactory(status=PostStatus.PUBLISHED)

    response = admin_client.get(CHANGELIST, **headers)

    assert response.status_code == 200
    html = response.content.decode()
    for text in expected:
        assert text in html
    assert str(post.task_id) in html


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (RU, ["Ошибка", "Опубликовано", "Вопрос", "Публикации в соцсетях"]),
        (EN, ["Failed", "Published", "Question", "Social media posts"]),
    ],
)
def test_change_form_shows_posts_inline_in_both_languages(admin_client, headers, expected):
    task = TaskFactory(published=True)
    SocialMediaPostFactory(
        task=task,
        platform="pinterest",
        status=PostStatus.PUBLISHED,
        post_url="https://www.pinterest.com/pin/813744/",
    )
    SocialMediaPostFactory(
        task=task, platform="facebook", status=PostStatus.FAILED, error_message="HTTP 500 boom"
    )

    response = admin_client.get(reverse("admin:tasks_task_change", args=[task.pk]), **headers)

    assert response.status_code == 200
    html = response.content.decode()
    for text in expected:
        assert text in html
    assert 'href="https://www.pinterest.com/pin/813744/" target="_blank"' in html
    assert "HTTP 500 boom" in html
    # The inline is a record: no add row, no delete boxes, no editable inputs.
    assert 'name="social_posts-0-status"' not in html
    assert "social_posts-0-DELETE" not in html


def test_add_form_renders(admin_client):
    response = admin_client.get(reverse("admin:tasks_task_add"), **RU)
    assert response.status_code == 200


def test_publishing_state_column(admin_client):
    now = timezone.now()
    partly = TaskFactory(published=True, question="partly task")
    SocialMediaPostFactory(task=partly, platform="pinterest", status=PostStatus.PUBLISHED)
    SocialMediaPostFactory(task=partly, platform="facebook", status=PostStatus.FAILED)
    failed = TaskFactory(published=True)
    SocialMediaPostFactory(task=failed, platform="pinterest", status=PostStatus.FAILED)
    TaskFactory(published=True, publish_date=now + timedelta(days=1))
    TaskFactory(published=False)

    html = admin_client.get(CHANGELIST, **EN).content.decode()

    for label in ("Partly published", "Failed", "Scheduled", "Not published"):
        assert label in html


def test_bulk_action_publishes_and_reports_per_platform_counts(
    admin_client, mocked_responses, django_capture_on_commit_callbacks
):
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    _mock_platforms(mocked_responses, "pinterest", "facebook")
    tasks = [TaskFactory(published=False), TaskFactory(published=False)]

    messages = _run_bulk_action(admin_client, tasks, django_capture_on_commit_callbacks, **EN)

    assert Task.objects.filter(published=True).count() == 2
    posts = SocialMediaPost.objects.all()
    assert posts.count() == 4
    assert set(posts.values_list("status", flat=True)) == {PostStatus.PUBLISHED}
    assert messages == [
        "2 tasks sent to social networks. Facebook: 2 new posts; Pinterest: 2 new posts."
    ]


def test_bulk_action_message_in_russian(
    admin_client, mocked_responses, django_capture_on_commit_callbacks
):
    PinterestCredentialsFactory()
    _mock_platforms(mocked_responses, "pinterest")

    messages = _run_bulk_action(
        admin_client, [TaskFactory()], django_capture_on_commit_callbacks, **RU
    )

    assert messages == ["1 задача отправлена в соцсети. Pinterest: 1 новый пост."]


def test_bulk_action_twice_creates_no_second_post(
    admin_client, mocked_responses, django_capture_on_commit_callbacks
):
    PinterestCredentialsFactory()
    _mock_platforms(mocked_responses, "pinterest")
    task = TaskFactory(published=False)

    _run_bulk_action(admin_client, [task], django_capture_on_commit_callbacks, **EN)
    messages = _run_bulk_action(admin_client, [task], django_capture_on_commit_callbacks, **EN)

    assert SocialMediaPost.objects.filter(task=task).count() == 1
    pin_calls = [c for c in mocked_responses.calls if c.request.url == PINS]
    assert len(pin_calls) == 1
    assert messages == ["Nothing was sent to social networks: 1 post already published."]


def test_bulk_action_retries_failed_and_skips_published_and_in_flight(
    admin_client, mocked_responses, django_capture_on_commit_callbacks
):
    task = TaskFactory(published=True)  # saved before any credential: no posts yet
    failed = SocialMediaPostFactory(
        task=task, platform="pinterest", status=PostStatus.FAILED, retry_count=3
    )
    SocialMediaPostFactory(task=task, platform="facebook", status=PostStatus.PUBLISHED)
    other = TaskFactory(published=True)
    SocialMediaPostFactory(task=other, platform="pinterest", status=PostStatus.PROCESSING)
    SocialMediaPostFactory(task=other, platform="facebook", status=PostStatus.PUBLISHED)
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    _mock_platforms(mocked_responses, "pinterest")  # Facebook is skipped: no stub

    messages = _run_bulk_action(
        admin_client, [task, other], django_capture_on_commit_callbacks, **EN
    )

    failed.refresh_from_db()
    assert failed.status == PostStatus.PUBLISHED
    assert SocialMediaPost.objects.count() == 4
    assert not [c for c in mocked_responses.calls if c.request.url == FB_PHOTOS]
    assert messages == [
        "1 task sent to social networks. Pinterest: 1 post retried. "
        "Not sent: 2 posts already published; 1 post already in progress."
    ]


def test_bulk_action_without_active_platforms_says_so(
    admin_client, django_capture_on_commit_callbacks
):
    messages = _run_bulk_action(
        admin_client, [TaskFactory()], django_capture_on_commit_callbacks, **EN
    )
    assert messages == [
        "Nothing was sent to social networks: no active social network serves these tasks "
        "(add a credential or a social media webhook, or check their languages)."
    ]


def test_bulk_action_on_scheduled_tasks_says_nothing_was_sent_yet(
    admin_client, mocked_responses, django_capture_on_commit_callbacks
):
    PinterestCredentialsFactory()
    later = timezone.now() + timedelta(days=2)
    tasks = [TaskFactory(publish_date=later), TaskFactory(publish_date=later)]

    messages = _run_bulk_action(admin_client, tasks, django_capture_on_commit_callbacks, **EN)

    assert messages == [
        "Nothing was sent to social networks: 2 posts scheduled for their publish date."
    ]
    assert SocialMediaPost.objects.filter(status=PostStatus.PENDING).count() == 2
    assert not mocked_responses.calls


def test_bulk_action_counts_only_what_it_sent(
    admin_client, mocked_responses, django_capture_on_commit_callbacks
):
    done = TaskFactory(published=True)
    SocialMediaPostFactory(task=done, platform="pinterest", status=PostStatus.PUBLISHED)
    scheduled = TaskFactory(publish_date=timezone.now() + timedelta(days=1))
    german = TaskFactory(language="de")
    fresh = TaskFactory()
    PinterestCredentialsFactory(languages=["en"])
    _mock_platforms(mocked_responses)

    messages = _run_bulk_action(
        admin_client, [done, scheduled, german, fresh], django_capture_on_commit_callbacks, **EN
    )

    assert messages == [
        "1 task sent to social networks. Pinterest: 1 new post. Not sent: 1 post already "
        "published; 1 post scheduled for its publish date; 1 task has no active social network."
    ]
    assert len([c for c in mocked_responses.calls if c.request.url == PINS]) == 1


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "Ничего не отправлено в соцсети: 1 пост уже опубликован."),
        (3, "Ничего не отправлено в соцсети: 3 поста уже опубликованы."),
        (5, "Ничего не отправлено в соцсети: 5 постов уже опубликованы."),
        (21, "Ничего не отправлено в соцсети: 21 пост уже опубликован."),
    ],
)
def test_nothing_sent_message_has_russian_plurals(
    admin_client, django_capture_on_commit_callbacks, count, expected
):
    tasks = [TaskFactory(published=True) for _ in range(count)]
    for task in tasks:
        SocialMediaPostFactory(task=task, platform="pinterest", status=PostStatus.PUBLISHED)
    PinterestCredentialsFactory()

    messages = _run_bulk_action(admin_client, tasks, django_capture_on_commit_callbacks, **RU)

    assert messages == [expected]


def test_sent_message_has_russian_plurals(
    admin_client, mocked_responses, django_capture_on_commit_callbacks
):
    tasks = [TaskFactory() for _ in range(2)] + [TaskFactory(language="de") for _ in range(2)]
    failed = TaskFactory(published=True)
    SocialMediaPostFactory(task=failed, platform="pinterest", status=PostStatus.FAILED)
    busy = TaskFactory(published=True)
    SocialMediaPostFactory(task=busy, platform="pinterest", status=PostStatus.PROCESSING)
    PinterestCredentialsFactory(languages=["en"])
    _mock_platforms(mocked_responses)

    messages = _run_bulk_action(
        admin_client, [*tasks, failed, busy], django_capture_on_commit_callbacks, **RU
    )

    assert messages == [
        "3 задачи отправлены в соцсети. Pinterest: 2 новых поста, 1 пост отправлен повторно. "
        "Не отправлено: 1 пост уже в работе; у 2 задач нет активных соцсетей."
    ]


def test_user_without_change_permission_cannot_run_bulk_action(
    client, django_capture_on_commit_callbacks
):
    PinterestCredentialsFactory()
    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_task"))
    client.force_login(user)
    task = TaskFactory(published=False)

    page = client.get(CHANGELIST, **EN)
    assert page.status_code == 200
    assert "publish_to_social_networks" not in page.content.decode()
    _run_bulk_action(client, [task], django_capture_on_commit_callbacks, **EN)

    task.refresh_from_db()
    assert task.published is False
    assert not SocialMediaPost.objects.exists()


def test_add_form_saves_a_valid_task(admin_client):
    response = admin_client.post(reverse("admin:tasks_task_add"), task_admin_form(), **EN)
    assert response.status_code == 302
    assert Task.objects.get().answers == ["3", "4"]


@pytest.mark.parametrize(
    ("answers", "correct", "field", "error"),
    [
        ('"4"', "4", "answers", "Answers must be a JSON list of strings."),
        ('["4"]', "4", "answers", "Give at least two answer options."),
        ("[1, 2", "4", "answers", "Enter a valid JSON."),
        ('["3", "4"]', "5", "correct_answer", "The correct answer must be one of the answers."),
    ],
)
def test_bad_answers_show_a_form_error_and_save_nothing(
    admin_client, answers, correct, field, error
):
    response = admin_client.post(
        reverse("admin:tasks_task_add"),
        task_admin_form(answers=answers, correct_answer=correct),
        **EN,
    )

    assert response.status_code == 200
    assert error in response.context["adminform"].form.errors[field]
    assert error in response.content.decode()
    assert not Task.objects.exists()


def _tasks_with_posts(count: int) -> None:
    for _ in range(count):
        task = TaskFactory(published=True)
        SocialMediaPostFactory(task=task, platform="pinterest", status=PostStatus.PUBLISHED)
        SocialMediaPostFactory(task=task, platform="facebook", status=PostStatus.FAILED)


def test_changelist_query_count_does_not_grow_with_rows(
    admin_client, django_assert_max_num_queries
):
    _tasks_with_posts(5)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(CHANGELIST).status_code == 200

    _tasks_with_posts(45)
    with django_assert_max_num_queries(len(few)):
        response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 50


def test_admin_is_russian_without_accept_language(admin_client):
    TaskFactory()
    html = admin_client.get(CHANGELIST).content.decode()
    assert "Опубликовать в соцсети" in html
    assert 'lang="ru"' in html


def test_saving_a_published_task_loads_the_active_targets_once(
    admin_client, mocked_responses, django_capture_on_commit_callbacks
):
    """The publishing signal and the after-save warnings share one load."""
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()

    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks():
        response = admin_client.post(
            reverse("admin:tasks_task_add"), task_admin_form(published="on"), **EN
        )

    assert response.status_code == 302
    credential_loads = [
        q
        for q in queries.captured_queries
        if 'FROM "webhooks_socialmediacredentials"' in q["sql"]
        and "string_agg" not in q["sql"]  # the copy's fingerprint (ids, versions) is no load
    ]
    assert len(credential_loads) == 1
    assert SocialMediaPost.objects.filter(task=Task.objects.get()).count() == 2
