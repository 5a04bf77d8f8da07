"""TikTok token refresh: rotation stored, refusals flagged, due tokens found (HTTP mocked)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import requests
import time_machine
from responses import matchers

from social_media.platforms.tiktok import oauth
from social_media.tests.contract import START
from tests.factories import TikTokCredentialsFactory

pytestmark = pytest.mark.django_db

API = "https://open.tiktokapis.com"
TOKEN_URL = f"{API}/v2/oauth/token/"
CLIENT_KEY = "awtestclientkey0123"
CLIENT_SECRET = "tiktok-client-secret-0123456789"
OLD_ACCESS = "act.OLDaccess-token-0123456789abcdef"
FIRST_REFRESH = "rft.FIRSTrefresh-0123456789abcdef"


@pytest.fixture(autouse=True)
def _tiktok_app(settings):
    settings.TIKTOK_API_BASE_URL = API
    settings.TIKTOK_CLIENT_KEY = CLIENT_KEY
    settings.TIKTOK_CLIENT_SECRET = CLIENT_SECRET
    settings.TIKTOK_REFRESH_BEFORE_MINUTES = 90


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def credential():
    return TikTokCredentialsFactory(
        access_token=OLD_ACCESS,
        refresh_token=FIRST_REFRESH,
        token_expires_at=START + timedelta(minutes=30),
    )


def grant(n: int, expires_in: int = 7200) -> dict:
    return {
        "open_id": "-000quizdemoOpenId",
        "scope": "user.info.basic,video.publish,video.list",
        "access_token": f"act.NEWaccess-{n}-0123456789abcdef",
        "expires_in": expires_in,
        "refresh_token": f"rft.NEWrefresh-{n}-0123456789abcdef",
        "refresh_expires_in": 15552000,
        "token_type": "Bearer",
    }


def sent_refresh(token: str) -> list:
    return [
        matchers.urlencoded_params_matcher(
            {
                "client_key": CLIENT_KEY,
                "client_secret": CLIENT_SECRET,
                "grant_type": "refresh_token",
                "refresh_token": token,
            }
        )
    ]


def test_rotation_the_next_refresh_sends_the_refresh_token_tiktok_returned(
    mocked_responses, credential, clock
):
    mocked_responses.post(TOKEN_URL, json=grant(1), match=sent_refresh(FIRST_REFRESH))
    mocked_responses.post(
        TOKEN_URL, json=grant(2, 3600), match=sent_refresh(grant(1)["refresh_token"])
    )

    first = oauth.credential_refresh_token(credential=credential)
    credential.refresh_from_db()
    assert first.ok
    assert credential.access_token == grant(1)["access_token"]
    assert credential.refresh_token == grant(1)["refresh_token"]
    assert credential.token_expires_at == START + timedelta(seconds=7200)

    clock.shift(timedelta(hours=1))
    second = oauth.credential_refresh_token(credential=credential)
    credential.refresh_from_db()
    assert second.ok
    assert credential.refresh_token == grant(2)["refresh_token"]
    # The lifetime TikTok returned, not a hard-coded one.
    assert credential.token_expires_at == START + timedelta(hours=1, seconds=3600)


def test_an_answer_without_a_refresh_token_keeps_the_stored_one(mocked_responses, credential):
    answer = grant(1)
    del answer["refresh_token"]
    mocked_responses.post(TOKEN_URL, json=answer)
    assert oauth.credential_refresh_token(credential=credential).ok
    credential.refresh_from_db()
    assert credential.refresh_token == FIRST_REFRESH
    assert credential.access_token == answer["access_token"]


def test_a_refused_refresh_token_flags_the_credential(mocked_responses, credential):
    mocked_responses.post(
        TOKEN_URL,
        status=400,
        json={
            "error": "invalid_grant",
            "error_description": "Refresh token is invalid or expired.",
        },
    )
    result = oauth.credential_refresh_token(credential=credential)
    credential.refresh_from_db()
    assert not result.ok
    assert result.rejected
    assert credential.needs_reconnect
    assert "invalid_grant" in credential.last_error
    assert FIRST_REFRESH not in credential.last_error
    assert credential.access_token == OLD_ACCESS


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 503, "json": {"error": "internal_error"}},
        {"body": requests.ConnectTimeout("no route")},
    ],
)
def test_a_refresh_that_did_not_reach_tiktok_changes_nothing(mocked_responses, credential, answer):
    mocked_responses.post(TOKEN_URL, **answer)
    result = oauth.credential_refresh_token(credential=credential)
    credential.refresh_from_db()
    assert not result.ok
    assert not result.rejected
    assert not credential.needs_reconnect
    assert credential.refresh_token == FIRST_REFRESH


def test_a_token_another_worker_already_refreshed_is_not_refreshed_again(credential):
    # No HTTP stub: a call to TikTok would fail the test.
    result = oauth.credential_refresh_token(credential=credential, stale_token="act.SOMEOLDtoken0")
    assert result.ok
    assert "already" in result.message


def test_without_the_app_key_nothing_is_refreshed(settings, credential):
    settings.TIKTOK_CLIENT_SECRET = ""
    assert not oauth.refresh_possible(credential)
    result = oauth.credential_refresh_token(credential=credential)
    assert not result.ok
    assert "TIKTOK_CLIENT_KEY" in result.message
    assert oauth.credentials_refresh_expiring() is None


def test_the_periodic_job_refreshes_tokens_due_within_the_margin(mocked_responses, clock):
    due = TikTokCredentialsFactory(token_expires_at=START + timedelta(minutes=80))
    unknown = TikTokCredentialsFactory(token_expires_at=None, refresh_token="rft.UNKNOWNexp0123")
    TikTokCredentialsFactory(token_expires_at=START + timedelta(minutes=100))  # not yet
    TikTokCredentialsFactory(token_expires_at=START, is_active=False)
    TikTokCredentialsFactory(token_expires_at=START, needs_reconnect=True)
    TikTokCredentialsFactory(token_expires_at=START, refresh_token="")
    mocked_responses.post(TOKEN_URL, json=grant(1), match=sent_refresh(due.refresh_token))
    mocked_responses.post(TOKEN_URL, json=grant(2), match=sent_refresh("rft.UNKNOWNexp0123"))

    assert oauth.credentials_refresh_expiring() == {"due": 2, "refreshed": 2, "failed": 0}
    due.refresh_from_db()
    unknown.refresh_from_db()
    assert due.token_expires_at == START + timedelta(hours=2)
    assert unknown.token_expires_at == START + timedelta(hours=2)


def test_the_periodic_job_skips_a_token_a_publish_refreshed_meanwhile(credential, clock):
    horizon = START + timedelta(minutes=90)
    credential.token_expires_at = START + timedelta(hours=2)  # refreshed by a publish
    credential.save()
    stale_copy = type(credential).objects.get(pk=credential.pk)
    stale_copy.token_expires_at = START  # what the job read before the publish refreshed it
    result = oauth.credential_refresh_token(credential=stale_copy, due_before=horizon)
    assert result.ok
    assert stale_copy.token_expires_at == START + timedelta(hours=2)


def test_expires_soon_reads_the_stored_expiry(credential, clock):
    assert not oauth.expires_soon(credential)  # 30 min left, margin 5 min
    assert oauth.expires_soon(credential, timedelta(minutes=31))
    credential.token_expires_at = None
    assert not oauth.expires_soon(credential)


def test_a_token_issued_to_another_open_id_is_stored_with_a_warning(
    mocked_responses, credential, caplog
):
    credential.extra_data = {"open_id": "-000someoneElse"}
    credential.save()
    mocked_responses.post(TOKEN_URL, json=grant(1), match=sent_refresh(FIRST_REFRESH))
    with caplog.at_level(logging.WARNING, logger="social_media"):
        assert oauth.credential_refresh_token(credential=credential).ok
    assert [r for r in caplog.records if "open_id" in r.getMessage()]
    assert grant(1)["refresh_token"] not in caplog.text
