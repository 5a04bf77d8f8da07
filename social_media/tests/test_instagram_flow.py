"""Instagram's steps for answers the emulator does not give: missing ids, odd statuses,
a container already published, a link that cannot be read. The delivery path is real;
Graph is stubbed at the HTTP boundary (``responses``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import parse_qs

import pytest
import time_machine

from quiz_media.specs import RenderedMedia
from social_media.platforms.instagram.flow import MAX_HASHTAGS, backoff, caption_of
from social_media.tests.contract import GRAPH_API, SITE_URL, START, new_post, publish
from tasks.models import SocialMediaPost
from webhooks.models import SocialMediaCredentials

pytestmark = pytest.mark.django_db

TOKEN = "EAAB-test-instagram-token-0123456789"
IG = "17841400000000001"
MEDIA = f"{GRAPH_API}/{IG}/media"
PUBLISH = f"{GRAPH_API}/{IG}/media_publish"
LIMIT = f"{GRAPH_API}/{IG}/content_publishing_limit"
QUOTA = {"data": [{"quota_usage": 0, "config": {"quota_total": 50, "quota_duration": 86400}}]}


@pytest.fixture(autouse=True)
def _instagram(settings):
    settings.SITE_URL = SITE_URL
    settings.INSTAGRAM_GRAPH_API_BASE_URL = GRAPH_API


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def account(form: str = "image") -> SocialMediaCredentials:
    return SocialMediaCredentials.objects.create(
        platform="instagram",
        access_token=TOKEN,
        extra_data={"ig_user_id": IG, "publish_as": form},
        is_active=True,
    )


def next_at(post: SocialMediaPost) -> datetime:
    assert post.next_attempt_at is not None, "the post is not scheduled"
    return post.next_attempt_at


def step(clock, post: SocialMediaPost) -> SocialMediaPost:
    clock.move_to(next_at(post) + timedelta(milliseconds=1))
    return publish(post)


def status(rsps, container: str, code: str, text: str = "") -> None:
    rsps.get(
        f"{GRAPH_API}/{container}", json={"status_code": code, "status": text, "id": container}
    )


def listed(post: SocialMediaPost, media_id: str) -> dict:
    return {
        "data": [
            {
                "id": "17900000000000077",
                "caption": "another quiz",
                "timestamp": "2026-03-02T09:00:00+0000",
            },
            {
                "id": media_id,
                "caption": f"Quiz\n\nAnswer: {post.task.public_url}\n\n#quiz",
                "permalink": f"https://www.instagram.com/p/{media_id}/",
                "timestamp": "2026-03-02T09:00:00+0000",
            },
        ],
        "paging": {"cursors": {"after": "X"}},
    }


def carousel_of(children: str):
    """A ``responses`` matcher: the CAROUSEL parent container with these children."""

    def match(request) -> tuple[bool, str]:
        sent = parse_qs(request.body or "")
        wanted = sent.get("media_type") == ["CAROUSEL"] and sent.get("children") == [children]
        return wanted, "" if wanted else f"not the carousel of {children}: {sent}"

    return match


def form(call) -> dict[str, list[str]]:
    body = call.request.body
    return parse_qs(body.decode() if isinstance(body, bytes) else body)


def test_a_publish_answer_without_an_id_is_reconciled_by_the_container(mocked_responses, clock):
    account()
    mocked_responses.get(LIMIT, json=QUOTA)
    mocked_responses.post(MEDIA, json={"id": "C1"})
    status(mocked_responses, "C1", "FINISHED")
    publish_call = mocked_responses.post(PUBLISH, json={"ok": True})
    post = publish(new_post("instagram"))

    post = step(clock, post)
    assert (post.status, post.failure_kind, post.needs_reconcile) == ("pending", "unknown", True)
    assert "no media id" in post.error_message
    status(mocked_responses, "C1", "PUBLISHED")
    mocked_responses.get(MEDIA, json=listed(post, "M1"))
    post = step(clock, post)

    assert (post.status, post.post_id, post.post_url) == (
        "published",
        "M1",
        "https://www.instagram.com/p/M1/",
    )
    assert publish_call.call_count == 1


def test_a_link_that_cannot_be_read_waits_then_keeps_the_post_without_it(mocked_responses, clock):
    account()
    mocked_responses.get(LIMIT, json=QUOTA)
    mocked_responses.post(MEDIA, json={"id": "C1"})
    status(mocked_responses, "C1", "FINISHED")
    mocked_responses.post(PUBLISH, json={"id": "M1"})
    link = mocked_responses.get(f"{GRAPH_API}/M1", status=500, json={"error": {"code": 1}})
    post = publish(new_post("instagram"))

    post = step(clock, post)
    assert (post.status, post.platform_step) == (
        "pending",
        "Instagram published the post; reading its link",
    )
    assert post.platform_state["media_id"] == "M1"
    post = step(clock, post)
    post = step(clock, post)

    assert (post.status, post.post_id, post.post_url) == ("published", "M1", "")
    assert link.call_count == 3
    assert post.retry_count == 0


def test_media_not_ready_at_publish_waits_for_the_container(mocked_responses, clock):
    account()
    mocked_responses.get(LIMIT, json=QUOTA)
    mocked_responses.post(MEDIA, json={"id": "C1"})
    status(mocked_responses, "C1", "FINISHED")
    not_ready = {"error": {"code": 9007, "error_subcode": 2207027, "message": "not ready"}}
    mocked_responses.post(PUBLISH, status=400, json=not_ready)
    post = publish(new_post("instagram"))

    post = step(clock, post)
    assert (post.status, post.retry_count, post.platform_state["polls"]) == ("pending", 0, 1)
    mocked_responses.post(PUBLISH, json={"id": "M1"})
    mocked_responses.get(f"{GRAPH_API}/M1", json={"id": "M1", "permalink": "https://i/p/1/"})
    post = step(clock, post)

    assert (post.status, post.post_url) == ("published", "https://i/p/1/")


def test_a_container_published_already_is_found_instead_of_published_again(mocked_responses, clock):
    account()
    mocked_responses.get(LIMIT, json=QUOTA)
    mocked_responses.post(MEDIA, json={"id": "C1"})
    status(mocked_responses, "C1", "FINISHED")
    twice = {
        "error": {"code": 100, "message": "(#100) The media container has already been published."}
    }
    publish_call = mocked_responses.post(PUBLISH, status=400, json=twice)
    status(mocked_responses, "C1", "PUBLISHED")
    post = publish(new_post("instagram"))
    mocked_responses.get(MEDIA, json=listed(post, "M7"))

    post = step(clock, post)

    assert (post.status, post.post_id) == ("published", "M7")
    assert publish_call.call_count == 1


def test_a_carousel_item_that_failed_is_made_again_without_the_first_one(mocked_responses, clock):
    account("carousel")
    mocked_responses.get(LIMIT, json=QUOTA)
    first = mocked_responses.post(MEDIA, json={"id": "I1"})
    mocked_responses.post(MEDIA, status=503, json={"error": {"code": 2, "message": "busy"}})

    post = publish(new_post("instagram"))
    assert (post.status, post.failure_kind) == ("pending", "transient")
    assert post.platform_state == {"form": "carousel", "children": ["I1"]}
    # Registered first: the parent request matches it (and the plain stub below).
    parent = mocked_responses.post(MEDIA, json={"id": "P1"}, match=[carousel_of("I1,I2")])
    mocked_responses.post(MEDIA, json={"id": "I2"})
    post = step(clock, post)

    assert post.platform_state["container"] == "P1"
    assert first.call_count == 1 and parent.call_count == 1
    items = [form(c) for c in mocked_responses.calls if c.request.url == MEDIA]
    assert [f.get("is_carousel_item") for f in items] == [["true"], ["true"], ["true"], None]
    assert "caption" not in items[0] and "caption" in items[3]


def test_a_published_container_missing_from_the_list_is_looked_up_again_later(
    mocked_responses, clock
):
    account()
    mocked_responses.get(LIMIT, json=QUOTA)
    mocked_responses.post(MEDIA, json={"id": "C1"})
    status(mocked_responses, "C1", "FINISHED")
    mocked_responses.post(PUBLISH, body=ConnectionResetError("reset"))
    post = publish(new_post("instagram"))
    post = step(clock, post)
    assert post.needs_reconcile is True
    status(mocked_responses, "C1", "PUBLISHED")
    mocked_responses.get(MEDIA, json={"data": []})

    post = step(clock, post)

    assert (post.status, post.needs_reconcile) == ("pending", True)
    assert "is published, but its media is not in the account's recent media" in post.error_message
    assert len([c for c in mocked_responses.calls if c.request.url == PUBLISH]) == 1


@pytest.mark.parametrize("code", ["", "SOMETHING_NEW"])
def test_an_unexpected_status_is_transient_and_keeps_the_container(mocked_responses, clock, code):
    account()
    mocked_responses.get(LIMIT, json=QUOTA)
    mocked_responses.post(MEDIA, json={"id": "C1"})
    status(mocked_responses, "C1", code)
    post = publish(new_post("instagram"))

    post = step(clock, post)

    assert (post.status, post.failure_kind) == ("pending", "transient")
    assert "unexpected status" in post.error_message
    assert post.platform_state["container"] == "C1"


def test_an_unreadable_quota_window_waits_an_hour(mocked_responses, clock):
    account()
    used = {"data": [{"quota_usage": 50, "config": {"quota_total": 50, "quota_duration": 86400}}]}
    mocked_responses.get(LIMIT, json=used)
    mocked_responses.get(MEDIA, status=500, json={"error": {"code": 1}})

    post = publish(new_post("instagram"))

    assert (post.status, post.failure_kind) == ("pending", "rate_limited")
    assert next_at(post) >= START + timedelta(seconds=3600)


def test_the_credential_without_ig_user_id_fails_without_a_call(mocked_responses):
    SocialMediaCredentials.objects.create(
        platform="instagram", access_token=TOKEN, extra_data={}, is_active=True
    )

    post = publish(new_post("instagram"))

    assert (post.status, post.failure_kind) == ("failed", "permanent")
    assert "no ig_user_id" in post.error_message


def test_the_caption_keeps_at_most_30_hashtags():
    tags = " ".join(f"#tag{n}" for n in range(35))

    caption = caption_of(f"Quiz #1? https://q.example/task/1#answer\n\n{tags}")

    assert caption.count("#tag") == MAX_HASHTAGS - 1  # "#1" counts too
    assert "#tag28" in caption and "#tag29" not in caption
    assert "https://q.example/task/1#answer" in caption, "a URL fragment is no hashtag"


def test_the_backoff_doubles_up_to_a_minute():
    assert [backoff(n) for n in range(8)] == [2.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]


def test_activity_restricted_is_a_spam_answer_with_a_long_wait(mocked_responses):
    from social_media.media import NO_MEDIA
    from social_media.platforms.instagram.platform import PLATFORM

    credential = account()
    post = new_post("instagram")
    mocked_responses.get(LIMIT, json=QUOTA)
    spam = {"error": {"code": 4, "error_subcode": 2207051, "message": "restricted"}}
    mocked_responses.post(MEDIA, status=400, json=spam)
    card = RenderedMedia(
        "q.jpg", "https://cdn.example/q.jpg", "question_card", 1080, 1350, "image/jpeg", 9000
    )

    result = PLATFORM.publish(post, credential, replace(NO_MEDIA, items={"question_card": card}))

    assert (result.outcome, result.spam) == ("rate_limited", True)
    assert result.retry_after == 6 * 3600


def test_a_junk_stored_state_starts_with_the_credentials_form(mocked_responses):
    account("image")
    post = new_post("instagram")
    SocialMediaPost.objects.filter(pk=post.pk).update(platform_state={"form": "story"})
    mocked_responses.get(LIMIT, json=QUOTA)
    created = mocked_responses.post(MEDIA, json={"id": "C9"})

    post = publish(post)

    assert post.platform_state == {"form": "image", "container": "C9", "polls": 0}
    assert "image_url" in form(created.calls[0])
