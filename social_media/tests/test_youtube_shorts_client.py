"""YouTube Data API v3 and Google's token endpoint at the HTTP boundary: error mapping,
token refresh, the resumable upload's chunks and resume, the metadata rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
import time_machine
from responses import matchers

from quiz_backend.redaction import redact
from social_media.content import PostContent
from social_media.http import ApiError
from social_media.platforms.base import Outcome
from social_media.platforms.youtube_shorts import oauth, quota, upload
from social_media.platforms.youtube_shorts.client import YouTubeClient, YouTubeError
from social_media.platforms.youtube_shorts.metadata import video_metadata
from social_media.platforms.youtube_shorts.upload import UploadClient, send_file
from social_media.tests.contract import reset_after_sending
from social_media.tests.youtube_shorts_helpers import (
    ACCESS,
    API,
    REFRESH,
    TOKEN_URL,
    UPLOAD,
    google_error,
    use_google,
    youtube_credential,
)
from webhooks.models import SocialMediaCredentials

SESSION = f"{UPLOAD}?uploadType=resumable&part=snippet,status&upload_id=AEnB2UtestSession0123"
CHUNK = 256 * 1024


@pytest.fixture(autouse=True)
def _settings(settings):
    use_google(settings)
    settings.YOUTUBE_UPLOAD_CHUNK_SIZE = CHUNK


# --- error mapping -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason", "outcome"),
    [
        (403, "quotaExceeded", Outcome.RATE_LIMITED),
        (400, "uploadLimitExceeded", Outcome.RATE_LIMITED),
        (403, "rateLimitExceeded", Outcome.RATE_LIMITED),
        (403, "userRateLimitExceeded", Outcome.RATE_LIMITED),
        (401, "authError", Outcome.AUTH),
        (403, "forbidden", Outcome.AUTH),
        (403, "insufficientPermissions", Outcome.AUTH),
        (401, "youtubeSignupRequired", Outcome.PERMANENT),
        (400, "invalidTitle", Outcome.PERMANENT),
        (400, "invalidVideoMetadata", Outcome.PERMANENT),
        (500, "backendError", Outcome.TRANSIENT),
        (503, "backendError", Outcome.TRANSIENT),
        (429, "rateLimitExceeded", Outcome.RATE_LIMITED),
    ],
)
def test_google_reasons_map_to_outcomes(mocked_responses, status, reason, outcome):
    mocked_responses.get(f"{API}/videos", status=status, json=google_error(status, reason, "Why"))

    with pytest.raises(YouTubeError) as caught:
        YouTubeClient(token=ACCESS).list_videos(ids=["abc"])

    assert caught.value.outcome == outcome
    assert caught.value.reason == reason
    assert caught.value.http_status == status
    assert f"HTTP {status}, {reason}: Why" in caught.value.message


def test_quota_exceeded_waits_until_midnight_pacific(mocked_responses):
    mocked_responses.get(f"{API}/videos", status=403, json=google_error(403, "quotaExceeded"))
    # 2026-03-02 09:00 UTC is 01:00 PST: the quota resets in 23 hours.
    with (
        time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False),
        pytest.raises(YouTubeError) as caught,
    ):
        YouTubeClient(token=ACCESS).list_videos(ids=["abc"])

    assert caught.value.retry_after == 23 * 3600


def test_upload_limit_waits_a_day_and_throttling_keeps_retry_after(mocked_responses):
    mocked_responses.get(f"{API}/videos", status=400, json=google_error(400, "uploadLimitExceeded"))
    mocked_responses.get(
        f"{API}/videos",
        status=403,
        json=google_error(403, "rateLimitExceeded", domain="usageLimits"),
        headers={"Retry-After": "7"},
    )
    client = YouTubeClient(token=ACCESS)

    with pytest.raises(YouTubeError) as day:
        client.list_videos(ids=["a"])
    with pytest.raises(YouTubeError) as short:
        client.list_videos(ids=["a"])

    assert day.value.retry_after == 24 * 3600
    assert short.value.retry_after == 7


def test_a_body_that_is_not_googles_envelope_still_maps_by_status(mocked_responses):
    mocked_responses.get(f"{API}/videos", status=502, body="<html>Bad gateway</html>")
    mocked_responses.get(f"{API}/videos", status=401, json={"error": "weird"})

    client = YouTubeClient(token=ACCESS)
    with pytest.raises(YouTubeError) as gateway:
        client.list_videos(ids=["a"])
    with pytest.raises(YouTubeError) as unauthorized:
        client.list_videos(ids=["a"])

    assert gateway.value.outcome == Outcome.TRANSIENT
    assert gateway.value.message == "YouTube: HTTP 502"
    assert unauthorized.value.outcome == Outcome.AUTH


def test_the_token_travels_in_the_header_only_and_is_masked(mocked_responses):
    mocked_responses.get(
        f"{API}/channels",
        json={"items": [{"id": "UCx"}]},
        match=[
            matchers.header_matcher({"Authorization": f"Bearer {ACCESS}"}),
            matchers.query_param_matcher({"mine": "true", "part": "snippet"}),
        ],
    )

    assert YouTubeClient(token=ACCESS).my_channels() == [{"id": "UCx"}]
    assert ACCESS not in mocked_responses.calls[0].request.url
    assert redact(f"token {ACCESS} and {REFRESH}") == "token ya29.*** and 1//***"


def test_session_uris_are_masked_in_any_text():
    assert "AEnB2UtestSession0123" not in redact(f"went to {SESSION}")


# --- token refresh -------------------------------------------------------------------------


def _credential(**fields) -> SocialMediaCredentials:
    return youtube_credential(**fields)


@pytest.mark.django_db
def test_refresh_stores_the_new_token_and_its_expiry(mocked_responses):
    credential = _credential()
    mocked_responses.post(
        TOKEN_URL,
        json={"access_token": "ya29.newAccessToken123456", "expires_in": 3599, "scope": "s"},
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "grant_type": "refresh_token",
                    "refresh_token": REFRESH,
                    "client_id": "client-id.apps.googleusercontent.com",
                    "client_secret": "GOCSPX-testsecret",
                }
            )
        ],
    )
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    with time_machine.travel(start, tick=False):
        result = oauth.credential_refresh_token(credential=credential, stale_token=ACCESS)

    assert result.ok
    credential.refresh_from_db()
    assert credential.access_token == "ya29.newAccessToken123456"
    assert credential.refresh_token == REFRESH  # Google does not rotate it
    assert credential.token_expires_at == start + timedelta(seconds=3599)


@pytest.mark.django_db
def test_a_refused_refresh_flags_the_credential(mocked_responses):
    credential = _credential()
    mocked_responses.post(
        TOKEN_URL,
        status=400,
        json={"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
    )

    result = oauth.credential_refresh_token(credential=credential)

    assert not result.ok and result.rejected
    credential.refresh_from_db()
    assert credential.needs_reconnect
    assert "invalid_grant" in credential.last_error
    assert REFRESH not in credential.last_error


@pytest.mark.django_db
def test_a_refresh_google_could_not_answer_is_not_a_rejection(mocked_responses):
    credential = _credential()
    mocked_responses.post(TOKEN_URL, status=503, json={"error": "internal_failure"})

    result = oauth.credential_refresh_token(credential=credential)

    assert not result.ok and not result.rejected
    credential.refresh_from_db()
    assert not credential.needs_reconnect


@pytest.mark.django_db
def test_a_token_another_worker_refreshed_is_used_without_a_call(mocked_responses):
    credential = _credential(access_token="ya29.alreadyRefreshed0000")

    result = oauth.credential_refresh_token(credential=credential, stale_token=ACCESS)

    assert result.ok and not mocked_responses.calls


@pytest.mark.django_db
def test_refresh_needs_the_client_and_a_refresh_token(settings):
    settings.GOOGLE_CLIENT_SECRET = ""
    assert not oauth.refresh_possible(_credential())
    settings.GOOGLE_CLIENT_SECRET = "GOCSPX-x"
    assert not oauth.refresh_possible(_credential(refresh_token=""))
    assert oauth.refresh_possible(_credential())


@pytest.mark.django_db
def test_the_hourly_job_refreshes_tokens_expiring_before_its_next_run(mocked_responses):
    due = _credential(token_expires_at=datetime.now(UTC) + timedelta(minutes=30))
    _credential(token_expires_at=datetime.now(UTC) + timedelta(hours=3))  # not yet
    _credential(needs_reconnect=True)  # waits for a person
    mocked_responses.post(TOKEN_URL, json={"access_token": "ya29.fresh0000000", "expires_in": 3599})

    counts = oauth.credentials_refresh_expiring()

    assert counts == {"due": 1, "refreshed": 1, "failed": 0}
    due.refresh_from_db()
    assert due.access_token == "ya29.fresh0000000"


# --- quota days ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "reset"),
    [
        # PST (UTC-8) and PDT (UTC-7): the reset follows daylight saving time.
        (datetime(2026, 1, 10, 7, 59, tzinfo=UTC), datetime(2026, 1, 10, 8, 0, tzinfo=UTC)),
        (datetime(2026, 1, 10, 8, 0, tzinfo=UTC), datetime(2026, 1, 11, 8, 0, tzinfo=UTC)),
        (datetime(2026, 7, 10, 12, 0, tzinfo=UTC), datetime(2026, 7, 11, 7, 0, tzinfo=UTC)),
        (datetime(2026, 3, 8, 9, 0, tzinfo=UTC), datetime(2026, 3, 9, 7, 0, tzinfo=UTC)),
    ],
)
def test_the_quota_day_ends_at_midnight_pacific(now, reset):
    assert quota.next_reset(now) == reset
    assert quota.window_start(now) <= now < quota.next_reset(now)


# --- resumable upload ------------------------------------------------------------------------


def _reader(data: bytes):
    return lambda offset, length: data[offset : offset + length]


def _range(last: int) -> dict[str, str]:
    return {"Range": f"bytes=0-{last}"}


def test_session_start_sends_the_metadata_and_sizes(mocked_responses):
    meta = {"snippet": {"title": "t"}, "status": {"privacyStatus": "public"}}
    mocked_responses.post(
        UPLOAD,
        status=200,
        headers={"Location": SESSION},
        match=[
            matchers.query_param_matcher({"uploadType": "resumable", "part": "snippet,status"}),
            matchers.json_params_matcher(meta),
            matchers.header_matcher(
                {"X-Upload-Content-Length": "1000", "X-Upload-Content-Type": "video/mp4"}
            ),
        ],
    )

    uri = UploadClient(token=ACCESS).start_session(
        metadata=meta, total=1000, content_type="video/mp4"
    )

    assert uri == SESSION


@pytest.mark.parametrize("location", ["", "https://evil.example.com/upload?upload_id=x"])
def test_a_session_uri_off_the_upload_host_is_never_used(mocked_responses, location):
    mocked_responses.post(UPLOAD, status=200, headers={"Location": location} if location else {})

    with pytest.raises(YouTubeError) as caught:
        UploadClient(token=ACCESS).start_session(metadata={}, total=10)

    assert caught.value.outcome == Outcome.TRANSIENT
    assert "evil" not in caught.value.message


def test_chunks_are_256_kib_multiples_and_follow_the_servers_range(mocked_responses):
    data = bytes(range(256)) * (3 * CHUNK // 256) + b"tail"
    total = len(data)
    mocked_responses.put(SESSION, status=308, headers=_range(CHUNK - 1))
    mocked_responses.put(SESSION, status=308, headers=_range(2 * CHUNK - 1))
    mocked_responses.put(SESSION, status=308, headers=_range(3 * CHUNK - 1))
    mocked_responses.put(SESSION, status=201, json={"id": "vid123", "status": {}})

    status = send_file(
        UploadClient(token=ACCESS), SESSION, total=total, read=_reader(data), start=0,
        budget_seconds=60,
    )  # fmt: skip

    assert status.video == {"id": "vid123", "status": {}}
    ranges = [call.request.headers["Content-Range"] for call in mocked_responses.calls]
    assert ranges == [
        f"bytes 0-{CHUNK - 1}/{total}",
        f"bytes {CHUNK}-{2 * CHUNK - 1}/{total}",
        f"bytes {2 * CHUNK}-{3 * CHUNK - 1}/{total}",
        f"bytes {3 * CHUNK}-{total - 1}/{total}",
    ]
    assert mocked_responses.calls[3].request.body == b"tail"


def test_a_cut_chunk_is_resumed_from_what_the_server_holds(mocked_responses):
    data = b"x" * (3 * CHUNK)
    total = len(data)
    mocked_responses.put(SESSION, status=308, headers=_range(CHUNK - 1))
    mocked_responses.put(SESSION, body=reset_after_sending())  # the second chunk is cut
    mocked_responses.put(
        SESSION,
        status=308,
        headers=_range(CHUNK + CHUNK // 2 - 1),  # half of it arrived
        match=[matchers.header_matcher({"Content-Range": f"bytes */{total}"})],
    )
    mocked_responses.put(
        SESSION,
        status=308,
        headers=_range(CHUNK + CHUNK // 2 + CHUNK - 1),
        match=[
            matchers.header_matcher(
                {"Content-Range": f"bytes {CHUNK + CHUNK // 2}-{CHUNK * 5 // 2 - 1}/{total}"}
            )
        ],
    )
    mocked_responses.put(SESSION, status=200, json={"id": "vid123"})

    status = send_file(
        UploadClient(token=ACCESS), SESSION, total=total, read=_reader(data), start=0,
        budget_seconds=60,
    )  # fmt: skip

    assert status.video == {"id": "vid123"}
    sent = sum(len(call.request.body or b"") for call in mocked_responses.calls)
    assert sent == total + CHUNK // 2  # only the half of the cut chunk that was lost went again


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 503, "json": google_error(503, "backendError")},
        {"body": requests.Timeout("read timeout")},
    ],
)
def test_a_5xx_or_timeout_on_a_chunk_asks_then_resumes(mocked_responses, failure):
    data = b"y" * (CHUNK + 10)
    mocked_responses.put(SESSION, **failure)
    mocked_responses.put(SESSION, status=308)  # nothing arrived: no Range header
    mocked_responses.put(SESSION, status=308, headers=_range(CHUNK - 1))
    mocked_responses.put(SESSION, status=201, json={"id": "v"})

    status = send_file(
        UploadClient(token=ACCESS), SESSION, total=len(data), read=_reader(data), start=0,
        budget_seconds=60,
    )  # fmt: skip

    assert status.video == {"id": "v"}
    assert mocked_responses.calls[1].request.headers["Content-Range"] == f"bytes */{len(data)}"
    assert mocked_responses.calls[2].request.headers["Content-Range"].startswith("bytes 0-")


def test_a_finished_upload_whose_answer_was_lost_is_found_by_asking(mocked_responses):
    data = b"z" * 100
    mocked_responses.put(SESSION, body=requests.Timeout("read timeout"))
    mocked_responses.put(SESSION, status=201, json={"id": "done1"})  # the replayed answer

    status = send_file(
        UploadClient(token=ACCESS), SESSION, total=100, read=_reader(data), start=0,
        budget_seconds=60,
    )  # fmt: skip

    assert status.video == {"id": "done1"}
    assert len(mocked_responses.calls) == 2


def test_an_expired_session_is_reported_as_gone(mocked_responses):
    mocked_responses.put(SESSION, status=404, json=google_error(404, "notFound"))

    with pytest.raises(YouTubeError) as caught:
        UploadClient(token=ACCESS).query(SESSION, 100)

    assert caught.value.reason == upload.SESSION_GONE
    assert "upload_id" not in caught.value.message


def test_repeated_interruptions_give_up_for_this_call(mocked_responses):
    data = b"q" * 100
    for _ in range(upload.MAX_RESUMES):
        mocked_responses.put(SESSION, status=503, json=google_error(503, "backendError"))
        mocked_responses.put(SESSION, status=308)
    mocked_responses.put(SESSION, status=503, json=google_error(503, "backendError"))

    with pytest.raises(ApiError) as caught:
        send_file(
            UploadClient(token=ACCESS), SESSION, total=100, read=_reader(data), start=0,
            budget_seconds=60,
        )  # fmt: skip

    assert caught.value.outcome == Outcome.TRANSIENT
    assert len(mocked_responses.calls) == 2 * upload.MAX_RESUMES + 1


def test_a_server_that_keeps_nothing_ends_the_call(mocked_responses):
    data = b"n" * (2 * CHUNK)
    for _ in range(upload.MAX_RESUMES + 1):
        mocked_responses.put(SESSION, status=308)  # answered, nothing kept

    with pytest.raises(YouTubeError) as caught:
        send_file(
            UploadClient(token=ACCESS), SESSION, total=len(data), read=_reader(data), start=0,
            budget_seconds=60,
        )  # fmt: skip

    assert caught.value.outcome == Outcome.TRANSIENT
    assert "no progress" in caught.value.message


def test_a_stored_session_off_the_upload_host_is_refused_without_a_call(mocked_responses):
    with pytest.raises(YouTubeError) as caught:
        UploadClient(token=ACCESS).query("https://elsewhere.example.com/u?upload_id=abc", 10)

    assert caught.value.outcome == Outcome.PERMANENT
    assert not mocked_responses.calls


def test_the_chunk_size_setting_is_rounded_to_256_kib(settings):
    settings.YOUTUBE_UPLOAD_CHUNK_SIZE = 3 * CHUNK + 1000
    assert upload.chunk_size() == 3 * CHUNK


# --- metadata --------------------------------------------------------------------------------


def _content(**fields) -> PostContent:
    values = {
        "title": "Python Quiz: what does <b> print?",
        "description": "Question text\n\nhttps://quiz.example.com/task/1\n#python #quiz",
        "alt_text": "",
        "link": "https://quiz.example.com/task/1",
        "hashtags": ["#python", "#quiz", "#python", "#data science"],
    }
    return PostContent(**(values | fields))


def test_metadata_follows_youtubes_rules():
    meta = video_metadata(_content(), privacy_status="unlisted", made_for_kids=True)

    snippet = meta["snippet"]
    assert snippet["title"] == "Python Quiz: what does ‹b› print?"
    assert snippet["description"].endswith("#python #quiz\n\n#Shorts")
    assert snippet["tags"] == ["python", "quiz", "data science"]
    assert meta["status"] == {"privacyStatus": "unlisted", "selfDeclaredMadeForKids": True}


def test_a_long_cyrillic_description_is_cut_to_5000_bytes_keeping_the_link():
    body = "Вопрос " * 1500  # 10,500 characters, twice as many bytes
    link = "https://quiz.example.com/task/1"
    content = _content(title="Т" * 150, description=f"{body}\n\n{link}\n#quiz")

    meta = video_metadata(content, privacy_status="public", made_for_kids=False)

    assert len(meta["snippet"]["title"]) <= 100
    description = meta["snippet"]["description"]
    assert len(description.encode()) <= 5000
    assert description.endswith(f"{link}\n#quiz\n\n#Shorts")
    assert len(description.encode()) > 4900


def test_a_server_holding_every_byte_is_asked_for_the_video(mocked_responses):
    data = b"w" * 100
    mocked_responses.put(SESSION, status=308, headers=_range(99))  # all there, no answer
    mocked_responses.put(
        SESSION,
        status=201,
        json={"id": "late1"},
        match=[matchers.header_matcher({"Content-Range": "bytes */100"})],
    )

    status = send_file(
        UploadClient(token=ACCESS), SESSION, total=100, read=_reader(data), start=0,
        budget_seconds=60,
    )  # fmt: skip

    assert status.video == {"id": "late1"}
