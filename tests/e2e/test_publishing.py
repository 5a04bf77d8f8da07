"""A published task travels over real HTTP: the live server, a Celery worker on Redis,
and the platform emulator standing in for Pinterest, Facebook and Make.com."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests
import time_machine
from django.utils import timezone

from social_media.delivery import posts_relay
from tasks.models import SocialMediaPost
from tests.e2e.conftest import VIDEO_SECONDS, arm, received, register_hook, wait_until
from tests.factories import (
    FacebookCredentialsFactory,
    PinterestCredentialsFactory,
    TaskFactory,
    WebhookFactory,
)

# The worker subprocess shares the test database: PostgreSQL, not SQLite in memory.
pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ALL_PLATFORMS = {"pinterest", "facebook", "instagram", "tiktok", "youtube_shorts", "yandex_dzen"}
WEBHOOK_PLATFORMS = ["instagram", "tiktok", "youtube_shorts", "yandex_dzen"]
FINAL = {"published", "failed"}


def _webhook(emulator, platforms=WEBHOOK_PLATFORMS):
    webhook = WebhookFactory(url=f"{emulator.url}/make/e2e", target_platforms=platforms)
    register_hook(emulator, "e2e", webhook.secret)
    return webhook


def _posts(task) -> dict[str, SocialMediaPost]:
    return {post.platform: post for post in SocialMediaPost.objects.filter(task=task)}


def _wait_final(task, platforms, timeout=20.0) -> dict[str, SocialMediaPost]:
    def done():
        posts = _posts(task)
        if set(posts) == set(platforms) and all(p.status in FINAL for p in posts.values()):
            return posts
        return None

    return wait_until(
        done,
        timeout=timeout,
        message=lambda: (
            "posts not final: "
            + str({p.platform: (p.status, p.error_message) for p in _posts(task).values()})
        ),
    )


def test_a_task_without_an_image_reaches_all_six_platforms_with_its_media(e2e, live_server):
    """Done-when of the media issue: a task with no image, saved as published with all six
    platforms active, ends with six published posts; Pinterest and Facebook received a
    generated card of their size, and the TikTok, YouTube Shorts and Instagram scenarios a
    playable 1080×1920 H.264 MP4 — as the emulator fetched them from the live server."""
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    _webhook(e2e)

    task = TaskFactory(published=True, image_url="")

    posts = _wait_final(task, ALL_PLATFORMS, timeout=180)
    assert {p.status for p in posts.values()} == {"published"}, {
        k: p.error_message for k, p in posts.items()
    }
    pin = e2e.state.pins[posts["pinterest"].post_id]
    assert pin["link"] == task.public_url
    assert pin["board_id"] == "549755885175"
    assert posts["pinterest"].post_url == f"{e2e.url}/pin/{pin['id']}/"
    assert requests.get(posts["pinterest"].post_url, timeout=5).status_code == 200
    assert posts["facebook"].post_url == f"{e2e.url}/post/{posts['facebook'].post_id}"
    # The scenario got a signed delivery per platform and called back over HTTP.
    deliveries = received(e2e, "make")
    assert sorted(d["json"]["platform"] for d in deliveries) == sorted(WEBHOOK_PLATFORMS)
    assert all(d["signature_valid"] is True for d in deliveries)
    assert sorted(c["status_code"] for c in e2e.state.callbacks) == [200] * 4
    for platform in WEBHOOK_PLATFORMS:
        post = posts[platform]
        assert post.post_url == f"{e2e.url}/post/{post.post_id}"
        assert post.published_at is not None
    # The stored links open a page showing the post.
    page = requests.get(posts["instagram"].post_url, timeout=5)
    assert page.status_code == 200
    assert task.question[:20] in page.text
    facebook_page = requests.get(posts["facebook"].post_url, timeout=5)
    assert facebook_page.status_code == 200

    # What the emulator downloaded and probed (Pillow / PyAV), not what we said we sent.
    fetched = e2e.state.fetched_media
    pin_card = fetched[posts["pinterest"].post_id]
    assert (pin_card["format"], pin_card["width"], pin_card["height"]) == ("PNG", 1000, 1500)
    fb_card = fetched[posts["facebook"].post_id]
    assert (fb_card["format"], fb_card["width"], fb_card["height"]) == ("PNG", 1200, 628)
    card_url = e2e.state.fb_posts[posts["facebook"].post_id]["full_picture"]
    assert card_url.startswith(f"{live_server.url}/media/renders/")
    assert card_url in facebook_page.text
    for platform in ("tiktok", "youtube_shorts", "instagram"):
        video = fetched[posts[platform].post_id]
        assert video["codec"] == "h264" and "mp4" in video["container"].split(","), video
        assert (video["width"], video["height"]) == (1080, 1920)
        assert video["duration"] == pytest.approx(VIDEO_SECONDS, abs=0.2)
        assert 23 <= video["fps"] <= 60
    # The scenario got the media object in the payload, absolute URLs it could fetch.
    by_platform = {d["json"]["platform"]: d["json"] for d in deliveries}
    instagram = by_platform["instagram"]["content"]["media"]
    assert instagram["image"]["mime_type"] == "image/jpeg"
    assert (instagram["image"]["width"], instagram["image"]["height"]) == (1080, 1350)
    assert instagram["answer_image"]["url"] != instagram["image"]["url"]
    assert by_platform["tiktok"]["content"]["media"]["image"] is None
    assert by_platform["yandex_dzen"]["content"]["media"]["video"] is None


def test_a_short_goes_up_through_youtubes_api_in_the_worker(e2e):
    """The API route of YouTube Shorts: a resumable upload started in one run of the
    worker (the post waits, holding no worker), finished in the next; one video."""
    from webhooks.models import SocialMediaCredentials

    SocialMediaCredentials.objects.create(
        platform="youtube_shorts",
        access_token="ya29.e2e-emulator-token",
        extra_data={"channel_id": "UCquizDemoChannel0000001", "privacy_status": "public"},
    )
    arm(e2e, platform="youtube", fault="cut_upload")  # the first chunk is cut: resumed

    task = TaskFactory(published=True, image_url="")

    post = _wait_final(task, {"youtube_shorts"}, timeout=120)["youtube_shorts"]
    assert post.status == "published", post.error_message
    assert post.route == "api"
    store = e2e.native("youtube")
    with e2e.state.lock:
        videos = list(store.videos.values())
    assert [v["id"] for v in videos] == [post.post_id]
    assert videos[0]["emulator"]["short"] is True
    assert post.post_url == f"{e2e.url}/youtube/shorts/{post.post_id}"
    assert requests.get(post.post_url, timeout=5).status_code == 200


def test_two_server_errors_then_success_is_published_with_two_retries(e2e):
    PinterestCredentialsFactory()
    arm(e2e, platform="pinterest", fault="status", status=500, count=2, method="POST")

    task = TaskFactory(published=True)

    post = _wait_final(task, {"pinterest"})["pinterest"]
    assert post.status == "published"
    assert post.retry_count == 2
    assert len([r for r in received(e2e, "pinterest") if r["method"] == "POST"]) == 3
    assert len(e2e.state.pins) == 1


def test_rate_limit_waits_for_retry_after_then_publishes(e2e):
    FacebookCredentialsFactory()
    arm(e2e, platform="facebook", fault="rate_limit", code=613, retry_after=2, method="POST")

    task = TaskFactory(published=True)

    post = _wait_final(task, {"facebook"})["facebook"]
    assert post.status == "published"
    assert post.retry_count == 1
    posts = [r for r in received(e2e, "facebook") if r["method"] == "POST"]
    assert len(posts) == 2
    assert posts[1]["received_at"] - posts[0]["received_at"] >= 2  # Retry-After honoured


def test_an_expired_token_fails_the_post_and_flags_the_credential(e2e):
    credential = FacebookCredentialsFactory()
    arm(e2e, platform="facebook", fault="expired_token", count=None)

    task = TaskFactory(published=True)

    post = _wait_final(task, {"facebook"})["facebook"]
    assert post.status == "failed"
    assert "190" in post.error_message
    assert post.retry_count == 1
    credential.refresh_from_db()
    assert credential.needs_reconnect is True
    assert "190" in credential.last_error
    assert len(received(e2e, "facebook")) == 1  # an auth failure is not retried


def test_a_timeout_is_reconciled_without_a_duplicate_pin(e2e):
    PinterestCredentialsFactory()
    # The platform stalls past the client's timeout, then creates the pin anyway.
    arm(e2e, platform="pinterest", fault="timeout", seconds=2.3, method="POST")

    task = TaskFactory(published=True)

    post = _wait_final(task, {"pinterest"})["pinterest"]
    assert post.status == "published"
    assert len(e2e.state.pins) == 1
    assert post.post_id in e2e.state.pins
    paths = [(r["method"], r["path"]) for r in received(e2e, "pinterest")]
    assert paths.count(("POST", "/pinterest/v5/pins")) == 1
    assert ("GET", "/pinterest/v5/boards/549755885175/pins") in paths


def test_a_malformed_answer_is_looked_up_before_sending_again(e2e):
    FacebookCredentialsFactory()
    arm(e2e, platform="facebook", fault="malformed", method="POST")

    task = TaskFactory(published=True)

    post = _wait_final(task, {"facebook"})["facebook"]
    assert post.status == "published"
    assert len(e2e.state.fb_posts) == 1
    paths = [r["path"] for r in received(e2e, "facebook")]
    assert any(path.endswith("/published_posts") for path in paths)


def test_without_a_callback_the_post_stays_processing_until_the_deadline(e2e):
    _webhook(e2e, platforms=["yandex_dzen"])  # no video to render: the wait is the point
    arm(e2e, platform="make", fault="no_callback")

    task = TaskFactory(published=True)

    post = wait_until(
        lambda: SocialMediaPost.objects.filter(task=task, delivered_at__isnull=False).first(),
        timeout=15,
        message="the webhook was never delivered",
    )
    assert len(received(e2e, "make")) == 1
    time.sleep(e2e.state.callback_delay + 1.5)  # well past when the scenario would call back
    post.refresh_from_db()
    assert post.status == "processing"
    assert e2e.state.callbacks == []
    assert post.callback_deadline > timezone.now()

    with time_machine.travel(post.callback_deadline + timedelta(seconds=1)):
        posts_relay()

    post.refresh_from_db()
    assert post.status == "failed"
    assert post.failure_kind == "no_callback"
    assert "no callback" in post.error_message


def test_a_scenario_reporting_failure_fails_the_post_with_its_reason(e2e):
    _webhook(e2e, platforms=["yandex_dzen"])
    arm(e2e, platform="make", fault="callback_failed")

    task = TaskFactory(published=True)

    post = _wait_final(task, {"yandex_dzen"})["yandex_dzen"]
    assert post.status == "failed"
    assert post.error_message == "The scenario could not publish (fault)."
    assert post.failure_kind == "callback"


def test_a_task_appears_on_the_emulated_vk_wall_with_its_card_and_poll(e2e):
    """Issue 12's done-when for VK, as in the local run: the demo credential (the
    emulator's community admin) and the worker pointed at the emulator by the settings VK
    declares for the local run (``Setting.local``)."""
    from social_media.platforms.registry import PLATFORMS
    from webhooks.models import SocialMediaCredentials

    demo = PLATFORMS["vk"].demo_credential
    assert demo is not None
    SocialMediaCredentials.objects.create(
        platform="vk", access_token=demo.access_token, extra_data=dict(demo.extra_data)
    )

    task = TaskFactory(published=True, image_url="", answers=["3", "6", "abcabc"])

    post = _wait_final(task, {"vk"}, timeout=120)["vk"]
    assert post.status == "published", post.error_message
    with e2e.vk.lock:
        [item] = [e2e.vk.post_view(p) for p in e2e.vk.posts.values()]
    group = demo.extra_data["group_id"]
    assert post.post_url == f"{e2e.url}/vk/wall-{group}_{item['id']}"
    assert task.public_url in item["text"]
    photo, poll = item["attachments"]
    assert photo["type"] == "photo" and photo["photo"]["owner_id"] == -int(group)
    assert [a["text"] for a in poll["poll"]["answers"]] == ["3", "6", "abcabc"]
    assert e2e.create_count("vk") == 1
    page = requests.get(post.post_url, timeout=5)
    assert page.status_code == 200 and "abcabc" in page.text
