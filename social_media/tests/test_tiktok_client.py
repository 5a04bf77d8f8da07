"""TikTok's wire: the envelope, error codes mapped to outcomes, chunk rules (HTTP mocked)."""

from __future__ import annotations

import json

import pytest
import requests
from responses import matchers

from quiz_backend.redaction import redact
from social_media.http import ApiError
from social_media.oauth.provider import ConnectError
from social_media.platforms.base import Outcome
from social_media.platforms.tiktok.chunks import ChunkPlan, plan_chunks
from social_media.platforms.tiktok.client import (
    SPAM_WAIT,
    TikTokClient,
    TikTokError,
    TikTokUploadClient,
    video_url,
)
from social_media.platforms.tiktok.connect import PROVIDER

API = "https://open.tiktokapis.com"
TOKEN = "act.TESTaccess-token-tiktok-0123456789"
CREATOR = f"{API}/v2/post/publish/creator_info/query/"
INIT = f"{API}/v2/post/publish/video/init/"
STATUS = f"{API}/v2/post/publish/status/fetch/"
QUERY = f"{API}/v2/video/query/"
UPLOAD = "https://open-upload.tiktokapis.com/video/?upload_id=67890&upload_token=Xza123secret"
MIB = 1024 * 1024


@pytest.fixture(autouse=True)
def _real_host(settings):
    settings.TIKTOK_API_BASE_URL = API


def envelope(code: str = "ok", message: str = "", data: dict | None = None) -> dict:
    return {"data": data or {}, "error": {"code": code, "message": message, "log_id": "2026X1"}}


def client() -> TikTokClient:
    return TikTokClient(token=TOKEN)


def caught(call) -> TikTokError:
    with pytest.raises(TikTokError) as info:
        call()
    return info.value


def test_creator_info_sends_the_bearer_token_and_returns_data(mocked_responses):
    data = {"creator_username": "quiz", "privacy_level_options": ["SELF_ONLY"]}
    mocked_responses.post(
        CREATOR,
        json=envelope(data=data),
        match=[
            matchers.header_matcher(
                {
                    "Authorization": f"Bearer {TOKEN}",
                    "Content-Type": "application/json; charset=UTF-8",
                }
            ),
            matchers.json_params_matcher({}),
        ],
    )
    assert client().creator_info() == data


def test_an_error_code_in_a_200_answer_is_a_failure(mocked_responses):
    # creator_info answers its spam codes with HTTP 200 (Query Creator Info reference).
    mocked_responses.post(CREATOR, json=envelope("spam_risk_too_many_posts", "Daily cap."))
    error = caught(client().creator_info)
    assert error.outcome == Outcome.RATE_LIMITED
    assert error.spam is True
    assert error.retry_after == SPAM_WAIT
    assert error.http_status == 200
    assert "daily limit of posts" in error.message
    assert "log_id 2026X1" in error.message


@pytest.mark.parametrize(
    ("status", "code", "outcome", "spam"),
    [
        (401, "access_token_invalid", Outcome.AUTH, False),
        (401, "scope_not_authorized", Outcome.AUTH, False),
        (400, "invalid_params", Outcome.PERMANENT, False),
        (403, "privacy_level_option_mismatch", Outcome.PERMANENT, False),
        (403, "url_ownership_unverified", Outcome.PERMANENT, False),
        (403, "unaudited_client_can_only_post_to_private_accounts", Outcome.PERMANENT, False),
        (403, "spam_risk_too_many_posts", Outcome.RATE_LIMITED, True),
        (403, "spam_risk_user_banned_from_posting", Outcome.PERMANENT, True),
        (403, "reached_active_user_cap", Outcome.RATE_LIMITED, False),
        (429, "rate_limit_exceeded", Outcome.RATE_LIMITED, False),
        (500, "internal_error", Outcome.TRANSIENT, False),
        (503, "something_new", Outcome.TRANSIENT, False),
        (418, "something_new", Outcome.PERMANENT, False),
    ],
)
def test_init_errors_map_to_outcomes(mocked_responses, status, code, outcome, spam):
    mocked_responses.post(INIT, status=status, json=envelope(code, "Vendor text."))
    error = caught(lambda: client().init_direct_post(post_info={}, source_info={}))
    assert (error.outcome, error.spam, error.code, error.http_status) == (
        outcome,
        spam,
        code,
        status,
    )
    assert error.message.startswith(f"TikTok: HTTP {status}, {code}")
    assert "Vendor text" in error.message


def test_rate_limit_waits_a_minute_or_the_retry_after_header(mocked_responses):
    mocked_responses.post(INIT, status=429, json=envelope("rate_limit_exceeded"))
    mocked_responses.post(
        INIT, status=429, json=envelope("rate_limit_exceeded"), headers={"Retry-After": "17"}
    )
    assert caught(lambda: client().init_direct_post(post_info={}, source_info={})).retry_after == 60
    assert caught(lambda: client().init_direct_post(post_info={}, source_info={})).retry_after == 17


def test_a_lost_answer_to_a_read_is_transient_but_to_an_init_unknown(mocked_responses):
    mocked_responses.post(STATUS, body=requests.ReadTimeout("slow"))
    mocked_responses.post(INIT, body=requests.ReadTimeout("slow"))
    with pytest.raises(ApiError) as read:
        client().publish_status(publish_id="v_pub_file~v2-1.1")
    assert read.value.outcome == Outcome.TRANSIENT
    with pytest.raises(ApiError) as info:
        client().init_direct_post(post_info={}, source_info={})
    assert info.value.outcome == Outcome.UNKNOWN


def test_junk_answers_are_unknown_not_success(mocked_responses):
    mocked_responses.post(INIT, body="<html>gateway</html>", status=200)
    with pytest.raises(ApiError) as info:
        client().init_direct_post(post_info={}, source_info={})
    assert info.value.outcome == Outcome.UNKNOWN


def test_the_init_answer_is_not_kept_as_an_excerpt(mocked_responses):
    mocked_responses.post(INIT, json=envelope(data={"publish_id": "p1", "upload_url": UPLOAD}))
    tiktok = client()
    assert tiktok.init_direct_post(post_info={}, source_info={})["upload_url"] == UPLOAD
    assert tiktok.last_excerpt == ""


def test_a_token_in_an_error_text_is_masked(mocked_responses):
    mocked_responses.post(INIT, status=400, json=envelope("invalid_params", f"bad token {TOKEN}"))
    error = caught(lambda: client().init_direct_post(post_info={}, source_info={}))
    assert TOKEN not in error.message
    assert TOKEN not in error.excerpt


def test_video_query_sends_fields_and_ids(mocked_responses):
    mocked_responses.post(
        QUERY,
        json=envelope(data={"videos": [{"id": "1", "view_count": 5}, "junk"]}),
        match=[
            matchers.query_param_matcher({"fields": "id,view_count"}),
            matchers.json_params_matcher({"filters": {"video_ids": ["1", "2"]}}),
        ],
    )
    videos = client().query_videos(video_ids=["1", "2"], fields=("id", "view_count"))
    assert videos == [{"id": "1", "view_count": 5}]


def test_chunk_put_sends_the_range_and_accepts_the_empty_206_and_201(mocked_responses):
    mocked_responses.put(
        UPLOAD,
        status=206,
        body=b"",
        match=[
            matchers.header_matcher({"Content-Range": "bytes 0-9/20", "Content-Type": "video/mp4"})
        ],
    )
    mocked_responses.put(
        UPLOAD,
        status=201,
        body=b"",
        match=[matchers.header_matcher({"Content-Range": "bytes 10-19/20"})],
    )
    upload = TikTokUploadClient(upload_url=UPLOAD)
    assert upload.put_chunk(data=b"a" * 10, first=0, total=20, content_type="video/mp4") == 206
    assert upload.put_chunk(data=b"b" * 10, first=10, total=20, content_type="video/mp4") == 201


@pytest.mark.parametrize(
    ("status", "outcome", "words"),
    [
        (403, Outcome.PERMANENT, "expired"),
        (416, Outcome.PERMANENT, "does not follow"),
        (503, Outcome.TRANSIENT, "refused"),
    ],
)
def test_chunk_errors_say_what_happened_without_the_upload_token(
    mocked_responses, status, outcome, words
):
    mocked_responses.put(UPLOAD, status=status, json=envelope("invalid_params", "No."))
    with pytest.raises(TikTokError) as info:
        TikTokUploadClient(upload_url=UPLOAD).put_chunk(
            data=b"x", first=0, total=1, content_type="video/mp4"
        )
    assert info.value.outcome == outcome
    assert info.value.http_status == status
    assert words in info.value.message
    assert "Xza123secret" not in info.value.message + info.value.excerpt


def test_a_cut_chunk_is_unknown(mocked_responses):
    mocked_responses.put(UPLOAD, body=requests.ConnectionError("reset by peer"))
    with pytest.raises(ApiError) as info:
        TikTokUploadClient(upload_url=UPLOAD).put_chunk(
            data=b"x", first=0, total=1, content_type="video/mp4"
        )
    assert info.value.outcome == Outcome.UNKNOWN


@pytest.fixture
def tiktok_app(settings):
    settings.TIKTOK_CLIENT_KEY = "key1"
    settings.TIKTOK_CLIENT_SECRET = "secret1"


def test_refresh_posts_the_form_and_returns_the_new_tokens(mocked_responses, tiktok_app):
    answer = {
        "open_id": "-000x",
        "access_token": "act.NEW0123456789",
        "expires_in": 7200,
        "refresh_token": "rft.NEW0123456789",
        "refresh_expires_in": 15552000,
        "token_type": "Bearer",
    }
    mocked_responses.post(
        f"{API}/v2/oauth/token/",
        json=answer,
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "client_key": "key1",
                    "client_secret": "secret1",
                    "grant_type": "refresh_token",
                    "refresh_token": "rft.OLD0123456789",
                }
            ),
            matchers.header_matcher(
                {
                    "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
                    "Cache-Control": "no-cache",
                }
            ),
        ],
    )
    grant = PROVIDER.refresh(refresh_token="rft.OLD0123456789", extra={})
    assert grant.access_token == "act.NEW0123456789"
    assert grant.refresh_token == "rft.NEW0123456789"  # rotated
    assert grant.extra == {"open_id": "-000x"}


@pytest.mark.parametrize(
    ("status", "body", "rejected", "words"),
    [
        (
            400,
            {"error": "invalid_grant", "error_description": "Refresh token is invalid."},
            True,
            "invalid_grant",
        ),
        (200, {"error": "invalid_grant", "error_description": "Expired."}, True, "invalid_grant"),
        (
            401,
            {"error": "invalid_client", "error_description": "Bad secret."},
            True,
            "invalid_client",
        ),
        (500, {"error": "internal_error"}, False, "HTTP 500"),
        (429, {"error": "rate_limit_exceeded"}, False, "HTTP 429"),
    ],
)
def test_refresh_errors(mocked_responses, tiktok_app, status, body, rejected, words):
    """A refusal (reconnect) or a failure that may pass; never a secret in the message."""
    mocked_responses.post(f"{API}/v2/oauth/token/", status=status, json=body)
    with pytest.raises(ConnectError) as info:
        PROVIDER.refresh(refresh_token="rft.OLD0123456789", extra={})
    assert info.value.rejected is rejected
    assert words in info.value.message
    assert "rft.OLD0123456789" not in info.value.message
    assert "secret1" not in json.dumps(info.value.message)


def test_video_url_uses_the_setting_and_falls_back_to_the_profile(settings):
    settings.TIKTOK_VIDEO_URL = "https://www.tiktok.com/@{username}/video/{id}"
    assert video_url("quiz", "74001") == "https://www.tiktok.com/@quiz/video/74001"
    assert video_url("quiz", "") == "https://www.tiktok.com/@quiz"
    assert video_url("", "") == ""


@pytest.mark.parametrize(
    ("size", "chunk", "expected"),
    [
        (1000, 10 * MIB, (1000, 1000, 1)),  # under one chunk: whole
        (10 * MIB, 10 * MIB, (10 * MIB, 10 * MIB, 1)),
        (50_000_123, 10_000_000, (50_000_123, 10_000_000, 5)),  # the guide's example
        (25 * MIB + 7, 10 * MIB, (25 * MIB + 7, 10 * MIB, 2)),  # the last takes the rest
    ],
)
def test_chunk_plan_follows_tiktoks_rules(size, chunk, expected):
    plan = plan_chunks(size, chunk)
    assert (plan.video_size, plan.chunk_size, plan.total_chunk_count) == expected
    spans = [plan.span(i) for i in range(plan.total_chunk_count)]
    assert sum(length for _first, length in spans) == size
    assert all(first == i * plan.chunk_size for i, (first, _length) in enumerate(spans))
    assert spans[-1][1] < 2 * plan.chunk_size or plan.total_chunk_count == 1


def test_chunk_plan_stays_within_1000_chunks_and_round_trips_through_state():
    plan = plan_chunks(4 * 1024 * MIB, 1 * MIB)
    assert plan.total_chunk_count <= 1000
    assert ChunkPlan.from_state(plan.as_state()) == plan
    assert ChunkPlan.from_state(["1", 2, 3]) is None
    assert ChunkPlan.from_state(None) is None
    assert plan.index_at(plan.chunk_size) == 1
    assert plan.index_at(plan.chunk_size + 1) is None
    with pytest.raises(ValueError, match="positive"):
        plan_chunks(0, MIB)


def test_token_shapes_are_masked_in_any_text():
    text = redact("got act.1a2b3c4d5e6f7g8h!4321.va and rft.9z8y7x6w5v4u3t2s!1234.va")
    assert "1a2b3c4d" not in text and "9z8y7x6w" not in text
    assert "act***" in text and "rft***" in text
