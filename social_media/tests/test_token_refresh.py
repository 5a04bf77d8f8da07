"""Pinterest token refresh: before expiry (beat) and after a 401 on publish."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from responses import matchers

from quiz_backend.celery import app
from social_media import tasks
from social_media.platforms.pinterest.oauth import credentials_refresh_expiring
from social_media.tests.contract import (
    PINTEREST_API,
    SITE_URL,
    START,
    connect_refused,
    load_fixture,
    new_post,
    publish,
)
from social_media.token_refresh import credential_refresh_token
from tests.factories import PinterestCredentialsFactory

pytestmark = pytest.mark.django_db

OLD_TOKEN = "pina_OLDaccess-token-0123456789abcdef"
REFRESH = "pinr_ORIGINALrefresh-0123456789abcdef"
CLIENT_ID = "1500123"
CLIENT_SECRET = "client-secret-0123456789abcdef"
BASIC = "Basic MTUwMDEyMzpjbGllbnQtc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWY="  # id:secret
TOKEN_URL = f"{PINTEREST_API}/oauth/token"
PINS = f"{PINTEREST_API}/pins"
GRANT = load_fixture("pinterest", "oauth_token")
NEW_TOKEN = GRANT["access_token"]
PIN = load_fixture("pinterest", "pin_created")


@pytest.fixture(autouse=True)
def _pinterest_app(settings):
    settings.SITE_URL = SITE_URL
    settings.PINTEREST_API_BASE_URL = PINTEREST_API
    settings.PINTEREST_CLIENT_ID = CLIENT_ID
    settings.PINTEREST_CLIENT_SECRET = CLIENT_SECRET
    settings.PINTEREST_REFRESH_BEFORE_DAYS = 5


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def token_endpoint() -> list:
    """Basic client auth and the form body the spec asks for."""
    return [
        matchers.header_matcher({"Authorization": BASIC}),
        matchers.urlencoded_params_matcher(
            {"grant_type": "refresh_token", "refresh_token": REFRESH}
        ),
    ]


def stored(credential, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM webhooks_socialmediacredentials WHERE id = %s",  # noqa: S608
            [credential.pk],
        )
        return cursor.fetchone()[0]


def expiring(days: float, **fields):
    values = {"access_token": OLD_TOKEN, "refresh_token": REFRESH, **fields}
    return PinterestCredentialsFactory(token_expires_at=START + timedelta(days=days), **values)


def test_a_token_expiring_soon_is_refreshed_and_stored_encrypted(mocked_responses, clock):
    credential = expiring(2, needs_reconnect=False)
    mocked_responses.post(TOKEN_URL, json=GRANT, match=token_endpoint())

    result = credentials_refresh_expiring()

    assert result == {"due": 1, "refreshed": 1, "failed": 0}
    credential.refresh_from_db()
    assert credential.access_token == NEW_TOKEN
    assert credential.refresh_token == GRANT["refresh_token"]
    assert credential.token_expires_at == START + timedelta(seconds=GRANT["expires_in"])
    assert stored(credential, "access_token").startswith("enc:")
    assert NEW_TOKEN not in stored(credential, "access_token")
    assert GRANT["refresh_token"] not in stored(credential, "refresh_token")


def test_the_refresh_token_is_kept_when_pinterest_returns_none(mocked_responses, clock):
    credential = expiring(1)
    grant = {key: value for key, value in GRANT.items() if key != "refresh_token"}
    mocked_responses.post(TOKEN_URL, json=grant, match=token_endpoint())

    assert credential_refresh_token(credential=credential).ok is True

    credential.refresh_from_db()
    assert credential.access_token == NEW_TOKEN
    assert credential.refresh_token == REFRESH


def test_tokens_not_due_are_left_alone(mocked_responses, clock):
    expiring(30)
    PinterestCredentialsFactory(refresh_token=REFRESH, token_expires_at=None)
    expiring(1, refresh_token="")
    expiring(1, is_active=False)
    expiring(1, needs_reconnect=True)

    assert credentials_refresh_expiring() == {"due": 0, "refreshed": 0, "failed": 0}
    assert len(mocked_responses.calls) == 0


def test_refresh_is_skipped_with_one_log_line_without_client_settings(
    mocked_responses, clock, settings, caplog
):
    settings.PINTEREST_CLIENT_SECRET = ""
    credential = expiring(1)

    with caplog.at_level(logging.INFO, logger="social_media"):
        result = tasks.refresh_tokens()

    assert result["pinterest"] == {"due": 0, "refreshed": 0, "failed": 0}
    assert len(mocked_responses.calls) == 0
    assert len([r for r in caplog.records if "PINTEREST_CLIENT_ID" in r.getMessage()]) == 1
    credential.refresh_from_db()
    assert credential.access_token == OLD_TOKEN


def test_a_refused_refresh_token_flags_the_credential(mocked_responses, clock):
    credential = expiring(1)
    mocked_responses.post(
        TOKEN_URL, status=400, json=load_fixture("pinterest", "oauth_invalid_grant")
    )

    assert credentials_refresh_expiring() == {"due": 1, "refreshed": 0, "failed": 1}

    credential.refresh_from_db()
    assert credential.needs_reconnect is True
    assert "Invalid refresh token." in credential.last_error
    assert REFRESH not in credential.last_error
    assert credential.access_token == OLD_TOKEN


def test_an_unreachable_token_endpoint_does_not_flag(mocked_responses, clock):
    credential = expiring(1)
    mocked_responses.post(TOKEN_URL, body=connect_refused())

    assert credentials_refresh_expiring()["failed"] == 1

    credential.refresh_from_db()
    assert credential.needs_reconnect is False


def test_a_token_another_worker_refreshed_is_used_without_a_call(mocked_responses):
    credential = expiring(1)

    result = credential_refresh_token(credential=credential, stale_token="pina_SOMEolder")

    assert result.ok is True
    assert len(mocked_responses.calls) == 0
    assert credential.access_token == OLD_TOKEN


def test_the_refresh_runs_hourly_on_the_beat_schedule():
    app.loader.import_default_modules()
    entry = app.conf.beat_schedule["refresh-platform-tokens"]
    assert entry["task"] == "social_media.refresh_tokens"
    assert entry["task"] in app.tasks
    assert entry["schedule"] == 3600


# --- after a 401 on publish ---------------------------------------------------------


def pin_calls(rsps) -> list:
    return [c for c in rsps.calls if c.request.url == PINS]


def test_401_on_publish_refreshes_once_and_sends_the_pin_again(mocked_responses, clock):
    credential = expiring(20)
    mocked_responses.post(
        PINS,
        status=401,
        json=load_fixture("pinterest", "error_401"),
        match=[matchers.header_matcher({"Authorization": f"Bearer {OLD_TOKEN}"})],
    )
    mocked_responses.post(TOKEN_URL, json=GRANT, match=token_endpoint())
    mocked_responses.post(
        PINS,
        status=201,
        json=PIN,
        match=[matchers.header_matcher({"Authorization": f"Bearer {NEW_TOKEN}"})],
    )

    post = publish(new_post("pinterest"))

    assert post.status == "published"
    assert post.post_id == PIN["id"]
    assert post.attempt_count == 1
    assert len(pin_calls(mocked_responses)) == 2
    assert len([c for c in mocked_responses.calls if c.request.url == TOKEN_URL]) == 1
    credential.refresh_from_db()
    assert credential.access_token == NEW_TOKEN
    assert credential.needs_reconnect is False


def test_a_failed_refresh_after_401_fails_as_auth_and_flags(mocked_responses, clock):
    credential = expiring(20)
    mocked_responses.post(PINS, status=401, json=load_fixture("pinterest", "error_401"))
    mocked_responses.post(
        TOKEN_URL, status=400, json=load_fixture("pinterest", "oauth_invalid_grant")
    )

    post = publish(new_post("pinterest"))

    assert post.status == "failed"
    assert post.failure_kind == "auth"
    assert "Authentication failed." in post.error_message
    assert "The token refresh failed" in post.error_message
    assert REFRESH not in post.error_message
    assert len(pin_calls(mocked_responses)) == 1
    credential.refresh_from_db()
    assert credential.needs_reconnect is True


def test_an_unreachable_refresh_after_401_is_retried_later(mocked_responses, clock):
    credential = expiring(20)
    mocked_responses.post(PINS, status=401, json=load_fixture("pinterest", "error_401"))
    mocked_responses.post(TOKEN_URL, body=connect_refused())

    post = publish(new_post("pinterest"))

    assert post.status == "pending"
    assert post.next_attempt_at is not None
    credential.refresh_from_db()
    assert credential.needs_reconnect is False


@pytest.mark.parametrize("missing", ["refresh_token", "client"])
def test_401_without_a_way_to_refresh_fails_as_auth_at_once(
    mocked_responses, clock, settings, missing
):
    if missing == "client":
        settings.PINTEREST_CLIENT_ID = ""
        credential = expiring(20)
    else:
        credential = expiring(20, refresh_token="")
    mocked_responses.post(PINS, status=401, json=load_fixture("pinterest", "error_401"))

    post = publish(new_post("pinterest"))

    assert post.status == "failed"
    assert post.failure_kind == "auth"
    assert len(mocked_responses.calls) == 1
    credential.refresh_from_db()
    assert credential.needs_reconnect is True
