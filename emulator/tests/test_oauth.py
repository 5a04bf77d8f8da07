"""The emulator's OAuth providers over real HTTP (emulator/oauth.py): consent pages, codes
(single use, expiring, bound to the client, the redirect URI and PKCE), each provider's errors."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from emulator.testing import InProcessEmulator

REDIRECT = "http://127.0.0.1:8000/oauth/x/callback/"
TIMEOUT = 5


@pytest.fixture
def emu():
    with InProcessEmulator() as emulator:
        yield emulator


def code_for(emu, provider: str, *, verifier: str = "", decision: str = "allow", **extra) -> dict:
    params = {
        "client_key" if provider == "tiktok" else "client_id": "app-1",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "state": "st",
        "scope": "a b",
        **extra,
    }
    if verifier:
        digest = hashlib.sha256(verifier.encode()).digest()
        params["code_challenge"] = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        params["code_challenge_method"] = "S256"
    page = requests.get(f"{emu.url}/oauth/{provider}/authorize", params=params, timeout=TIMEOUT)
    assert page.status_code == 200 and "id='allow'" in page.text and "id='deny'" in page.text
    form = [*params.items(), ("decision", decision), ("granted", "a")]
    answer = requests.post(
        f"{emu.url}/oauth/{provider}/decide", data=form, allow_redirects=False, timeout=TIMEOUT
    )
    assert answer.status_code == 302 and answer.headers["Location"].startswith(REDIRECT)
    return {k: v[-1] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}


def google(emu, **form):
    body = {
        "grant_type": "authorization_code",
        "client_id": "app-1",
        "client_secret": "s",
        "redirect_uri": REDIRECT,
        **form,
    }
    return requests.post(f"{emu.url}/google/oauth2/token", data=body, timeout=TIMEOUT)


def test_the_consent_page_lists_the_accounts_things(emu):
    page = requests.get(
        f"{emu.url}/oauth/pinterest/authorize",
        params={"client_id": "1", "redirect_uri": REDIRECT, "response_type": "code"},
        timeout=TIMEOUT,
    )
    assert "Quiz demo board" in page.text and "549755885175" in page.text


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"redirect_uri": REDIRECT, "response_type": "code"}, "client_id"),
        ({"client_id": "1", "response_type": "code"}, "redirect_uri"),
        ({"client_id": "1", "redirect_uri": REDIRECT, "response_type": "token"}, "response_type"),
    ],
)
def test_a_malformed_authorize_request_gets_an_error_page(emu, params, problem):
    page = requests.get(f"{emu.url}/oauth/google/authorize", params=params, timeout=TIMEOUT)
    assert page.status_code == 400 and problem in page.text
    assert "text/html" in page.headers["Content-Type"]


def test_deny_redirects_with_access_denied_and_the_state(emu):
    back = code_for(emu, "facebook", decision="deny")
    assert back == {
        "error": "access_denied",
        "error_description": "The user denied access.",
        "error_reason": "user_denied",
        "state": "st",
    }


def test_a_code_is_single_use_and_grants_what_was_ticked(emu):
    back = code_for(emu, "google")
    first = google(emu, code=back["code"])
    assert first.status_code == 200 and first.json()["scope"] == "a"
    again = google(emu, code=back["code"])
    assert again.status_code == 400
    assert again.json() == {
        "error": "invalid_grant",
        "error_description": "The authorization code has already been used.",
    }


def test_a_code_expires(emu):
    back = code_for(emu, "google")
    requests.post(f"{emu.url}/_control/oauth", json={"advance_seconds": 600}, timeout=TIMEOUT)
    assert "expired" in google(emu, code=back["code"]).json()["error_description"]


@pytest.mark.parametrize(
    ("form", "problem"),
    [
        ({"client_id": "app-2"}, "another client"),
        ({"redirect_uri": "http://127.0.0.1:8000/other/"}, "redirect_uri"),
        ({"code_verifier": "w" * 50}, "code_verifier"),
    ],
)
def test_a_code_is_bound_to_client_redirect_and_verifier(emu, form, problem):
    back = code_for(emu, "google", verifier="v" * 50)
    answer = google(emu, **{"code": back["code"], "code_verifier": "v" * 50, **form})
    assert answer.status_code == 400 and problem in answer.json()["error_description"]


def test_pinterest_and_facebook_answer_in_their_own_error_shapes(emu):
    bad = requests.post(
        f"{emu.url}/pinterest/v5/oauth/token",
        data={"grant_type": "authorization_code", "code": "nope", "redirect_uri": REDIRECT},
        auth=("app-1", "secret"),
        timeout=TIMEOUT,
    )
    assert bad.status_code == 400 and bad.json()["code"] == 283
    graph = requests.get(
        f"{emu.url}/facebook/v26.0/oauth/access_token",
        params={"client_id": "app-1", "client_secret": "s", "code": "nope"},
        timeout=TIMEOUT,
    )
    assert graph.status_code == 400 and graph.json()["error"]["code"] == 100
    unknown = requests.get(
        f"{emu.url}/facebook/v26.0/oauth/access_token",
        params={
            "client_id": "app-1",
            "client_secret": "s",
            "grant_type": "fb_exchange_token",
            "fb_exchange_token": "EAABunknown",
        },
        timeout=TIMEOUT,
    )
    assert unknown.json()["error"]["code"] == 190


def test_facebook_long_lived_token_lists_the_page_with_its_instagram(emu):
    back = code_for(emu, "facebook", scope="pages_show_list instagram_basic")
    form = {"client_id": "app-1", "client_secret": "s", "redirect_uri": REDIRECT}
    base = f"{emu.url}/facebook/v26.0"
    short = requests.post(
        f"{base}/oauth/access_token", data={**form, "code": back["code"]}, timeout=TIMEOUT
    )
    assert short.json()["expires_in"] == 5400
    # Only "a" was ticked in code_for: pages are not listed without pages_show_list.
    token = short.json()["access_token"]
    pages = requests.get(
        f"{base}/me/accounts", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
    )
    assert pages.json()["data"] == []
    permissions = requests.get(
        f"{base}/me/permissions", params={"access_token": token}, timeout=TIMEOUT
    )
    assert {"permission": "pages_show_list", "status": "declined"} in permissions.json()["data"]


def test_the_control_endpoint_refuses_unknown_settings(emu):
    answer = requests.post(f"{emu.url}/_control/oauth", json={"nope": 1}, timeout=TIMEOUT)
    assert answer.status_code == 400 and "Unknown setting" in answer.json()["error"]
    shown = requests.get(f"{emu.url}/_control/oauth", timeout=TIMEOUT).json()
    assert shown["settings"]["code_seconds"] == 600
