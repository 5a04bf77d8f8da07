"""Saving a task: publishing happens after commit, once, and only for published tasks."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, transaction

from social_media.tests.contract import GRAPH_API, PINTEREST_API, SITE_URL, load_fixture
from tasks.models import SocialMediaPost, Task
from tests.factories import (
    FacebookCredentialsFactory,
    PinterestCredentialsFactory,
    TaskFactory,
    WebhookFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

PINS = f"{PINTEREST_API}/pins"
PAGE = "104512345678901"
PHOTOS = f"{GRAPH_API}/{PAGE}/photos"
MAKE = "https://hook.eu1.make.com/abc123"
PHOTO = load_fixture("facebook", "photo_created")


@pytest.fixture(autouse=True)
def platforms(settings):
    settings.SITE_URL = SITE_URL
    settings.PINTEREST_API_BASE_URL = PINTEREST_API
    settings.FACEBOOK_GRAPH_API_BASE_URL = GRAPH_API
    settings.FACEBOOK_APP_SECRET = ""
    settings.SOCIAL_MEDIA_AUTO_PUBLISH = True
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    WebhookFactory(url=MAKE, target_platforms=["instagram", "tiktok"])


@pytest.fixture
def answering(mocked_responses):
    """Every platform answers with success. Tests that expect nothing to be sent use
    ``mocked_responses`` alone: any request is then an unmatched call they count."""
    mocked_responses.post(PINS, status=201, json={"id": "321"})
    mocked_responses.post(PHOTOS, json=PHOTO)
    mocked_responses.get(f"{GRAPH_API}/{PHOTO['post_id']}", json={"permalink_url": "https://fb/1"})
    mocked_responses.post(MAKE, body="Accepted")
    return mocked_responses


ALL = {"pinterest", "facebook", "instagram", "tiktok"}


def sent(mocked_responses) -> Counter:
    """POSTs per platform (webhook POSTs are counted by the platform in their body)."""
    import json

    counts: Counter = Counter()
    for call in mocked_responses.calls:
        if call.request.method != "POST":
            continue
        if call.request.url == PINS:
            counts["pinterest"] += 1
        elif call.request.url == PHOTOS:
            counts["facebook"] += 1
        else:
            counts[json.loads(call.request.body)["platform"]] += 1
    return counts


def test_published_on_create_publishes_after_commit(answering):
    task = TaskFactory(published=True)

    posts = dict(task.social_posts.values_list("platform", "status"))
    assert posts == {
        "pinterest": "published",
        "facebook": "published",
        "instagram": "processing",
        "tiktok": "processing",
    }
    assert sent(answering) == dict.fromkeys(ALL, 1)


def test_nothing_is_sent_before_the_transaction_commits(answering):
    with transaction.atomic():
        task = TaskFactory(published=True)
        assert set(task.social_posts.values_list("status", flat=True)) == {"pending"}
        assert len(answering.calls) == 0

    assert sent(answering) == dict.fromkeys(ALL, 1)


def test_unpublished_task_publishes_nothing(mocked_responses):
    task = TaskFactory(published=False)
    task.question = "Edited"
    task.save()

    assert not SocialMediaPost.objects.filter(task=task).exists()
    assert len(mocked_responses.calls) == 0


def test_switching_to_published_publishes(answering):
    task = TaskFactory(published=False)

    task.published = True
    task.save()

    assert set(task.social_posts.values_list("platform", flat=True)) == ALL
    assert sent(answering) == dict.fromkeys(ALL, 1)


def test_rolled_back_save_leaves_no_rows_and_sends_nothing(mocked_responses):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        TaskFactory(published=True)
        raise Boom

    assert not Task.objects.exists()
    assert not SocialMediaPost.objects.exists()
    assert len(mocked_responses.calls) == 0


def test_rolled_back_switch_to_published_sends_nothing(mocked_responses):
    task = TaskFactory(published=False)

    with pytest.raises(RuntimeError), transaction.atomic():
        task.published = True
        task.save()
        raise RuntimeError("rolled back")

    assert not SocialMediaPost.objects.exists()
    assert len(mocked_responses.calls) == 0


def test_resaving_a_published_task_sends_nothing_new(answering):
    task = TaskFactory(published=True)

    for _ in range(3):
        task.explanation += " Edited."
        task.save()

    assert SocialMediaPost.objects.filter(task=task).count() == 4
    assert sent(answering) == dict.fromkeys(ALL, 1)


def test_auto_publish_switch_off_publishes_nothing(mocked_responses, settings):
    settings.SOCIAL_MEDIA_AUTO_PUBLISH = False

    task = TaskFactory(published=True)

    assert not SocialMediaPost.objects.filter(task=task).exists()
    assert len(mocked_responses.calls) == 0


def test_fixture_loading_publishes_nothing(mocked_responses):
    import json

    from django.core import serializers

    task = TaskFactory(published=False)
    dump = json.loads(serializers.serialize("json", [task]))
    dump[0]["fields"]["published"] = True
    pk = task.pk
    task.delete()

    for obj in serializers.deserialize("json", json.dumps(dump)):
        obj.save()  # a raw save, as loaddata does

    assert Task.objects.get(pk=pk).published is True
    assert not SocialMediaPost.objects.exists()
    assert len(mocked_responses.calls) == 0


@pytest.mark.postgres  # SQLite locks the table: the concurrent writers fail instead of waiting
def test_concurrent_saves_of_one_task_post_once_per_platform(answering):
    task = TaskFactory(published=False)
    threads_count = 12
    barrier = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def save_as_published() -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                same = Task.objects.get(pk=task.pk)
                same.published = True
                same.save()
        except BaseException as exc:  # reported below; a thread must not die silently
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=save_as_published) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    assert not any(thread.is_alive() for thread in threads)
    posts = SocialMediaPost.objects.filter(task=task)
    assert Counter(posts.values_list("platform", flat=True)) == dict.fromkeys(ALL, 1)
    assert sent(answering) == dict.fromkeys(ALL, 1)
    assert dict(posts.values_list("platform", "status")) == {
        "pinterest": "published",
        "facebook": "published",
        "instagram": "processing",
        "tiktok": "processing",
    }
