"""Instagram's API route end to end: the real delivery path over HTTP to the emulator.

Each test saves a published task (the signal makes its post), then runs the worker's
step (``delivery.post_publish``) again whenever the post is due, moving a frozen clock
instead of sleeping. The emulator downloads the rendered cards and video from a local
media server, checks them as Instagram does, and counts every create request
(``POST {ig-user}/media`` and ``media_publish``), which is how duplicates are found.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from emulator.platforms.instagram import IG_USER_ID
from emulator.testing import InProcessEmulator
from social_media import delivery
from social_media.media import post_media_resolve
from social_media.platforms.registry import PLATFORMS
from social_media.tests.contract import SITE_URL, START, new_post, publish
from tasks.models import SocialMediaPost
from tests.factories import WebhookFactory
from tests.reliability.helpers import MediaServer
from webhooks.models import SocialMediaCredentials

pytestmark = pytest.mark.django_db

TOKEN = "EAAB-test-instagram-token-0123456789"


@pytest.fixture(scope="module")
def server() -> Iterator[InProcessEmulator]:
    with InProcessEmulator() as emulator:  # one server for the module: stopping one costs 0.5 s
        yield emulator


@pytest.fixture
def emu(server, settings) -> Iterator[InProcessEmulator]:
    """The emulator as new, Instagram's API pointed at it, the renders served to it."""
    server.reset()
    # The test renders are small (conftest: 2 s videos); the Reel bound is lowered to fit.
    server.configure("instagram", defaults=True, reel_min_seconds=1)
    settings.SITE_URL = SITE_URL
    settings.INSTAGRAM_GRAPH_API_BASE_URL = server.instagram_url
    settings.SOCIAL_MEDIA_HTTP_TIMEOUT = 1
    settings.SOCIAL_MEDIA_STEP_DEADLINE_SECONDS = 3600
    with MediaServer(Path(settings.MEDIA_ROOT)) as media:
        settings.MEDIA_PUBLIC_URL = media.url  # the emulator downloads what it is sent
        yield server
    server.release()


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def credential(form: str | None = "image", **extra) -> SocialMediaCredentials:
    data = {"ig_user_id": IG_USER_ID, **extra}
    if form:
        data["publish_as"] = form
    return SocialMediaCredentials.objects.create(
        platform="instagram", access_token=TOKEN, extra_data=data, is_active=True
    )


def next_at(post: SocialMediaPost) -> datetime:
    assert post.next_attempt_at is not None, "the post is not scheduled"
    return post.next_attempt_at


def due(clock, post: SocialMediaPost) -> None:
    clock.move_to(next_at(post) + timedelta(milliseconds=1))


def run(post: SocialMediaPost, clock, *, steps: int = 30) -> SocialMediaPost:
    """The worker's runs, each when the post is due, until it is no longer pending."""
    for _ in range(steps):
        if post.status != "pending":
            break
        if post.next_attempt_at and post.next_attempt_at > timezone.now():
            due(clock, post)
        post = publish(post)
    return post


def store(emu):
    return emu.native("instagram")


def outcomes(post: SocialMediaPost) -> list[tuple[str, str]]:
    return list(post.attempts.order_by("pk").values_list("kind", "outcome"))


def publishes(emu) -> list[dict]:
    return emu.requests("instagram", method="POST", path="media_publish")


# --- the three forms -------------------------------------------------------------------


def test_an_image_post_is_the_question_card_with_the_caption(emu, clock):
    credential("image")
    post = new_post("instagram")

    post = publish(post)
    assert (post.status, post.route, post.platform_step) == (
        "pending",
        "api",
        "Instagram is preparing the image",
    )
    container = post.platform_state["container"]
    assert post.platform_state == {"form": "image", "container": container, "polls": 0}
    due(clock, post)
    post = publish(post)

    (media,) = store(emu).media.values()
    assert (post.status, post.post_id, post.post_url) == (
        "published",
        media["id"],
        media["permalink"],
    )
    assert post.platform_state == {}
    assert post.retry_count == 0
    assert media["media_type"] == "IMAGE"
    assert media["media_url"].endswith(".jpg") or media["media_url"].endswith(".jpeg")
    assert post.task.public_url in media["caption"]
    assert media["container_id"] == container
    assert outcomes(post) == [("publish", "waiting"), ("publish", "success")]
    assert emu.create_count("instagram") == 2  # one container, one media_publish
    limit_reads = emu.requests("instagram", method="GET", path="content_publishing_limit")
    assert len(limit_reads) == 1, "the live quota is read before the container is made"


def test_a_carousel_is_the_question_card_then_the_answer_card(emu, clock):
    demo = PLATFORMS["instagram"].demo_credential  # the local run's account: a carousel
    assert demo is not None
    SocialMediaCredentials.objects.create(
        platform="instagram", access_token=demo.access_token, extra_data=demo.extra_data
    )

    post = run(new_post("instagram"), clock)

    (media,) = store(emu).media.values()
    assert (post.status, post.post_id) == ("published", media["id"])
    assert media["media_type"] == "CAROUSEL_ALBUM"
    cards = {rendered.kind: rendered.name for rendered in post.task.rendered_files.all()}
    question, answer = media["children"]
    assert question.endswith(cards["question_card"]) and answer.endswith(cards["answer_card"])
    parents = [c for c in store(emu).containers.values() if c["media_type"] == "CAROUSEL"]
    assert len(parents) == 1 and len(parents[0]["children"]) == 2
    assert emu.create_count("instagram") == 4  # two items, the parent, one media_publish


def test_a_reel_is_the_vertical_video_polled_with_a_growing_backoff(emu, clock):
    credential("reels")
    emu.configure("instagram", video_polls=3)

    post = publish(new_post("instagram"))
    waits = []
    while post.status == "pending":
        assert post.platform_step == "Instagram is processing the video"
        waits.append((next_at(post) - timezone.now()).total_seconds())
        due(clock, post)
        post = publish(post)

    (media,) = store(emu).media.values()
    assert post.status == "published" and "/instagram/reel/" in post.post_url
    assert (media["media_type"], media["media_product_type"]) == ("VIDEO", "REELS")
    assert media["media_url"].endswith(".mp4")
    assert waits == [5.0, 2.0, 4.0, 8.0]
    assert post.retry_count == 0, "waiting is not a retry"
    assert len(publishes(emu)) == 1


# --- faults ------------------------------------------------------------------------------


def test_server_errors_are_retried_and_resume_from_the_stored_container(emu, clock):
    credential("image")
    emu.fault("instagram", "status", status=500, path="/media_publish")

    post = publish(new_post("instagram"))
    due(clock, post)
    post = publish(post)
    assert (post.status, post.failure_kind, post.retry_count) == ("pending", "transient", 1)
    assert "HTTP 500" in post.error_message
    assert post.platform_state["container"], "the container survives the error"
    due(clock, post)
    post = publish(post)

    assert post.status == "published"
    assert len(store(emu).containers) == 1, "no new container"
    assert len(store(emu).media) == 1


def test_throttling_waits_for_retry_after(emu, clock):
    credential("image")
    emu.fault("instagram", "rate_limit", code=613, retry_after=90, path="/media", method="POST")

    post = publish(new_post("instagram"))

    assert (post.status, post.failure_kind) == ("pending", "rate_limited")
    assert "code 613" in post.error_message
    assert next_at(post) >= START + timedelta(seconds=90)
    post = run(post, clock)
    assert post.status == "published" and len(store(emu).media) == 1


def test_http_429_is_rate_limited(emu, clock):
    credential("image")
    emu.fault("instagram", "status", status=429, path="content_publishing_limit")

    post = publish(new_post("instagram"))

    assert (post.status, post.failure_kind) == ("pending", "rate_limited")
    assert emu.create_count("instagram") == 0
    assert run(post, clock).status == "published"


def test_an_expired_token_fails_the_post_and_flags_the_credential(emu, clock):
    account = credential("image")
    emu.fault("instagram", "expired_token")

    post = publish(new_post("instagram"))

    account.refresh_from_db()
    assert (post.status, post.failure_kind) == ("failed", "auth")
    assert "code 190/463" in post.error_message
    assert account.needs_reconnect is True
    assert TOKEN not in post.error_message
    assert emu.create_count("instagram") == 0


def test_a_slow_status_read_is_retried_without_a_lookup(emu, clock):
    credential("image")
    post = publish(new_post("instagram"))
    container = post.platform_state["container"]
    emu.fault("instagram", "timeout", seconds=5, path=f"/{container}", method="GET")

    due(clock, post)
    post = publish(post)
    emu.release()
    assert (post.status, post.failure_kind, post.needs_reconcile) == ("pending", "transient", False)
    post = run(post, clock)

    assert post.status == "published" and len(store(emu).media) == 1


def test_a_timeout_creating_the_container_makes_a_new_one_without_a_lookup(emu, clock):
    credential("image")
    # The container is made after the client gave up: unpublished, it is invisible.
    emu.fault("instagram", "timeout", seconds=5, process="after", path="/media", method="POST")

    post = publish(new_post("instagram"))
    emu.release()
    assert (post.status, post.failure_kind, post.needs_reconcile) == ("pending", "transient", False)
    post = run(post, clock)

    assert post.status == "published"
    assert len(store(emu).media) == 1 and len(publishes(emu)) == 1


def test_a_timeout_on_media_publish_is_reconciled_by_the_container_without_a_duplicate(emu, clock):
    credential("image")
    # The publish goes through, the answer never arrives in time.
    emu.fault("instagram", "timeout", seconds=5, process="before", path="/media_publish")

    post = publish(new_post("instagram"))
    due(clock, post)
    post = publish(post)
    emu.release()
    assert (post.status, post.failure_kind, post.needs_reconcile) == ("pending", "unknown", True)
    due(clock, post)
    post = publish(post)

    (media,) = store(emu).media.values()
    assert (post.status, post.post_id, post.post_url) == (
        "published",
        media["id"],
        media["permalink"],
    )
    assert outcomes(post)[-1] == ("reconcile", "success")
    assert len(publishes(emu)) == 1, "never published twice"


def test_a_worker_dying_after_media_publish_is_found_by_reconcile(emu, clock, settings):
    account = credential("carousel")
    post = publish(new_post("instagram"))  # the containers are made
    due(clock, post)
    # The next worker claims the post, publishes it and dies before writing the result.
    claimed = delivery.post_claim(post.pk)
    assert claimed is not None
    taken = claimed[0]
    media = post_media_resolve(task=taken.task, platform=PLATFORMS["instagram"])
    lost = PLATFORMS["instagram"].publish(taken, account, media)
    assert lost.outcome == "success", "the dead worker's publish went out"
    assert len(store(emu).media) == 1
    clock.move_to(timezone.now() + timedelta(seconds=settings.SOCIAL_MEDIA_LEASE_SECONDS + 1))

    post = publish(SocialMediaPost.objects.get(pk=post.pk))

    (published,) = store(emu).media.values()
    assert (post.status, post.post_id, post.post_url) == (
        "published",
        published["id"],
        published["permalink"],
    )
    assert outcomes(post)[-1] == ("reconcile", "success")
    assert len(publishes(emu)) == 1, "reconcile found it: no second media_publish"
    assert emu.create_count("instagram") == 4


def test_a_malformed_publish_answer_is_looked_up_before_publishing_again(emu, clock):
    credential("image")
    emu.fault("instagram", "malformed", path="/media_publish")

    post = publish(new_post("instagram"))
    due(clock, post)
    post = publish(post)
    assert (post.status, post.needs_reconcile) == ("pending", True)
    post = run(post, clock)

    assert post.status == "published"
    assert [a for a in outcomes(post) if a[0] == "reconcile"] == [("reconcile", "not_found")]
    assert len(store(emu).media) == 1


def test_a_stuck_container_fails_at_the_deadline_with_a_clear_message(emu, clock, settings):
    settings.SOCIAL_MEDIA_STEP_DEADLINE_SECONDS = 120
    credential("reels")
    emu.fault("instagram", "stuck")

    post = publish(new_post("instagram"))
    while post.status == "pending":
        assert post.step_deadline is not None and next_at(post) <= post.step_deadline
        due(clock, post)
        post = publish(post)

    assert (post.status, post.failure_kind) == ("failed", "step_timeout")
    assert "still not done at the waiting deadline" in post.error_message
    assert "Instagram is processing the video" in post.error_message
    assert publishes(emu) == [] and store(emu).media == {}


def test_media_that_cannot_be_fetched_fails_at_once(emu, clock, settings):
    credential("image")
    settings.MEDIA_PUBLIC_URL = "http://127.0.0.1:9/media/"  # nothing listens there

    post = publish(new_post("instagram"))

    assert (post.status, post.failure_kind) == ("failed", "permanent")
    assert "9004/2207052" in post.error_message
    assert post.platform_state == {}
    assert publishes(emu) == []


def test_a_video_instagram_refuses_ends_the_container_in_error(emu, clock):
    credential("reels")
    emu.configure("instagram", reel_min_seconds=3)  # the test video lasts 2 s

    post = run(new_post("instagram"), clock)

    assert (post.status, post.failure_kind) == ("failed", "permanent")
    assert "the video format is not supported (error 2207026)" in post.error_message
    assert post.platform_state == {}, "a retry starts over with a new container"
    assert publishes(emu) == []


def test_a_used_up_quota_waits_until_the_window_frees(emu, clock):
    credential("image")
    emu.configure("instagram", quota_total=1)
    first = run(new_post("instagram"), clock)
    assert first.status == "published"
    clock.move_to(START + timedelta(hours=20))

    post = publish(new_post("instagram"))

    assert (post.status, post.failure_kind) == ("pending", "rate_limited")
    assert "publishing quota (1 of 1 posts in 24 hours)" in post.error_message
    wait = (next_at(post) - timezone.now()).total_seconds()
    assert 4 * 3600 - 120 <= wait <= 4 * 3600 + 120, "when the first post leaves the window"
    assert len(store(emu).containers) == 1, "no container for a post that cannot go out"
    post = run(post, clock)
    assert post.status == "published"
    assert len(store(emu).media) == 2


def test_a_quota_refusal_at_media_publish_keeps_the_container(emu, clock):
    credential("image")
    emu.fault("instagram", "quota")

    post = publish(new_post("instagram"))
    due(clock, post)
    post = publish(post)
    assert (post.status, post.failure_kind) == ("pending", "rate_limited")
    assert "2207042" in post.error_message
    assert next_at(post) >= timezone.now() + timedelta(minutes=59)
    post = run(post, clock)

    assert post.status == "published"
    assert len(store(emu).containers) == 1


def test_an_expired_container_is_replaced_by_a_new_one(emu, clock):
    credential("image")
    emu.fault("instagram", "rate_limit", code=4, retry_after=90000, path="/media_publish")

    post = publish(new_post("instagram"))
    due(clock, post)
    post = publish(post)  # throttled for 25 hours: the container expires meanwhile
    due(clock, post)
    post = publish(post)
    assert (post.status, post.failure_kind, post.platform_state) == ("pending", "transient", {})
    assert "expired" in post.error_message
    post = run(post, clock)

    assert post.status == "published"
    assert len(store(emu).containers) == 2 and len(store(emu).media) == 1


@pytest.mark.allow_private_urls  # the Make.com stand-in is the emulator, on 127.0.0.1
def test_a_webhook_target_keeps_the_make_route(emu, clock):
    WebhookFactory(url=emu.hook_url("make"), target_platforms=["instagram"])

    post = publish(new_post("instagram"))

    assert (post.status, post.route) == ("processing", "webhook")
    assert [p["platform"] for p in emu.make_posts] == ["instagram"]
    assert emu.create_count("instagram") == 0
