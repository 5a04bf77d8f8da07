"""YouTube Shorts as a platform, at the HTTP boundary: the credential's extra data, the
connection test, statistics (``read_metrics``), finding a lost upload among the channel's
videos, and the local run's settings."""

from __future__ import annotations

import pytest
from responses import matchers

from social_media.platforms.base import Outcome
from social_media.platforms.youtube_shorts.client import YouTubeClient
from social_media.tests.youtube_shorts_helpers import (
    ACCESS,
    API,
    REFRESH,
    TOKEN_URL,
    google_error,
    use_google,
    youtube_credential,
)


@pytest.fixture(autouse=True)
def _settings(settings):
    use_google(settings)


def _credential(**fields):
    return youtube_credential(**fields)


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
