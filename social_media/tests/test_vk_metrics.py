"""VK metrics: ``wall.getById`` answers mapped to readings, at the HTTP boundary."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import requests

from social_media.platforms.base import Outcome
from social_media.platforms.registry import PLATFORMS
from tasks.models import PostStatus, SocialMediaPost
from tests.factories import TaskFactory
from webhooks.models import SocialMediaCredentials

pytestmark = pytest.mark.django_db

API = "https://api.vk.com/method"
TOKEN = "vk1.a.metrics-user-token-0123456789"
GROUP = "229000001"
BY_ID = f"{API}/wall.getById"


@pytest.fixture(autouse=True)
def _vk(settings):
    settings.VK_API_BASE_URL = API
    settings.VK_REQUESTS_PER_SECOND = 1000


@pytest.fixture
def credential():
    return SocialMediaCredentials.objects.create(
        platform="vk", access_token=TOKEN, extra_data={"group_id": GROUP}
    )


def published(*post_ids: str) -> list[SocialMediaPost]:
    posts = []
    for post_id in post_ids:
        task = TaskFactory()
        posts.append(
            SocialMediaPost.objects.create(
                task=task, platform="vk", status=PostStatus.PUBLISHED, post_id=post_id
            )
        )
    return posts


def item(post_id: int, **fields) -> dict:
    return {"id": post_id, "owner_id": -int(GROUP), "date": 1, "text": "…", **fields}


def read(posts, credential):
    return PLATFORMS["vk"].read_metrics(posts, credential)


def test_one_call_reads_every_post_of_the_batch(mocked_responses, credential):
    posts = published(f"-{GROUP}_5", f"-{GROUP}_6", "7")  # an older row: the bare post id
    mocked_responses.post(
        BY_ID,
        json={
            "response": {
                "items": [
                    item(
                        5,
                        views={"count": 120},
                        likes={"count": 9},
                        reposts={"count": 2},
                        comments={"count": 4},
                    ),
                    item(6, likes={"count": 1}, reposts={"count": 0}, comments={"count": 0}),
                    item(7, views={"count": 3}),
                ]
            }
        },
    )

    batch = read(posts, credential)

    assert batch.outcome == Outcome.SUCCESS
    sent = parse_qs(mocked_responses.calls[0].request.body)
    assert sent["posts"] == [f"-{GROUP}_5,-{GROUP}_6,-{GROUP}_7"]
    first = batch.readings[posts[0].pk]
    assert first.raw == {"views": 120, "likes": 9, "reposts": 2, "comments": 4}
    assert first.values == {"views": 120, "engagements": 9, "shares": 2, "comments": 4}
    # No views on an old post: left out ("no data"), never 0.
    assert "views" not in batch.readings[posts[1].pk].values
    assert batch.readings[posts[2].pk].values == {"views": 3}
    assert PLATFORMS["vk"].metrics_batch_size == 100


def test_missing_null_and_junk_values_are_passed_on_as_they_came(mocked_responses, credential):
    posts = published(f"-{GROUP}_5", f"-{GROUP}_6")
    mocked_responses.post(
        BY_ID,
        json={
            "response": {
                "items": [
                    item(
                        5, views={"count": None}, likes={"count": "many"}, reposts=-1, comments={}
                    ),
                    "junk",
                ]
            }
        },
    )

    batch = read(posts, credential)

    reading = batch.readings[posts[0].pk]
    assert reading.raw == {"views": None, "likes": "many", "reposts": -1, "comments": None}
    assert reading.values["views"] is None and reading.values["engagements"] == "many"
    assert posts[1].pk not in batch.readings  # not in the answer: not readable


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (
            {"json": {"error": {"error_code": 5, "error_msg": "User authorization failed"}}},
            Outcome.AUTH,
        ),
        ({"status": 401, "body": ""}, Outcome.AUTH),
        (
            {"json": {"error": {"error_code": 6, "error_msg": "Too many requests per second"}}},
            Outcome.RATE_LIMITED,
        ),
        ({"status": 429, "headers": {"Retry-After": "30"}, "body": ""}, Outcome.RATE_LIMITED),
        ({"status": 503, "body": "<html>down</html>"}, Outcome.TRANSIENT),
        ({"body": "<html>not json</html>"}, Outcome.TRANSIENT),
        ({"json": {"error": {"error_code": 15, "error_msg": "Access denied"}}}, Outcome.TRANSIENT),
        ({"body": requests.ReadTimeout("slow")}, Outcome.TRANSIENT),
    ],
    ids=["error-5", "401", "error-6", "429", "503", "html", "error-15", "timeout"],
)
def test_failed_reads_never_raise_and_say_what_to_do(mocked_responses, credential, answer, outcome):
    posts = published(f"-{GROUP}_5")
    mocked_responses.post(BY_ID, **answer)

    batch = read(posts, credential)

    assert (batch.outcome, batch.readings) == (outcome, {})
    assert batch.error_message
    if outcome == Outcome.RATE_LIMITED:
        assert batch.retry_after is not None and batch.retry_after >= 1
    assert TOKEN not in batch.error_message


def test_posts_without_an_id_need_no_call(mocked_responses, credential):
    posts = published("")

    batch = read(posts, credential)

    assert (batch.outcome, batch.readings) == (Outcome.SUCCESS, {})
    assert not mocked_responses.calls
