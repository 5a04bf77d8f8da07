"""The publishing service: which platforms a task goes to, when, and only once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine

from social_media import delivery
from social_media.services import publish_tasks, publish_to_social_media
from social_media.tests.contract import GRAPH_API, PINTEREST_API, SITE_URL, START, load_fixture
from tasks.models import SocialMediaPost
from tests.factories import (
    FacebookCredentialsFactory,
    PinterestCredentialsFactory,
    TaskFactory,
    WebhookFactory,
)

pytestmark = pytest.mark.django_db

PINS = f"{PINTEREST_API}/pins"
MAKE = "https://hook.eu1.make.com/abc123"
PAGE = "104512345678901"
PHOTO = load_fixture("facebook", "photo_created")


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.SITE_URL = SITE_URL
    settings.PINTEREST_API_BASE_URL = PINTEREST_API
    settings.FACEBOOK_GRAPH_API_BASE_URL = GRAPH_API
    settings.FACEBOOK_APP_SECRET = ""


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a block as a committed transaction: its on_commit hand-offs execute (eagerly)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def register(rsps, *platforms: str) -> None:
    """Successful answers for the named platforms only (a stub left uncalled fails the test)."""
    if "pinterest" in platforms:
        rsps.post(PINS, status=201, json={"id": "11"})
    if "facebook" in platforms:
        rsps.post(f"{GRAPH_API}/{PAGE}/photos", json=PHOTO)
        rsps.get(f"{GRAPH_API}/{PHOTO['post_id']}", json={"permalink_url": "https://fb/p/1"})
    if "webhook" in platforms:
        rsps.post(MAKE, body="Accepted")


def register_all(rsps) -> None:
    register(rsps, "pinterest", "facebook", "webhook")


def statuses(task) -> dict[str, str]:
    return dict(task.social_posts.values_list("platform", "status"))


def test_every_active_platform_gets_one_post_and_one_call(mocked_responses, committed):
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    WebhookFactory(url=MAKE, target_platforms=["instagram", "tiktok"])
    register_all(mocked_responses)

    with committed():
        task = TaskFactory(published=True)

    assert statuses(task) == {
        "pinterest": "published",
        "facebook": "published",
        "instagram": "processing",
        "tiktok": "processing",
    }
    urls = sorted(c.request.url for c in mocked_responses.calls if c.request.method == "POST")
    assert urls == sorted([PINS, f"{GRAPH_API}/{PAGE}/photos", MAKE, MAKE])


def test_inactive_credentials_and_webhooks_are_skipped(mocked_responses, committed):
    PinterestCredentialsFactory(is_active=False)
    FacebookCredentialsFactory()
    WebhookFactory(url=MAKE, target_platforms=["instagram"], is_active=False)
    register(mocked_responses, "facebook")  # Pinterest and the webhook get no stub

    with committed():
        task = TaskFactory(published=True)

    assert statuses(task) == {"facebook": "published"}
    assert not [c for c in mocked_responses.calls if c.request.url in (PINS, MAKE)]


def test_no_active_platform_means_no_posts(mocked_responses, committed):
    with committed():
        task = TaskFactory(published=True)

    assert statuses(task) == {}
    assert len(mocked_responses.calls) == 0


def test_languages_route_tasks_to_their_accounts(mocked_responses, committed):
    PinterestCredentialsFactory(languages=["ru"], extra_data={"board_id": "111"})
    PinterestCredentialsFactory(languages=["en"], extra_data={"board_id": "222"})
    FacebookCredentialsFactory(languages=["ru"])
    WebhookFactory(url=MAKE, target_platforms=["instagram"], languages=["en"])
    register_all(mocked_responses)

    with committed():
        ru = TaskFactory(published=True, language="ru")
    boards = [
        json.loads(c.request.body)["board_id"]
        for c in mocked_responses.calls
        if c.request.url == PINS
    ]
    assert boards == ["111"]  # fmt: skip
    assert set(statuses(ru)) == {"pinterest", "facebook"}

    with committed():
        en = TaskFactory(published=True, language="en")
    boards = [
        json.loads(c.request.body)["board_id"]
        for c in mocked_responses.calls
        if c.request.url == PINS
    ]
    assert boards == ["111", "222"]  # fmt: skip
    assert set(statuses(en)) == {"pinterest", "instagram"}


def test_future_publish_date_schedules_the_posts(mocked_responses, committed):
    PinterestCredentialsFactory()
    WebhookFactory(url=MAKE, target_platforms=["tiktok"])
    register(mocked_responses, "pinterest", "webhook")
    when = START + timedelta(days=2)

    with time_machine.travel(START, tick=False) as clock:
        with committed():
            task = TaskFactory(published=True, publish_date=when)

        posts = list(task.social_posts.all())
        assert {p.status for p in posts} == {"pending"}
        assert {p.next_attempt_at for p in posts} == {when}
        assert len(mocked_responses.calls) == 0
        assert delivery.post_publish(post_id=posts[0].pk) is None  # not due: not claimable
        assert delivery.posts_relay()["enqueued"] == 0

        clock.move_to(when + timedelta(seconds=1))
        assert delivery.posts_relay()["enqueued"] == 2

    assert statuses(task) == {"pinterest": "published", "tiktok": "processing"}
    assert len(mocked_responses.calls) == 2


def test_past_publish_date_publishes_at_once(mocked_responses, committed):
    PinterestCredentialsFactory()
    register(mocked_responses, "pinterest")

    with committed():
        task = TaskFactory(published=True, publish_date=START - timedelta(days=1))

    assert statuses(task) == {"pinterest": "published"}


def test_saving_a_published_task_again_creates_no_second_post(mocked_responses, committed):
    PinterestCredentialsFactory()
    register(mocked_responses, "pinterest")
    with committed():
        task = TaskFactory(published=True)

    with committed():
        task.explanation = "Edited after publishing."
        task.save()
    with committed():
        publish_to_social_media(task)

    assert SocialMediaPost.objects.filter(task=task).count() == 1
    assert len(mocked_responses.calls) == 1


def test_one_failing_platform_never_stops_the_others(mocked_responses, committed):
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    WebhookFactory(url=MAKE, target_platforms=["instagram", "tiktok"])
    register(mocked_responses, "webhook")
    mocked_responses.post(PINS, status=400, json=load_fixture("pinterest", "error_400"))
    mocked_responses.post(f"{GRAPH_API}/{PAGE}/photos", body=ConnectionResetError())

    with committed():
        task = TaskFactory(published=True)

    posts = {p.platform: p for p in task.social_posts.all()}
    assert posts["pinterest"].status == "failed"
    assert "Invalid parameters" in posts["pinterest"].error_message
    assert posts["facebook"].status == "pending"  # an internal error is retried, not lost
    assert posts["facebook"].error_message
    assert posts["instagram"].status == "processing"
    assert posts["tiktok"].status == "processing"


def test_failed_posts_are_retried_on_request_and_published_ones_skipped(
    mocked_responses, committed
):
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    register(mocked_responses, "pinterest", "facebook")
    mocked_responses.replace("POST", PINS, status=403, json=load_fixture("pinterest", "error_403"))
    with committed():
        task = TaskFactory(published=True)
    assert statuses(task) == {"pinterest": "failed", "facebook": "published"}

    mocked_responses.replace("POST", PINS, status=201, json={"id": "77"})
    with committed():
        summary = publish_tasks([task], retry_failed=True)

    assert dict(summary.retried) == {"pinterest": 1}
    assert dict(summary.skipped_published) == {"facebook": 1}
    assert statuses(task) == {"pinterest": "published", "facebook": "published"}
    assert task.social_posts.get(platform="pinterest").post_id == "77"


def test_a_task_published_with_no_image_publishes_its_cards_everywhere(mocked_responses, committed):
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    register(mocked_responses, "pinterest", "facebook")

    with committed():
        task = TaskFactory(published=True, image_url="")

    assert statuses(task) == {"pinterest": "published", "facebook": "published"}
    assert [c.request.url for c in mocked_responses.calls if c.request.method == "POST"] == [
        PINS,
        f"{GRAPH_API}/{PAGE}/photos",
    ]
