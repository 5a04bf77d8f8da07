"""YouTube Shorts end to end: the real delivery path against the emulator's YouTube Data
API v3 and Google token endpoint (emulator/platforms/youtube.py), over HTTP.

Google's chunk multiple (256 KiB) and the emulator's are both scaled down to 4 KiB and the
chunks to 16 KiB, so the small test video (~35 KB) goes up in three chunks and the part of a
cut chunk that arrived can be seen.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from django.utils import timezone, translation

from emulator.testing import InProcessEmulator
from social_media import delivery
from social_media.models import PublishAttempt, QuotaUsage
from social_media.platforms.registry import PLATFORMS
from social_media.platforms.youtube_shorts import quota, upload
from social_media.platforms.youtube_shorts.platform import DEMO_CHANNEL
from social_media.tests.contract import SITE_URL, new_post
from tasks.models import SocialMediaPost
from tests.factories import WebhookFactory
from webhooks.models import SocialMediaCredentials

# The emulator serves on 127.0.0.1: the SSRF guard would refuse the product's calls to it.
pytestmark = [pytest.mark.django_db, pytest.mark.allow_private_urls]

GRANULARITY = 4 * 1024
CHUNK = 4 * GRANULARITY
REFRESH = "1//0gEmulatorRefreshToken0123456789"
CLIENT_ID = "quiz-tests.apps.googleusercontent.com"
RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


@pytest.fixture(scope="module")
def server() -> Iterator[InProcessEmulator]:
    with InProcessEmulator() as emulator:  # one server for the module: stopping one costs 0.5 s
        yield emulator


@pytest.fixture
def emu(server, settings, monkeypatch) -> InProcessEmulator:
    server.reset()
    server.configure("youtube", defaults=True, chunk_granularity=GRANULARITY)
    monkeypatch.setattr(upload, "CHUNK_GRANULARITY", GRANULARITY)
    settings.YOUTUBE_UPLOAD_CHUNK_SIZE = CHUNK
    settings.YOUTUBE_API_BASE_URL = f"{server.url}/youtube/v3"
    settings.YOUTUBE_UPLOAD_URL = f"{server.url}/upload/youtube/v3/videos"
    settings.YOUTUBE_SHORT_URL = f"{server.url}/youtube/shorts/{{id}}"
    settings.GOOGLE_OAUTH_TOKEN_URL = server.google_token_url
    settings.GOOGLE_CLIENT_ID = CLIENT_ID
    settings.GOOGLE_CLIENT_SECRET = "GOCSPX-emulator"
    settings.SITE_URL = SITE_URL
    settings.SOCIAL_MEDIA_HTTP_TIMEOUT = 2
    return server


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def emulator_token(emu: InProcessEmulator, client_id: str = CLIENT_ID) -> str:
    """An access token the emulator issued (it expires like Google's, after 3599 s)."""
    answer = requests.post(
        emu.google_token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": REFRESH,
            "client_id": client_id,
            "client_secret": "s",
        },
        timeout=5,
    )
    return str(answer.json()["access_token"])


@pytest.fixture
def credential(emu) -> SocialMediaCredentials:
    return SocialMediaCredentials.objects.create(
        platform="youtube_shorts",
        access_token=emulator_token(emu),
        refresh_token=REFRESH,
        token_expires_at=timezone.now() + timedelta(seconds=3599),
        extra_data={"channel_id": DEMO_CHANNEL, "privacy_status": "public"},
    )


def make_due(post: SocialMediaPost) -> None:
    """The wait the platform asked for is over (the relay would send the post now)."""
    SocialMediaPost.objects.filter(pk=post.pk).update(next_attempt_at=None)


def run(post: SocialMediaPost, *, limit: int = 10) -> SocialMediaPost:
    """Worker runs until the post is no longer pending (each wait made due at once)."""
    for _ in range(limit):
        make_due(post)
        result = delivery.post_publish(post_id=post.pk)
        assert result is not None, "the post was not claimable"
        post = result
        if post.status != "pending":
            return post
    return post


def chunk_ranges(emu: InProcessEmulator) -> list[tuple[int, int]]:
    """(first, last) byte of every chunk sent, in order (status queries left out)."""
    ranges = []
    for record in emu.requests("youtube", method="PUT"):
        match = RANGE.match(record["headers"].get("content-range", ""))
        if match:
            ranges.append((int(match.group(1)), int(match.group(2))))
    return ranges


def token_calls(emu: InProcessEmulator) -> int:
    return len(emu.requests("youtube", method="POST", path="/google/oauth2/token"))


def videos(emu: InProcessEmulator) -> list[dict]:
    store = emu.native("youtube")
    with emu.state.lock:
        return [dict(video) for video in store.videos.values()]


# --- the happy path -------------------------------------------------------------------------


def test_a_short_is_uploaded_in_chunks_and_published(emu, credential):
    post = new_post("youtube_shorts", question="What does len('abc') return?", language="en")

    first = run(post, limit=1)
    assert first.status == "pending"  # waiting: the upload session is open
    assert first.platform_step
    assert "upload_id" not in str(first.platform_state)  # stored encrypted
    post = run(first)

    assert post.status == "published"
    [video] = videos(emu)
    assert post.post_id == video["id"]
    assert post.post_url == f"{emu.url}/youtube/shorts/{video['id']}"
    assert video["emulator"]["short"] is True
    assert video["status"]["privacyStatus"] == "public"
    assert "#Shorts" in video["snippet"]["description"]
    assert f"{SITE_URL}/task/{post.task_id}" in video["snippet"]["description"]
    assert emu.create_count("youtube") == 1
    ranges = chunk_ranges(emu)
    assert len(ranges) >= 3
    assert all(last - first + 1 == CHUNK for first, last in ranges[:-1])
    assert post.platform_state == {}
    outcomes = list(
        PublishAttempt.objects.filter(post=post).order_by("pk").values_list("outcome", flat=True)
    )
    assert outcomes[0] == "waiting" and outcomes[-1] == "success"
    assert QuotaUsage.objects.get(credential=credential).used == 1


def test_the_admin_reports_todays_uploads(emu, credential):
    run(new_post("youtube_shorts"))

    assert PLATFORMS["youtube_shorts"].quota_today(credential) == (1, 100)


# --- interruptions --------------------------------------------------------------------------


def test_an_upload_cut_in_the_middle_resumes_where_google_stands(emu, credential):
    post = run(new_post("youtube_shorts"), limit=1)  # the session is open
    emu.fault("youtube", "cut_upload")  # the first chunk: half of it arrives, then the cut

    post = run(post)

    assert post.status == "published"
    assert emu.create_count("youtube") == 1 and len(videos(emu)) == 1
    ranges = chunk_ranges(emu)
    starts = [first for first, _last in ranges]
    assert starts.count(0) == 1  # the first chunk was not sent again from byte 0
    total = videos(emu)[0]["emulator"]["size"]
    sent = sum(last - first + 1 for first, last in ranges)
    assert sent < total + CHUNK  # only what the cut lost went twice


def test_5xx_answers_during_the_upload_are_retried_and_the_upload_resumes(emu, credential):
    post = run(new_post("youtube_shorts"), limit=1)
    # The next two upload requests (the status query of each try) answer 503.
    emu.fault("youtube", "status", status=503, method="PUT", count=2)

    post = run(post)

    assert post.status == "published"
    assert post.retry_count == 2
    assert len(videos(emu)) == 1
    assert [first for first, _last in chunk_ranges(emu)] == [0, CHUNK, 2 * CHUNK]


def test_a_session_start_whose_answer_never_comes_costs_no_duplicate(emu, credential):
    # Google opens the session, then the answer sits longer than the client waits.
    emu.fault("youtube", "timeout", seconds=5, process="before", on="create")

    post = run(new_post("youtube_shorts"), limit=1)
    emu.release()
    assert post.status == "pending" and post.failure_kind == "transient"
    assert post.needs_reconcile is False  # a session holds no video until its bytes come
    post = run(post)

    assert post.status == "published"
    assert len(videos(emu)) == 1
    with emu.state.lock:
        assert len(emu.native("youtube").sessions) == 2  # the first one stays empty
    assert QuotaUsage.objects.get(credential=credential).used == 2  # Google counted both


def test_a_429_on_the_session_start_waits_and_then_publishes(emu, credential):
    emu.fault("youtube", "rate_limit", status=429, retry_after=7, on="create")

    post = run(new_post("youtube_shorts"), limit=1)
    assert post.status == "pending"
    assert post.failure_kind == "rate_limited"
    assert post.next_attempt_at is not None
    post = run(post)

    assert post.status == "published"
    assert len(videos(emu)) == 1


def test_an_expired_session_is_replaced_by_a_new_one(emu, credential):
    post = run(new_post("youtube_shorts"), limit=1)
    emu.configure("youtube", advance_seconds=8 * 24 * 3600)  # sessions and tokens expired

    post = run(post)

    assert post.status == "published"
    assert len(videos(emu)) == 1
    with emu.state.lock:
        assert len(emu.native("youtube").sessions) == 2  # a second session: one more quota call
    assert QuotaUsage.objects.get(credential=credential).used == 2


# --- tokens ---------------------------------------------------------------------------------


def test_a_token_about_to_expire_is_refreshed_before_the_upload(emu, credential):
    SocialMediaCredentials.objects.filter(pk=credential.pk).update(
        token_expires_at=timezone.now() + timedelta(seconds=30)
    )
    old, calls = credential.access_token, token_calls(emu)

    post = run(new_post("youtube_shorts"))

    credential.refresh_from_db()
    assert post.status == "published"
    assert credential.access_token != old
    assert credential.token_expires_at > timezone.now() + timedelta(minutes=55)
    assert token_calls(emu) == calls + 1


def test_a_token_google_refuses_is_refreshed_once_and_the_call_repeated(emu, credential):
    # Google's clock says the token expired although ours does not (revoked, clock skew).
    emu.configure("youtube", advance_seconds=3600)
    calls = token_calls(emu)

    post = run(new_post("youtube_shorts"))

    assert post.status == "published"
    assert len(videos(emu)) == 1
    assert token_calls(emu) == calls + 1
    starts = emu.requests("youtube", method="POST", path="/upload/youtube/v3/videos")
    assert [r["headers"]["authorization"] != starts[0]["headers"]["authorization"]
            for r in starts] == [False, True]  # fmt: skip


def test_a_refused_refresh_fails_the_post_and_flags_the_credential(emu, credential):
    emu.configure("youtube", revoked_refresh_tokens=[REFRESH])
    SocialMediaCredentials.objects.filter(pk=credential.pk).update(
        token_expires_at=timezone.now() - timedelta(minutes=1)
    )

    post = run(new_post("youtube_shorts"))

    assert post.status == "failed"
    assert post.failure_kind == "auth"
    credential.refresh_from_db()
    assert credential.needs_reconnect
    assert "invalid_grant" in credential.last_error
    assert REFRESH not in credential.last_error + post.error_message
    assert videos(emu) == []


# --- quota ----------------------------------------------------------------------------------


def test_quota_exceeded_waits_until_midnight_pacific(emu, credential):
    emu.configure("youtube", upload_quota=0)

    post = run(new_post("youtube_shorts"), limit=1)

    assert post.status == "pending"
    assert post.failure_kind == "rate_limited"
    reset = quota.next_reset()
    assert post.next_attempt_at is not None
    assert post.next_attempt_at >= reset - timedelta(seconds=5)
    assert "quota" in post.error_message.lower()
    # Google said the day is used up: the next post does not even ask.
    assert QuotaUsage.objects.get(credential=credential).used == 100
    second = run(new_post("youtube_shorts", question="Another one?"), limit=1)
    assert second.failure_kind == "rate_limited"
    assert emu.create_count("youtube") == 1


# --- unverified projects ----------------------------------------------------------------------


def test_an_unverified_project_is_told_on_the_post_and_the_credential(emu, credential):
    emu.configure("youtube", verified=False)

    post = run(new_post("youtube_shorts"))

    assert post.status == "published"
    assert videos(emu)[0]["status"]["privacyStatus"] == "private"
    assert "private" in post.notice and "audit" in post.notice
    credential.refresh_from_db()
    assert "private" in credential.notice


# --- a worker that dies -----------------------------------------------------------------------


def _die_holding(post: SocialMediaPost) -> None:
    """A worker claims the post and dies: its lease runs out."""
    make_due(post)
    assert delivery.post_claim(post.pk) is not None
    SocialMediaPost.objects.filter(pk=post.pk).update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )


def _session_uri(post: SocialMediaPost) -> str:
    from quiz_backend.encryption import decrypt

    post.refresh_from_db()
    return decrypt(post.platform_state["session"])


def test_a_worker_dying_mid_upload_is_resumed_without_resending(emu, credential):
    post = run(new_post("youtube_shorts"), limit=1)
    session, total = _session_uri(post), post.platform_state["total"]
    _die_holding(post)
    # What the dead worker had sent: the first two chunks.
    data = bytes(2 * CHUNK)
    sent = requests.put(
        session,
        data=data,
        headers={"Content-Range": f"bytes 0-{2 * CHUNK - 1}/{total}"},
        timeout=5,
    )
    assert sent.status_code == 308

    taken = delivery.post_publish(post_id=post.pk)  # takes over the abandoned post

    assert taken is not None and taken.status == "published"
    assert len(videos(emu)) == 1
    starts = [first for first, _last in chunk_ranges(emu)]
    assert starts.count(0) == 1  # the dead worker's; the resume began at 2 × CHUNK
    assert 2 * CHUNK in starts
    kinds = list(PublishAttempt.objects.filter(post=taken).values_list("kind", flat=True))
    assert "reconcile" in kinds


def test_a_worker_dying_after_the_last_chunk_finds_the_video(emu, credential):
    post = run(new_post("youtube_shorts"), limit=1)
    session, total = _session_uri(post), post.platform_state["total"]
    _die_holding(post)
    name = post.platform_state["video"]
    from django.core.files.storage import default_storage

    with default_storage.open(name, "rb") as handle:
        whole = handle.read()
    done = requests.put(
        session, data=whole, headers={"Content-Range": f"bytes 0-{total - 1}/{total}"}, timeout=5
    )
    assert done.status_code == 201

    taken = delivery.post_publish(post_id=post.pk)

    assert taken is not None and taken.status == "published"
    assert taken.post_id == done.json()["id"]
    assert len(videos(emu)) == 1 and emu.create_count("youtube") == 1


# --- the connection test and metrics --------------------------------------------------------


def test_the_connection_test_checks_the_channel(emu, credential):
    platform = PLATFORMS["youtube_shorts"]

    tested = platform.test_connection(credential)
    assert tested is not None
    verdict, rejected = tested
    assert verdict.ok and rejected is None
    assert "Quiz demo channel" in verdict.message

    credential.extra_data = {"channel_id": "UC" + "x" * 22, "privacy_status": "public"}
    tested = platform.test_connection(credential)
    assert tested is not None
    verdict, rejected = tested
    assert not verdict.ok and rejected is None
    assert DEMO_CHANNEL in verdict.message


def test_metrics_are_read_in_one_call_for_the_channels_shorts(emu, credential):
    posts = [run(new_post("youtube_shorts", question=f"Q{n}?")) for n in range(2)]
    calls = len(emu.requests("youtube", method="GET", path="/youtube/v3/videos"))

    batch = PLATFORMS["youtube_shorts"].read_metrics(posts, credential)

    assert batch is not None and batch.outcome == "success"
    assert set(batch.readings) == {p.pk for p in posts}
    reading = batch.readings[posts[0].pk]
    assert set(reading.values) == {"views", "engagements", "comments"}
    assert isinstance(reading.raw["viewCount"], str)
    assert len(emu.requests("youtube", method="GET", path="/youtube/v3/videos")) == calls + 1


# --- the Make.com route ---------------------------------------------------------------------


def test_without_a_credential_the_make_route_still_serves_youtube(emu):
    WebhookFactory(url=emu.hook_url("make"), target_platforms=["youtube_shorts"])

    post = run(new_post("youtube_shorts"))

    assert post.status == "processing"  # the scenario took it; its callback will tell
    assert post.route == "webhook"
    assert videos(emu) == []


# --- a lost session, junk answers, secrets ----------------------------------------------------


def test_a_session_that_cannot_be_read_is_looked_for_among_the_uploads(emu, credential):
    post = run(new_post("youtube_shorts"), limit=1)
    session, total = _session_uri(post), post.platform_state["total"]
    _die_holding(post)
    from django.core.files.storage import default_storage

    with default_storage.open(post.platform_state["video"], "rb") as handle:
        done = requests.put(
            session,
            data=handle.read(),
            headers={"Content-Range": f"bytes 0-{total - 1}/{total}"},
            timeout=5,
        )
    assert done.status_code == 201
    # The stored session can no longer be decrypted (its key was rotated away).
    SocialMediaPost.objects.filter(pk=post.pk).update(
        platform_state={**post.platform_state, "session": "enc:unreadable"}
    )

    taken = delivery.post_publish(post_id=post.pk)

    assert taken is not None and taken.status == "published"
    assert taken.post_id == done.json()["id"]
    assert len(videos(emu)) == 1
    assert emu.requests("youtube", method="GET", path="/youtube/v3/playlistItems")


def test_a_junk_answer_during_the_upload_is_asked_about_and_resumed(emu, credential):
    post = run(new_post("youtube_shorts"), limit=1)
    emu.fault("youtube", "malformed", method="PUT")  # 200 with an HTML page, nothing taken

    post = run(post)

    assert post.status == "published"
    assert len(videos(emu)) == 1


def test_the_session_uri_never_reaches_logs_messages_or_attempts(emu, credential, caplog):
    caplog.set_level("DEBUG")
    post = run(new_post("youtube_shorts"), limit=1)
    upload_id = _session_uri(post).split("upload_id=")[1].split("&")[0]
    emu.fault("youtube", "cut_upload")

    post = run(post)

    assert post.status == "published"
    assert upload_id not in caplog.text
    texts = PublishAttempt.objects.filter(post=post).values_list(
        "error_message", "response_excerpt"
    )
    assert all(upload_id not in text for pair in texts for text in pair)
    assert upload_id not in str(post.platform_state) + post.error_message + post.platform_step


def test_the_credential_page_shows_todays_uploads(emu, credential, admin_client):
    run(new_post("youtube_shorts"))

    page = admin_client.get(
        f"/admin/webhooks/socialmediacredentials/{credential.pk}/change/",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert page.status_code == 200
    assert "1 of 100" in page.content.decode()


def test_a_video_rendered_again_mid_upload_starts_over_unless_the_old_one_finished(emu, credential):
    post = run(new_post("youtube_shorts"), limit=1)
    state = post.platform_state
    # The stored render changed (another brand, a new template): another name and size.
    SocialMediaPost.objects.filter(pk=post.pk).update(
        platform_state={**state, "video": "renders/old.mp4", "total": state["total"] + 1}
    )

    post = run(post)

    assert post.status == "published"
    assert len(videos(emu)) == 1
    with emu.state.lock:
        assert len(emu.native("youtube").sessions) == 2  # the old one was asked, then left


def test_the_quota_fault_and_the_channels_own_upload_cap_wait(emu, credential):
    emu.fault("youtube", "quota")  # videos.insert answers 403 quotaExceeded once

    post = run(new_post("youtube_shorts"), limit=1)

    assert post.failure_kind == "rate_limited"
    assert post.next_attempt_at is not None
    assert post.next_attempt_at >= quota.next_reset() - timedelta(seconds=5)
    # The channel's own cap (uploadLimitExceeded): try again in 24 hours.
    QuotaUsage.objects.all().delete()
    emu.configure("youtube", channel_upload_limit=1)
    emu.native("youtube").uploads.append(emu.native("youtube").now())
    capped = run(new_post("youtube_shorts", question="Capped?"), limit=1)
    assert capped.failure_kind == "rate_limited"
    assert capped.next_attempt_at is not None
    assert capped.next_attempt_at >= timezone.now() + timedelta(hours=23, minutes=59)
    assert videos(emu) == []


def test_an_unreadable_session_found_nowhere_starts_a_new_upload(emu, credential):
    post = run(new_post("youtube_shorts"), limit=1)
    SocialMediaPost.objects.filter(pk=post.pk).update(
        platform_state={**post.platform_state, "session": "enc:unreadable"}
    )

    post = run(post)

    assert post.status == "published"
    assert len(videos(emu)) == 1
    assert emu.requests("youtube", method="GET", path="/youtube/v3/playlistItems")
