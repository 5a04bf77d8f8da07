"""TikTok end to end through the emulator's Content Posting API: the real delivery path
(claim → publish step → record → wait → next step), every fault, never two posts."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from django.utils.translation import override

from emulator.testing import InProcessEmulator
from quiz_media.specs import MediaSpec
from social_media import delivery
from social_media.media import post_media_resolve
from social_media.models import PublishAttempt
from social_media.platforms.registry import PLATFORMS
from social_media.platforms.tiktok import oauth
from social_media.platforms.tiktok.platform import PLATFORM as TIKTOK
from social_media.platforms.tiktok.privacy import UNAUDITED_NOTICE
from social_media.tests.contract import START
from tasks.models import SocialMediaPost
from tests.factories import TaskFactory, TikTokCredentialsFactory
from tests.reliability.helpers import MediaServer

pytestmark = pytest.mark.django_db

KIB = 1024
INIT = "/v2/post/publish/video/init/"
STATUS = "/v2/post/publish/status/fetch/"
CREATOR = "/v2/post/publish/creator_info/query/"
# The smallest video TikTok's checks take (360-4096 px a side), kept short to render fast.
VIDEO = MediaSpec("video", 360, 640, "mp4", 4 * 1024**3, max_duration=2.0)


@pytest.fixture
def emu(request, settings, monkeypatch) -> Iterator[InProcessEmulator]:
    with InProcessEmulator() as emulator, MediaServer(Path(settings.MEDIA_ROOT)) as media:
        settings.TIKTOK_API_BASE_URL = emulator.tiktok_url
        settings.TIKTOK_VIDEO_URL = f"{emulator.url}/tiktok/@{{username}}/video/{{id}}"
        settings.TIKTOK_CLIENT_KEY = "aw-test-client-key"
        settings.TIKTOK_CLIENT_SECRET = "tiktok-test-client-secret"
        settings.MEDIA_PUBLIC_URL = media.url  # the emulator downloads PULL_FROM_URL videos
        settings.SOCIAL_MEDIA_HTTP_TIMEOUT = 2
        if not request.node.get_closest_marker("full_media"):
            monkeypatch.setattr(PLATFORMS["tiktok"], "media_requirements", (VIDEO,))
        yield emulator


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def credential(emu):
    return TikTokCredentialsFactory(token_expires_at=None)


def new_post() -> SocialMediaPost:
    task = TaskFactory(published=True)
    return task.social_posts.get(platform="tiktok")


def step(post: SocialMediaPost, clock) -> SocialMediaPost:
    """Move the clock to when the post is due and run one worker call."""
    post.refresh_from_db()
    if post.next_attempt_at and post.next_attempt_at > timezone.now():
        clock.move_to(post.next_attempt_at + timedelta(milliseconds=1))
    delivery.post_publish(post_id=post.pk)
    post.refresh_from_db()
    return post


def drive(post: SocialMediaPost, clock, limit: int = 25) -> SocialMediaPost:
    """Worker calls until the post is published or failed."""
    for _call in range(limit):
        post = step(post, clock)
        if post.status in ("published", "failed"):
            return post
    pytest.fail(f"still {post.status} after {limit} calls: {post.error_message}")


def outcomes(post: SocialMediaPost) -> list[str]:
    return list(
        PublishAttempt.objects.filter(post=post).order_by("pk").values_list("outcome", flat=True)
    )


def published_videos(emu) -> list[dict]:
    return list(emu.native("tiktok").videos.values())


def test_file_upload_goes_in_steps_and_is_polled_to_publish_complete(emu, credential, clock):
    post = new_post()

    post = step(post, clock)  # creator info + init
    assert post.status == "pending"
    assert post.platform_state["publish_id"].startswith("v_pub_file_upload~")
    assert "upload" in post.platform_state and "upload_token" not in str(post.platform_state)
    assert post.platform_step == "TikTok is receiving the video"

    post = drive(post, clock)
    assert post.status == "published", post.error_message
    [video] = published_videos(emu)
    assert post.post_id == video["id"]
    assert post.post_url == f"{emu.url}/tiktok/@quiz_demo/video/{video['id']}"
    assert post.platform_state == {"publish_id": video["publish_id"]}
    assert post.notice == ""
    assert outcomes(post)[0] == "waiting" and outcomes(post)[-1] == "success"
    assert emu.create_count("tiktok") == 1
    [init] = emu.requests("tiktok", path=INIT)
    assert init["json"]["post_info"]["privacy_level"] == "PUBLIC_TO_EVERYONE"
    assert init["json"]["post_info"]["title"]
    source = init["json"]["source_info"]
    assert source["source"] == "FILE_UPLOAD"
    assert source["total_chunk_count"] == 1 and source["chunk_size"] == source["video_size"]
    [put] = emu.requests("tiktok", method="PUT")
    assert {k.lower(): v for k, v in put["headers"].items()}[
        "content-range"
    ] == f"bytes 0-{source['video_size'] - 1}/{source['video_size']}"


@pytest.mark.full_media
def test_the_full_size_video_goes_with_the_default_chunk_settings(emu, credential, clock):
    post = drive(new_post(), clock)
    assert post.status == "published", post.error_message
    [init] = emu.requests("tiktok", path=INIT)
    source = init["json"]["source_info"]
    assert source["video_size"] > 100_000  # 1080 x 1920, 15 s
    assert source["total_chunk_count"] == len(emu.requests("tiktok", method="PUT"))
    [video] = published_videos(emu)
    assert (video["width"], video["height"]) == (1080, 1920)


def test_pull_from_url_when_the_media_domain_is_verified(emu, clock):
    TikTokCredentialsFactory(extra_data={"open_id": "-000quizdemoOpenId", "pull_from_url": True})
    post = drive(new_post(), clock)
    assert post.status == "published", post.error_message
    [init] = emu.requests("tiktok", path=INIT)
    assert init["json"]["source_info"]["source"] == "PULL_FROM_URL"
    assert init["json"]["source_info"]["video_url"].endswith(".mp4")
    assert emu.requests("tiktok", method="PUT") == []
    assert len(published_videos(emu)) == 1
    assert emu.create_count("tiktok") == 1


def test_an_unverified_media_domain_falls_back_to_file_upload_and_says_so(emu, clock):
    emu.configure("tiktok", verified_url_prefixes=[])
    TikTokCredentialsFactory(extra_data={"open_id": "-000quizdemoOpenId", "pull_from_url": True})
    post = drive(new_post(), clock)
    assert post.status == "published", post.error_message
    assert "not verified" in post.notice
    sources = [r["json"]["source_info"]["source"] for r in emu.requests("tiktok", path=INIT)]
    assert sources == ["PULL_FROM_URL", "FILE_UPLOAD"]  # the first was refused, nothing made
    assert len(published_videos(emu)) == 1


def test_a_chunked_upload_cut_in_the_middle_resumes_from_what_tiktok_has(
    emu, credential, clock, settings
):
    chunk = 8 * KIB
    emu.configure("tiktok", min_chunk_size=chunk)
    settings.TIKTOK_UPLOAD_CHUNK_BYTES = chunk
    settings.TIKTOK_UPLOAD_BYTES_PER_STEP = chunk  # one chunk a step, so a fault fits between
    post = step(new_post(), clock)  # init
    total = post.platform_state["chunks"][2]
    assert total >= 3
    post = step(post, clock)  # part 1
    assert post.platform_state["next_chunk"] == 1
    assert "part 2 of" in post.platform_step

    emu.fault("tiktok", "cut_upload")
    post = step(post, clock)  # part 2 is cut off
    assert post.status == "pending"
    assert post.failure_kind == "transient"
    assert "resumes from what TikTok received" in post.error_message
    assert post.platform_state["resync"] is True

    post = drive(post, clock)
    assert post.status == "published", post.error_message
    [publish] = emu.native("tiktok").publishes.values()
    assert len(publish["data"]) == publish["video_size"]
    assert len(emu.requests("tiktok", method="PUT")) == total + 1  # one chunk sent twice
    assert len(published_videos(emu)) == 1
    assert emu.create_count("tiktok") == 1


def test_failed_status_maps_its_reason_to_a_clear_permanent_error(
    emu, credential, clock, monkeypatch
):
    small = MediaSpec("video", 216, 384, "mp4", 4 * 1024**3, max_duration=2.0)
    monkeypatch.setattr(PLATFORMS["tiktok"], "media_requirements", (small,))
    post = drive(new_post(), clock)
    assert post.status == "failed"
    assert post.failure_kind == "permanent"
    assert "360-4096 pixels" in post.error_message
    assert "picture_size_check_failed" in post.error_message
    assert post.platform_state == {}
    assert published_videos(emu) == []


def test_a_video_longer_than_the_account_may_post_fails_before_any_init(emu, credential, clock):
    emu.configure("tiktok", max_video_post_duration_sec=1)
    post = drive(new_post(), clock)
    assert post.status == "failed"
    assert "at most 1 s" in post.error_message
    assert emu.create_count("tiktok") == 0


def test_a_disallowed_privacy_wish_uses_an_allowed_level_and_says_so(emu, clock):
    emu.configure(
        "tiktok",
        privacy_level_options=["FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
    )
    TikTokCredentialsFactory()
    post = drive(new_post(), clock)
    assert post.status == "published", post.error_message
    [init] = emu.requests("tiktok", path=INIT)
    assert init["json"]["post_info"]["privacy_level"] == "FOLLOWER_OF_CREATOR"
    assert "does not offer PUBLIC_TO_EVERYONE" in post.notice


def test_an_unaudited_app_on_a_public_account_fails_with_what_to_do(emu, clock):
    emu.configure("tiktok", privacy_level_options=["PUBLIC_TO_EVERYONE"])
    TikTokCredentialsFactory(extra_data={"open_id": "-000quizdemoOpenId", "app_audited": False})
    post = drive(new_post(), clock)
    assert post.status == "failed"
    assert post.failure_kind == "permanent"
    assert "Make the TikTok account private" in post.error_message
    assert emu.create_count("tiktok") == 0


def test_server_errors_on_init_and_on_status_are_retried_without_a_second_post(
    emu, credential, clock
):
    emu.fault("tiktok", "status", status=500, on="create")
    post = step(new_post(), clock)
    assert post.failure_kind == "transient"
    assert "internal_error" in post.error_message
    emu.fault("tiktok", "status", status=503, path=STATUS)
    post = drive(post, clock)
    assert post.status == "published", post.error_message
    assert "transient" in outcomes(post)[1:]
    assert len(published_videos(emu)) == 1


def test_429_waits_for_the_minute_window(emu, credential, clock):
    emu.fault("tiktok", "rate_limit", on="create")
    post = step(new_post(), clock)
    assert post.failure_kind == "rate_limited"
    assert post.next_attempt_at is not None
    assert post.next_attempt_at >= timezone.now() + timedelta(seconds=60)
    post = drive(post, clock)
    assert post.status == "published", post.error_message


def test_the_status_rate_limit_pauses_the_polling_without_using_a_retry(emu, clock):
    emu.configure("tiktok", status_per_minute=1)
    TikTokCredentialsFactory(extra_data={"open_id": "-000quizdemoOpenId", "pull_from_url": True})
    post = step(step(new_post(), clock), clock)  # init, the minute's one status read
    post = step(post, clock)  # the next read is refused: 429
    assert post.status == "pending"
    assert post.retry_count == 0
    assert post.next_attempt_at is not None
    assert post.next_attempt_at >= timezone.now() + timedelta(seconds=59)
    post = drive(post, clock)
    assert post.status == "published", post.error_message
    assert post.retry_count == 0
    assert emu.create_count("tiktok") == 1


def test_spam_answers_are_rate_limited_for_hours(emu, credential, clock):
    emu.fault("tiktok", "quota")
    post = step(new_post(), clock)
    assert post.status == "pending"
    assert post.failure_kind == "rate_limited"
    assert "daily limit of posts" in post.error_message
    assert post.next_attempt_at is not None
    assert post.next_attempt_at >= timezone.now() + timedelta(hours=6)
    assert published_videos(emu) == []


def test_the_daily_cap_in_creator_info_stops_the_post_before_any_init(emu, credential, clock):
    emu.configure("tiktok", daily_post_cap=1)
    assert drive(new_post(), clock).status == "published"
    second = step(new_post(), clock)
    assert second.status == "pending"
    assert second.failure_kind == "rate_limited"
    assert "HTTP 200, spam_risk_too_many_posts" in second.error_message
    assert emu.create_count("tiktok") == 1  # creator info refused it: no init was sent


def test_spam_result_carries_the_spam_flag(emu, credential):
    emu.fault("tiktok", "quota")
    post = new_post()
    media = post_media_resolve(task=post.task, platform=PLATFORMS["tiktok"])
    result = TIKTOK.publish(post, credential, media)
    assert result.outcome == "rate_limited"
    assert result.spam is True


def test_a_lost_init_answer_is_reconciled_and_never_posts_twice(emu, credential, clock):
    # TikTok makes the publish, then answers too late: its upload URL never reaches us.
    emu.fault("tiktok", "timeout", seconds=4, process="after", on="create")
    post = step(new_post(), clock)
    emu.release()
    assert post.failure_kind == "unknown"
    assert post.needs_reconcile
    assert post.platform_state["init_sent"] is True
    post = drive(post, clock)
    assert post.status == "published", post.error_message
    kinds = list(
        PublishAttempt.objects.filter(post=post).order_by("pk").values_list("kind", flat=True)
    )
    assert kinds[:3] == ["publish", "reconcile", "publish"]
    assert len(published_videos(emu)) == 1  # the lost one never got its video


def test_a_status_read_that_times_out_is_read_again(emu, credential, clock):
    post = step(step(new_post(), clock), clock)  # init, upload
    emu.fault("tiktok", "timeout", seconds=4, process="after", path=STATUS)
    post = step(post, clock)
    emu.release()
    assert post.failure_kind == "transient"
    assert "publish_id" in post.platform_state
    post = drive(post, clock)
    assert post.status == "published", post.error_message
    assert emu.create_count("tiktok") == 1


def test_junk_status_answers_keep_the_publish(emu, credential, clock):
    post = step(step(new_post(), clock), clock)
    emu.fault("tiktok", "malformed", path=STATUS)
    post = step(post, clock)
    assert post.status == "pending"
    assert post.failure_kind == "transient"
    post = drive(post, clock)
    assert post.status == "published"
    assert emu.create_count("tiktok") == 1


def test_an_expired_token_is_refreshed_once_and_the_rotated_refresh_token_stored(emu, clock):
    credential = TikTokCredentialsFactory(refresh_token="rft.SEEDrefresh-token-0123456789")
    assert oauth.credential_refresh_token(credential=credential).ok  # tokens the emulator issued
    credential.refresh_from_db()
    issued_refresh = credential.refresh_token
    assert issued_refresh != "rft.SEEDrefresh-token-0123456789"
    store = emu.native("tiktok")
    assert "rft.SEEDrefresh-token-0123456789" in store.retired
    emu.configure("tiktok", advance_seconds=3 * 3600)  # TikTok's clock: the token expired

    post = drive(new_post(), clock)
    assert post.status == "published", post.error_message
    credential.refresh_from_db()
    assert credential.refresh_token not in (issued_refresh, "")  # rotated again, and stored
    assert issued_refresh in store.retired
    assert credential.refresh_token in store.refresh
    assert credential.token_expires_at == START + timedelta(seconds=7200)
    assert len(emu.requests("tiktok", path="/oauth/token/")) == 2
    assert len(published_videos(emu)) == 1


def test_a_token_due_soon_is_refreshed_before_the_post_uses_it(emu, clock):
    credential = TikTokCredentialsFactory(token_expires_at=START + timedelta(minutes=2))
    post = step(new_post(), clock)
    assert post.status == "pending"
    credential.refresh_from_db()
    assert credential.token_expires_at == START + timedelta(seconds=7200)
    assert len(emu.requests("tiktok", path="/oauth/token/")) == 1


def test_a_refused_refresh_fails_the_post_as_auth_and_flags_the_credential(emu, credential, clock):
    emu.fault("tiktok", "expired_token", path=CREATOR)
    emu.fault("tiktok", "expired_token", path="/oauth/token/")
    post = drive(new_post(), clock)
    assert post.status == "failed"
    assert post.failure_kind == "auth"
    assert "invalid_grant" in post.error_message
    credential.refresh_from_db()
    assert credential.needs_reconnect
    assert emu.create_count("tiktok") == 0


def test_an_unaudited_app_posts_privately_and_says_so(emu, credential, clock):
    emu.configure("tiktok", audited=False)
    post = drive(new_post(), clock)
    assert post.status == "published", post.error_message
    levels = [r["json"]["post_info"]["privacy_level"] for r in emu.requests("tiktok", path=INIT)]
    assert levels == ["PUBLIC_TO_EVERYONE", "SELF_ONLY"]  # refused, then private
    assert "not audited" in post.notice and "private" in post.notice
    [publish] = emu.native("tiktok").publishes.values()
    assert post.post_id == publish["publish_id"]  # private videos get no public id
    assert post.post_url == "https://www.tiktok.com/@quiz_demo"
    credential.refresh_from_db()
    assert credential.notice == UNAUDITED_NOTICE

    # The next post goes SELF_ONLY at once when the credential says the app is unaudited.
    credential.extra_data = {"open_id": "-000quizdemoOpenId", "app_audited": False}
    credential.save()
    second = drive(new_post(), clock)
    assert second.status == "published"
    assert len(emu.requests("tiktok", path=INIT)) == 3


def test_a_worker_dying_after_init_is_reconciled_by_publish_id(emu, clock, settings):
    TikTokCredentialsFactory(extra_data={"open_id": "-000quizdemoOpenId", "pull_from_url": True})
    post = step(new_post(), clock)  # init: the publish id is stored
    publish_id = post.platform_state["publish_id"]
    clock.move_to(post.next_attempt_at)
    assert delivery.post_claim(post.pk) is not None  # a worker takes it, then dies
    clock.shift(timedelta(seconds=settings.SOCIAL_MEDIA_LEASE_SECONDS + 1))

    post = drive(post, clock)
    assert post.status == "published", post.error_message
    kinds = list(
        PublishAttempt.objects.filter(post=post).order_by("pk").values_list("kind", flat=True)
    )
    assert "reconcile" in kinds
    status_asks = [r["json"]["publish_id"] for r in emu.requests("tiktok", path=STATUS)]
    assert set(status_asks) == {publish_id}
    assert emu.create_count("tiktok") == 1
    assert len(published_videos(emu)) == 1


def test_a_publish_stuck_processing_fails_at_the_deadline(emu, credential, clock, settings):
    settings.SOCIAL_MEDIA_STEP_DEADLINE_SECONDS = 300
    emu.fault("tiktok", "stuck", on="create")
    post = drive(new_post(), clock, limit=40)
    assert post.status == "failed"
    assert "waiting deadline" in post.error_message
    assert post.platform_state["publish_id"]  # kept: a retry looks at the same publish
    assert emu.create_count("tiktok") == 1


def test_connection_test_reads_creator_info(emu, credential):
    with override("en"):
        verdict, rejected = TIKTOK.test_connection(credential)
    assert verdict.ok
    assert "@quiz_demo" in verdict.message and "PUBLIC_TO_EVERYONE" in verdict.message
    assert rejected is None
    emu.fault("tiktok", "expired_token")
    with override("en"):
        verdict, rejected = TIKTOK.test_connection(credential)
    assert not verdict.ok
    assert rejected and "access_token_invalid" in rejected


def test_read_metrics_after_publishing(emu, credential, clock):
    post = drive(new_post(), clock)
    private = SocialMediaPost(pk=10**6, post_id="v_pub_file_upload~v2-1.1")
    batch = TIKTOK.read_metrics([post, private], credential)
    assert batch.outcome == "success"
    reading = batch.readings[post.pk]
    assert reading.values == {"views": 11, "engagements": 2, "comments": 0, "shares": 0}
    assert reading.raw["view_count"] == 11
    assert private.pk not in batch.readings

    emu.fault("tiktok", "expired_token")
    assert TIKTOK.read_metrics([post], credential).outcome == "auth"
    emu.fault("tiktok", "rate_limit")
    limited = TIKTOK.read_metrics([post], credential)
    assert limited.outcome == "rate_limited"
    assert limited.retry_after == 60


@pytest.mark.django_db(transaction=True)
def test_two_workers_refreshing_at_once_spend_the_rotating_token_once(emu):
    credential = TikTokCredentialsFactory(refresh_token="rft.SEEDrefresh-token-0123456789")
    stale = credential.access_token
    results = []

    def worker() -> None:
        copy = type(credential).objects.get(pk=credential.pk)
        try:
            results.append(oauth.credential_refresh_token(credential=copy, stale_token=stale))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [r.ok for r in results] == [True, True]
    assert len(emu.requests("tiktok", path="/oauth/token/")) == 1  # the second saw it done
    credential.refresh_from_db()
    assert not credential.needs_reconnect
    assert credential.refresh_token in emu.native("tiktok").refresh  # the live one is stored
