"""The shared HTTP client: URLs, timeout, redirects, error classes, redaction."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime

import pytest
import requests
import time_machine
from urllib3.connection import HTTPSConnection
from urllib3.connectionpool import HTTPSConnectionPool
from urllib3.exceptions import MaxRetryError, NameResolutionError

from social_media.http import EXCERPT_LIMIT, USER_AGENT, ApiClient, ApiError, parse_retry_after
from social_media.platforms.base import Outcome
from social_media.tests.contract import connect_refused, reset_after_sending

BASE = "https://api.example.test/v1"
SECRET = "s3cr3t-value-ABCDEFGHIJ"


@pytest.fixture
def client(settings) -> ApiClient:
    settings.SOCIAL_MEDIA_HTTP_TIMEOUT = 17
    return ApiClient(base_url=BASE + "/", secrets=[SECRET], platform_name="Example")


def call(client: ApiClient, method: str = "POST", path: str = "things") -> ApiError:
    with pytest.raises(ApiError) as error:
        client.request(method, path, json={})
    return error.value


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("120", 120.0), (" 7 ", 7.0), ("1.5", 1.5), ("-5", 0.0), ("", None), (None, None)],
)
def test_retry_after_in_seconds(value, seconds):
    assert parse_retry_after(value) == seconds


def test_retry_after_as_http_date():
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        assert parse_retry_after("Mon, 02 Mar 2026 09:01:30 GMT") == 90.0
        assert parse_retry_after("Mon, 02 Mar 2026 08:00:00 GMT") == 0.0
        assert parse_retry_after("soon, please") is None


def test_path_is_joined_to_the_base_and_json_is_returned(mocked_responses, client):
    mocked_responses.post(f"{BASE}/things", json={"id": 1})

    assert client.request("POST", "/things", json={}) == {"id": 1}

    sent = mocked_responses.calls[0].request
    assert sent.headers["User-Agent"] == USER_AGENT
    assert sent.req_kwargs["timeout"] == 17
    assert client.last_status == 200


def test_absolute_urls_are_used_as_given(mocked_responses, client):
    mocked_responses.get("https://elsewhere.example.test/x", json={})

    client.request("GET", "https://elsewhere.example.test/x")

    assert mocked_responses.calls[0].request.url == "https://elsewhere.example.test/x"


def test_redirects_are_not_followed(mocked_responses, client):
    mocked_responses.post(
        f"{BASE}/things", status=302, headers={"Location": "https://evil.example.test/"}
    )

    error = call(client)

    assert error.outcome == Outcome.PERMANENT
    assert error.http_status == 302
    assert len(mocked_responses.calls) == 1


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (400, Outcome.PERMANENT),
        (401, Outcome.AUTH),
        (403, Outcome.PERMANENT),
        (404, Outcome.PERMANENT),
        (408, Outcome.TRANSIENT),
        (409, Outcome.PERMANENT),
        (429, Outcome.RATE_LIMITED),
        (500, Outcome.TRANSIENT),
        (502, Outcome.TRANSIENT),
        (503, Outcome.TRANSIENT),
    ],
)
def test_status_codes_map_to_outcomes(mocked_responses, client, status, outcome):
    mocked_responses.post(f"{BASE}/things", status=status, body="nope")

    error = call(client)

    assert error.outcome == outcome
    assert error.http_status == status
    assert error.message == f"Example: HTTP {status}"
    assert error.excerpt == "nope"


def test_retry_after_header_is_carried(mocked_responses, client):
    mocked_responses.post(f"{BASE}/things", status=429, headers={"Retry-After": "45"})

    assert call(client).retry_after == 45.0


def _name_not_resolved() -> requests.ConnectionError:
    host = "api.example.test"
    reason = NameResolutionError(host, HTTPSConnection(host), socket.gaierror(-2, "unknown"))
    return requests.ConnectionError(MaxRetryError(HTTPSConnectionPool(host), "/", reason=reason))


@pytest.mark.parametrize(
    ("exception", "outcome", "text"),
    [
        (requests.ConnectTimeout("connect"), Outcome.TRANSIENT, "could not connect"),
        (connect_refused(), Outcome.TRANSIENT, "could not connect"),
        (_name_not_resolved(), Outcome.TRANSIENT, "could not connect"),
        (requests.ReadTimeout("read"), Outcome.UNKNOWN, "no answer within 17 s"),
        (reset_after_sending(), Outcome.UNKNOWN, "connection lost after sending"),
        (requests.exceptions.ChunkedEncodingError("cut"), Outcome.UNKNOWN, "cut off"),
        (requests.exceptions.InvalidURL("bad"), Outcome.PERMANENT, "request failed"),
    ],
    ids=["connect-timeout", "refused", "dns", "read-timeout", "reset", "chunked", "invalid-url"],
)
def test_network_failures_are_classified(mocked_responses, client, exception, outcome, text):
    mocked_responses.post(f"{BASE}/things", body=exception)

    error = call(client)

    assert error.outcome == outcome
    assert text in error.message
    assert error.http_status is None
    if outcome == Outcome.UNKNOWN:
        assert "may have been processed" in error.message


@pytest.mark.parametrize("body", ["Accepted", "", "{not json"])
def test_success_without_json_is_unknown_but_keeps_the_status(mocked_responses, client, body):
    mocked_responses.post(f"{BASE}/things", status=200, body=body)

    error = call(client)

    assert error.outcome == Outcome.UNKNOWN
    assert error.http_status == 200
    assert "not JSON" in error.message


def test_secret_cut_by_the_excerpt_limit_is_still_masked(mocked_responses, client):
    body = "x" * (EXCERPT_LIMIT - 10) + SECRET + "y" * 100
    mocked_responses.post(f"{BASE}/things", status=400, body=body)

    error = call(client)

    assert len(error.excerpt) <= EXCERPT_LIMIT
    assert SECRET[:6] not in error.excerpt
    assert "x***y" in error.excerpt


def test_secrets_are_masked_in_messages_excerpts_and_logs(mocked_responses, client, caplog):
    caplog.set_level(logging.DEBUG)

    class EchoingClient(ApiClient):
        def error_from_response(self, response, body):
            return self.generic_error(response, f"rejected token {body['token']}")

    echoing = EchoingClient(base_url=BASE, secrets=[SECRET], platform_name="Example")
    mocked_responses.post(f"{BASE}/things", status=400, json={"token": SECRET})

    with pytest.raises(ApiError) as error:
        echoing.request("POST", f"things?access_token={SECRET}", json={})

    assert SECRET not in error.value.message
    assert SECRET not in error.value.excerpt
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "POST https://api.example.test/v1/things -> 400" in logged
    assert SECRET not in logged
    assert "access_token" not in logged


def test_to_result_carries_every_field():
    result = ApiError(Outcome.RATE_LIMITED, "slow down", 429, 30.0, "{}").to_result()

    assert (result.outcome, result.error_message, result.http_status) == (
        Outcome.RATE_LIMITED,
        "slow down",
        429,
    )
    assert (result.retry_after, result.response_excerpt) == (30.0, "{}")


def test_sessions_of_one_thread_share_their_connection_pool_and_not_their_headers():
    import threading

    from social_media.http import get_session

    first, second = get_session(), get_session()
    first.headers["Authorization"] = "Bearer one"
    assert first.get_adapter("https://x.example/") is second.get_adapter("https://x.example/")
    assert "Authorization" not in second.headers
    first.close()  # a session's close leaves the thread's pool open
    assert getattr(first.get_adapter("https://x.example/"), "poolmanager", None) is not None

    other: list = []
    thread = threading.Thread(target=lambda: other.append(get_session().get_adapter("http://x/")))
    thread.start()
    thread.join()
    assert other[0] is not first.get_adapter("http://x/")


def test_the_environment_proxy_is_still_used_when_its_settings_are_cached(monkeypatch):
    from social_media.http import get_session

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "")
    session = get_session()
    url = "https://api.proxied-once.example/v5/pins"
    for _ in range(2):
        merged = session.merge_environment_settings(url, {}, None, None, None)
        assert merged["proxies"]["https"] == "http://proxy.example:3128"
        merged["proxies"].clear()  # a caller's change does not reach the cache
