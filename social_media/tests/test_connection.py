"""Connection tests: one verdict per answer, judged at the HTTP boundary."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
from django.utils import translation
from responses import matchers

from social_media.connection import credential_test_connection
from social_media.tests.contract import GRAPH_API, PINTEREST_API, connect_refused, load_fixture
from tests.factories import FacebookCredentialsFactory, PinterestCredentialsFactory

pytestmark = pytest.mark.django_db

PIN_TOKEN = "pina_TESTTOKENpinterest0123456789"
FB_TOKEN = "EAAB-test-page-token-0123456789"
BOARD = "549755885175"
PAGE = "104512345678901"
USER_ACCOUNT = f"{PINTEREST_API}/user_account"
BOARD_URL = f"{PINTEREST_API}/boards/{BOARD}"
PAGE_URL = f"{GRAPH_API}/{PAGE}"
DEBUG_TOKEN = f"{GRAPH_API}/debug_token"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.PINTEREST_API_BASE_URL = PINTEREST_API
    settings.FACEBOOK_GRAPH_API_BASE_URL = GRAPH_API
    settings.FACEBOOK_APP_ID = ""
    settings.FACEBOOK_APP_SECRET = ""
    with translation.override("en"):
        yield


def bearer(token: str) -> list:
    return [matchers.header_matcher({"Authorization": f"Bearer {token}"})]


@pytest.fixture
def pinterest():
    return PinterestCredentialsFactory(access_token=PIN_TOKEN)


@pytest.fixture
def facebook():
    return FacebookCredentialsFactory(access_token=FB_TOKEN)


def test_pinterest_ok_names_the_account_and_board_and_clears_the_flag(mocked_responses, pinterest):
    pinterest.needs_reconnect = True
    pinterest.last_error = "Pinterest: HTTP 401"
    pinterest.save()
    mocked_responses.get(
        USER_ACCOUNT, json=load_fixture("pinterest", "user_account"), match=bearer(PIN_TOKEN)
    )
    mocked_responses.get(
        BOARD_URL, json=load_fixture("pinterest", "board"), match=bearer(PIN_TOKEN)
    )

    verdict = credential_test_connection(credential=pinterest)

    assert verdict.ok is True
    assert verdict.message == "Connected as quizbot, board “Python quizzes”."
    pinterest.refresh_from_db()
    assert pinterest.needs_reconnect is False
    assert pinterest.last_error == ""


def test_pinterest_401_is_token_rejected_and_flags_without_showing_the_token(
    mocked_responses, pinterest
):
    # A body that echoes the token: the verdict must still not contain it.
    mocked_responses.get(
        USER_ACCOUNT, status=401, json={"code": 2, "message": f"Token {PIN_TOKEN} expired."}
    )

    verdict = credential_test_connection(credential=pinterest)

    assert verdict.ok is False
    assert verdict.message.startswith("Token rejected")
    assert "HTTP 401" in verdict.message
    assert PIN_TOKEN not in verdict.message
    pinterest.refresh_from_db()
    assert pinterest.needs_reconnect is True
    assert PIN_TOKEN not in pinterest.last_error
    assert "HTTP 401" in pinterest.last_error


def test_pinterest_missing_board_is_board_not_found_and_does_not_flag(mocked_responses, pinterest):
    mocked_responses.get(USER_ACCOUNT, json=load_fixture("pinterest", "user_account"))
    mocked_responses.get(BOARD_URL, status=404, json=load_fixture("pinterest", "error_404"))

    verdict = credential_test_connection(credential=pinterest)

    assert verdict.ok is False
    assert f"board {BOARD} was not found" in verdict.message
    assert "Connected as quizbot" in verdict.message
    pinterest.refresh_from_db()
    assert pinterest.needs_reconnect is False


@pytest.mark.parametrize("failure", [connect_refused(), requests.ReadTimeout("read timed out")])
def test_pinterest_network_error_says_so_and_does_not_flag(mocked_responses, pinterest, failure):
    mocked_responses.get(USER_ACCOUNT, body=failure)

    verdict = credential_test_connection(credential=pinterest)

    assert verdict.ok is False
    assert verdict.message.startswith("Could not reach Pinterest")
    pinterest.refresh_from_db()
    assert pinterest.needs_reconnect is False
    assert pinterest.last_error == ""


def test_pinterest_without_board_id_says_what_to_set(mocked_responses):
    credential = PinterestCredentialsFactory(access_token=PIN_TOKEN, extra_data={})
    mocked_responses.get(USER_ACCOUNT, json=load_fixture("pinterest", "user_account"))

    verdict = credential_test_connection(credential=credential)

    assert verdict.ok is False
    assert "no board_id" in verdict.message


def test_facebook_ok_reads_the_page_only_without_app_credentials(mocked_responses, facebook):
    mocked_responses.get(
        PAGE_URL,
        json=load_fixture("facebook", "page"),
        match=[*bearer(FB_TOKEN), matchers.query_param_matcher({"fields": "id,name"})],
    )

    verdict = credential_test_connection(credential=facebook)

    assert verdict.ok is True
    assert verdict.message == "Connected to page “Quiz RU”."
    assert len(mocked_responses.calls) == 1


def test_facebook_190_is_token_rejected_and_flags(mocked_responses, facebook):
    mocked_responses.get(PAGE_URL, status=400, json=load_fixture("facebook", "error_190"))

    verdict = credential_test_connection(credential=facebook)

    assert verdict.ok is False
    assert verdict.message.startswith("Token rejected")
    assert "code 190" in verdict.message
    assert FB_TOKEN not in verdict.message
    facebook.refresh_from_db()
    assert facebook.needs_reconnect is True


def test_facebook_unknown_page_is_reported_without_flagging(mocked_responses, facebook):
    mocked_responses.get(PAGE_URL, status=400, json=load_fixture("facebook", "error_100"))

    verdict = credential_test_connection(credential=facebook)

    assert verdict.ok is False
    assert f"Page {PAGE} cannot be read" in verdict.message
    facebook.refresh_from_db()
    assert facebook.needs_reconnect is False


def test_facebook_network_error_does_not_flag(mocked_responses, facebook):
    mocked_responses.get(PAGE_URL, body=connect_refused())

    verdict = credential_test_connection(credential=facebook)

    assert verdict.ok is False
    assert verdict.message.startswith("Could not reach Facebook")
    facebook.refresh_from_db()
    assert facebook.needs_reconnect is False


def test_facebook_token_is_checked_with_debug_token_when_the_app_is_configured(
    mocked_responses, facebook, settings
):
    settings.FACEBOOK_APP_ID = "1234567890123"
    settings.FACEBOOK_APP_SECRET = "app-secret-abcdef0123456789"
    mocked_responses.get(PAGE_URL, json=load_fixture("facebook", "page"), match=bearer(FB_TOKEN))
    mocked_responses.get(
        DEBUG_TOKEN,
        json=load_fixture("facebook", "debug_token"),
        match=[
            *bearer("1234567890123|app-secret-abcdef0123456789"),
            matchers.query_param_matcher({"input_token": FB_TOKEN}),
        ],
    )

    verdict = credential_test_connection(credential=facebook)

    assert verdict.ok is True
    assert verdict.message.startswith("Connected to page “Quiz RU”. The token is valid until")
    assert "app-secret" not in verdict.message
    facebook.refresh_from_db()
    assert facebook.token_expires_at == datetime.fromtimestamp(1777777777, tz=UTC)


def test_facebook_token_that_debug_token_calls_invalid_is_rejected_and_flags(
    mocked_responses, facebook, settings
):
    settings.FACEBOOK_APP_ID = "1234567890123"
    settings.FACEBOOK_APP_SECRET = "app-secret-abcdef0123456789"
    mocked_responses.get(PAGE_URL, json=load_fixture("facebook", "page"))
    mocked_responses.get(DEBUG_TOKEN, json=load_fixture("facebook", "debug_token_invalid"))

    verdict = credential_test_connection(credential=facebook)

    assert verdict.ok is False
    assert verdict.message.startswith("Token rejected")
    facebook.refresh_from_db()
    assert facebook.needs_reconnect is True


def test_admin_checks_wait_at_most_the_short_check_timeout(mocked_responses, pinterest, settings):
    settings.SOCIAL_MEDIA_HTTP_TIMEOUT = 20
    mocked_responses.get(USER_ACCOUNT, json=load_fixture("pinterest", "user_account"))
    mocked_responses.get(BOARD_URL, json=load_fixture("pinterest", "board"))

    credential_test_connection(credential=pinterest)

    assert [call.request.req_kwargs["timeout"] for call in mocked_responses.calls] == [5.0, 5.0]
