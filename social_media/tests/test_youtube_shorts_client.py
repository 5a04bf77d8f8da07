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
from webhooks.models import SocialMediaCredentials

API = "https://www.googleapis.com/youtube/v3"
UPLOAD = "https://www.googleapis.com/upload/youtube/v3/videos"
TOKEN_URL = "https://oauth2.googleapis.com/token"
ACCESS = "ya29.a0AfH6SMBtestAccessToken0123456789"
REFRESH = "1//0gTestRefreshToken0123456789"
SESSION = f"{UPLOAD}?uploadType=resumable&part=snippet,status&upload_id=AEnB2UtestSession0123"
CHUNK = 256 * 1024


def google_error(status: int, reason: str, message: str = "m", domain: str = "youtube.video"):
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
        }
    }


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.YOUTUBE_API_BASE_URL = API
    settings.YOUTUBE_UPLOAD_URL = UPLOAD
    settings.GOOGLE_OAUTH_TOKEN_URL = TOKEN_URL
    settings.GOOGLE_CLIENT_ID = "client-id.apps.googleusercontent.com"
    settings.GOOGLE_CLIENT_SECRET = "GOCSPX-testsecret"
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
    values = {
        "platform": "youtube_shorts",
        "access_token": ACCESS,
        "refresh_token": REFRESH,
        "extra_data": {"channel_id": "UCquizDemoChannel0000001", "privacy_status": "public"},
        "token_expires_at": datetime.now(UTC) + timedelta(minutes=2),
    }
    return SocialMediaCredentials.objects.create(**(values | fields))


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


# --- looking for an upload among the channel's videos ------------------------------------------

UPLOADS = "UUquizDemoChannel0000001"


def _playlist(rsps, items, following=None, token=""):
    params = {"playlistId": UPLOADS, "part": "snippet", "maxResults": "50"}
    if token:
        params["pageToken"] = token
    body = {"items": items} | ({"nextPageToken": following} if following else {})
    rsps.get(f"{API}/playlistItems", json=body, match=[matchers.query_param_matcher(params)])


def _item(video_id, description, published="2026-12-02T10:00:00Z"):
    return {
        "snippet": {
            "publishedAt": published,
            "description": description,
            "resourceId": {"kind": "youtube#video", "videoId": video_id},
        }
    }


@pytest.mark.django_db
def test_an_upload_is_found_by_the_task_link_on_a_later_page(mocked_responses, settings):
    from social_media.platforms.youtube_shorts.lookup import find_upload
    from tests.factories import SocialMediaPostFactory

    settings.SITE_URL = "https://quiz.example.com"
    post = SocialMediaPostFactory(platform="youtube_shorts")
    link = post.task.public_url
    mocked_responses.get(
        f"{API}/channels",
        json={
            "items": [{"id": "UCx", "contentDetails": {"relatedPlaylists": {"uploads": UPLOADS}}}]
        },
    )
    _playlist(mocked_responses, [_item("other1", "no link here")], following="P2")
    _playlist(mocked_responses, [_item("found1", f"Q\n\n{link}\n#Shorts")], token="P2")

    assert find_upload(YouTubeClient(token=ACCESS), post) == "found1"


@pytest.mark.django_db
def test_the_lookup_stops_at_uploads_older_than_the_post(mocked_responses):
    from social_media.platforms.youtube_shorts.lookup import find_upload
    from tests.factories import SocialMediaPostFactory

    post = SocialMediaPostFactory(platform="youtube_shorts")
    mocked_responses.get(
        f"{API}/channels",
        json={"items": [{"contentDetails": {"relatedPlaylists": {"uploads": UPLOADS}}}]},
    )
    _playlist(mocked_responses, [_item("old", "x", "2020-01-01T00:00:00Z")], following="P2")

    assert find_upload(YouTubeClient(token=ACCESS), post) == ""


# --- metrics ---------------------------------------------------------------------------------


def _shown(video_id: str):
    """A published Short (its task saved unpublished, so no post is made for it on save)."""
    from tests.factories import SocialMediaPostFactory

    return SocialMediaPostFactory(
        platform="youtube_shorts", task__published=False, post_id=video_id, status="published"
    )


@pytest.mark.django_db
def test_metrics_pass_youtubes_values_through_and_skip_missing_videos(mocked_responses):
    from social_media.platforms.registry import PLATFORMS

    credential = _credential(token_expires_at=None)
    posts = [_shown(f"v{n}") for n in range(3)]
    statistics = {"viewCount": "12", "likeCount": None, "commentCount": "junk", "extra": "1"}
    mocked_responses.get(
        f"{API}/videos",
        json={"items": [{"id": "v0", "statistics": statistics}, {"id": "v1"}]},
        match=[matchers.query_param_matcher({"id": "v0,v1,v2", "part": "statistics"})],
    )

    batch = PLATFORMS["youtube_shorts"].read_metrics(posts, credential)
    assert batch is not None

    assert batch.outcome == Outcome.SUCCESS
    assert set(batch.readings) == {posts[0].pk}
    reading = batch.readings[posts[0].pk]
    assert reading.values == {"views": "12", "engagements": None, "comments": "junk"}
    assert reading.raw == statistics


@pytest.mark.django_db
def test_metrics_are_read_fifty_ids_a_call(mocked_responses):
    from social_media.platforms.registry import PLATFORMS

    credential = _credential(token_expires_at=None)
    posts = [_shown(f"v{n}") for n in range(51)]
    mocked_responses.get(f"{API}/videos", json={"items": []})
    mocked_responses.get(f"{API}/videos", json={"items": [{"id": "v50", "statistics": {}}]})

    batch = PLATFORMS["youtube_shorts"].read_metrics(posts, credential)
    assert batch is not None

    assert PLATFORMS["youtube_shorts"].metrics_batch_size == 50
    sizes = [len(c.request.params["id"].split(",")) for c in mocked_responses.calls]
    assert sizes == [50, 1]
    assert set(batch.readings) == {posts[50].pk}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "reason", "outcome"),
    [
        (401, "authError", Outcome.AUTH),
        (429, "rateLimitExceeded", Outcome.RATE_LIMITED),
        (403, "quotaExceeded", Outcome.RATE_LIMITED),
        (503, "backendError", Outcome.TRANSIENT),
    ],
)
def test_metrics_failures_say_what_to_do(mocked_responses, status, reason, outcome):
    from social_media.platforms.registry import PLATFORMS

    credential = _credential(token_expires_at=None)
    post = _shown("v1")
    mocked_responses.get(f"{API}/videos", status=status, json=google_error(status, reason))
    if status == 401:  # refreshed once: Google refuses the refresh token too
        mocked_responses.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})

    batch = PLATFORMS["youtube_shorts"].read_metrics([post], credential)
    assert batch is not None

    assert batch.outcome == outcome
    assert batch.readings == {}
    assert ACCESS not in batch.error_message
    if reason == "quotaExceeded":
        assert batch.retry_after and batch.retry_after > 0


# --- the credential's extra data -------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, 'needs {"channel_id": "UC…"}'),
        ({"channel_id": "  "}, 'needs {"channel_id": "UC…"}'),
        ({"channel_id": 42}, 'needs {"channel_id": "UC…"}'),
        ({"channel_id": "UCshort"}, "22 letters"),
        ({"channel_id": "UCquizDemoChannel0000001", "privacy_status": "hidden"}, "unlisted"),
        ({"channel_id": "UCquizDemoChannel0000001", "made_for_kids": "no"}, "true or false"),
        ({"channel_id": "UCquizDemoChannel0000001", "privacyStatus": "private"}, "privacyStatus"),
    ],
)
def test_bad_extra_data_is_refused_with_a_clear_message(extra, message):
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from social_media.platforms.registry import PLATFORMS

    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            PLATFORMS["youtube_shorts"].validate_extra_data(extra)

        assert message in str(caught.value.message_dict["extra_data"])


def test_good_extra_data_passes_and_russian_messages_exist():
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from social_media.platforms.registry import PLATFORMS

    platform = PLATFORMS["youtube_shorts"]
    platform.validate_extra_data({"channel_id": "UCquizDemoChannel0000001"})
    platform.validate_extra_data(
        {
            "channel_id": "UC_-abcdefghijklmnopqrst",
            "privacy_status": "unlisted",
            "made_for_kids": True,
        }
    )
    with translation.override("ru"):
        with pytest.raises(ValidationError) as caught:
            platform.validate_extra_data({})
        assert "channel_id" in str(caught.value.message_dict["extra_data"])
        assert "нужно" in str(caught.value.message_dict["extra_data"])


# --- the connection test -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_connection_test_refreshes_a_refused_token_and_checks_the_channel(mocked_responses):
    from social_media.connection import credential_test_connection

    credential = _credential(token_expires_at=None)
    mocked_responses.get(f"{API}/channels", status=401, json=google_error(401, "authError"))
    mocked_responses.post(TOKEN_URL, json={"access_token": "ya29.fresh000000", "expires_in": 3599})
    mocked_responses.get(
        f"{API}/channels",
        json={"items": [{"id": "UCquizDemoChannel0000001", "snippet": {"title": "Quiz"}}]},
        match=[matchers.header_matcher({"Authorization": "Bearer ya29.fresh000000"})],
    )

    verdict = credential_test_connection(credential=credential)

    assert verdict.ok and "Quiz" in verdict.message
    credential.refresh_from_db()
    assert not credential.needs_reconnect


@pytest.mark.django_db
def test_a_connection_test_whose_refresh_google_could_not_answer_flags_nothing(mocked_responses):
    from social_media.connection import credential_test_connection

    credential = _credential(token_expires_at=None)
    mocked_responses.get(f"{API}/channels", status=401, json=google_error(401, "authError"))
    mocked_responses.post(TOKEN_URL, status=503, json={"error": "internal_failure"})

    verdict = credential_test_connection(credential=credential)

    assert not verdict.ok
    credential.refresh_from_db()
    assert not credential.needs_reconnect


@pytest.mark.django_db
def test_a_connection_test_with_a_revoked_refresh_token_asks_for_reconnection(mocked_responses):
    from social_media.connection import credential_test_connection

    credential = _credential(token_expires_at=None)
    mocked_responses.get(f"{API}/channels", status=401, json=google_error(401, "authError"))
    mocked_responses.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})

    verdict = credential_test_connection(credential=credential)

    assert not verdict.ok
    credential.refresh_from_db()
    assert credential.needs_reconnect
    assert REFRESH not in credential.last_error and ACCESS not in credential.last_error


@pytest.mark.django_db
def test_a_google_account_without_a_channel_is_said_so(mocked_responses):
    from django.utils import translation

    from social_media.connection import credential_test_connection

    credential = _credential(token_expires_at=None)
    mocked_responses.get(f"{API}/channels", json={"items": []})

    with translation.override("en"):
        verdict = credential_test_connection(credential=credential)
        assert not verdict.ok and "no YouTube channel" in verdict.message


@pytest.mark.django_db
def test_metrics_refresh_a_refused_token_once_and_read_on(mocked_responses):
    from social_media.platforms.registry import PLATFORMS

    credential = _credential(token_expires_at=None)
    post = _shown("v1")
    mocked_responses.get(f"{API}/videos", status=401, json=google_error(401, "authError"))
    mocked_responses.post(TOKEN_URL, json={"access_token": "ya29.fresh000000", "expires_in": 3599})
    mocked_responses.get(
        f"{API}/videos",
        json={"items": [{"id": "v1", "statistics": {"viewCount": "3"}}]},
        match=[matchers.header_matcher({"Authorization": "Bearer ya29.fresh000000"})],
    )

    batch = PLATFORMS["youtube_shorts"].read_metrics([post], credential)

    assert batch is not None and batch.outcome == Outcome.SUCCESS
    assert batch.readings[post.pk].values["views"] == "3"


@pytest.mark.django_db
def test_metrics_refresh_a_token_about_to_expire_before_reading(mocked_responses):
    from social_media.platforms.registry import PLATFORMS

    credential = _credential()  # expires in two minutes
    post = _shown("v1")
    mocked_responses.post(TOKEN_URL, json={"access_token": "ya29.fresh000000", "expires_in": 3599})
    mocked_responses.get(
        f"{API}/videos",
        json={"items": []},
        match=[matchers.header_matcher({"Authorization": "Bearer ya29.fresh000000"})],
    )

    batch = PLATFORMS["youtube_shorts"].read_metrics([post], credential)

    assert batch is not None and batch.outcome == Outcome.SUCCESS and batch.readings == {}


def test_the_local_run_points_youtube_and_google_at_the_emulator():
    from social_media.platforms.spec import local_run_settings

    found = local_run_settings("http://127.0.0.1:8025")

    assert found["YOUTUBE_API_BASE_URL"] == "http://127.0.0.1:8025/youtube/v3"
    assert found["YOUTUBE_UPLOAD_URL"] == "http://127.0.0.1:8025/upload/youtube/v3/videos"
    assert found["GOOGLE_OAUTH_TOKEN_URL"] == "http://127.0.0.1:8025/google/oauth2/token"
    assert found["YOUTUBE_SHORT_URL"] == "http://127.0.0.1:8025/youtube/shorts/{id}"
