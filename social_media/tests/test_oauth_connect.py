"""The Connect buttons: consent, pick, reconnect, and every refused case, through the
emulator's OAuth providers (emulator/oauth.py); HTTP stubs only for the provider error shapes
the emulator does not produce."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from emulator.testing import InProcessEmulator
from social_media.oauth import flow
from social_media.platforms.registry import PLATFORMS
from tests.factories import PinterestCredentialsFactory
from webhooks.models import SocialMediaCredentials

pytestmark = pytest.mark.django_db

SITE = "http://testserver"
CONNECT = "admin:webhooks_socialmediacredentials_connect"
PICK = "admin:webhooks_socialmediacredentials_connect_pick"


@pytest.fixture
def emu(settings) -> Iterator[InProcessEmulator]:
    with InProcessEmulator() as emulator:
        url = emulator.url
        settings.SITE_URL = SITE
        settings.PINTEREST_API_BASE_URL = f"{url}/pinterest/v5"
        settings.PINTEREST_OAUTH_AUTHORIZE_URL = f"{url}/oauth/pinterest/authorize"
        settings.PINTEREST_CLIENT_ID = "1500123"
        settings.PINTEREST_CLIENT_SECRET = "pinterest-app-secret-0123456789"
        settings.FACEBOOK_GRAPH_API_BASE_URL = f"{url}/facebook/v26.0"
        settings.FACEBOOK_OAUTH_AUTHORIZE_URL = f"{url}/oauth/facebook/authorize"
        settings.FACEBOOK_APP_ID = "1234567890123456"
        settings.FACEBOOK_APP_SECRET = "facebook-app-secret-0123456789"
        settings.GOOGLE_OAUTH_AUTHORIZE_URL = f"{url}/oauth/google/authorize"
        settings.GOOGLE_OAUTH_TOKEN_URL = f"{url}/google/oauth2/token"
        settings.GOOGLE_CLIENT_ID = "demo.apps.googleusercontent.com"
        settings.GOOGLE_CLIENT_SECRET = "GOCSPX-google-secret-0123456789"
        settings.YOUTUBE_API_BASE_URL = f"{url}/youtube/v3"
        settings.TIKTOK_OAUTH_AUTHORIZE_URL = f"{url}/oauth/tiktok/authorize"
        settings.TIKTOK_API_BASE_URL = f"{url}/tiktok"
        settings.TIKTOK_CLIENT_KEY = "awdemoclientkey"
        settings.TIKTOK_CLIENT_SECRET = "tiktok-secret-0123456789"
        yield emulator


@pytest.fixture
def editor(db) -> User:
    user = User.objects.create_user("editor", password="pw", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="change_socialmediacredentials"),
        Permission.objects.get(codename="view_socialmediacredentials"),
    )
    return user


@pytest.fixture
def browser(editor) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(editor)
    return client


def consent(
    client: Client, platform: str, *, decision: str = "allow", drop: tuple[str, ...] = (), **query
) -> tuple[str, dict[str, str]]:
    """Click Connect, answer the emulator's consent page; the callback path and its query."""
    start = client.get(reverse(CONNECT, args=[platform]), query)
    assert start.status_code == 302, start
    authorize = start["Location"]
    page = requests.get(authorize, timeout=5)
    assert page.status_code == 200 and "Allow" in page.text
    params = {k: v[-1] for k, v in parse_qs(urlsplit(authorize).query).items()}
    scopes = params.get("scope", "").replace(",", " ").split()
    form = [*params.items(), ("decision", decision)]
    form += [("granted", scope) for scope in scopes if scope not in drop]
    provider = urlsplit(authorize).path.split("/")[2]
    answer = requests.post(
        authorize.split("/oauth/")[0] + f"/oauth/{provider}/decide",
        data=form,
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert f"{back.scheme}://{back.netloc}" == SITE
    return back.path, {k: v[-1] for k, v in parse_qs(back.query).items()}


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def connect(client: Client, platform: str, choice: str | None = None, **query):
    path, params = consent(client, platform, **query)
    callback = client.get(path, params)
    assert callback.status_code == 302
    assert callback["Location"] == reverse(PICK, args=[platform]), messages_of(callback)
    page = client.get(callback["Location"])
    assert page.status_code == 200
    if choice is None:
        return page
    return client.post(callback["Location"], {"choice": choice})


# --- the happy paths ---------------------------------------------------------------------------
def test_connect_pinterest_lists_the_boards_and_stores_the_pick(emu, browser):
    page = connect(browser, "pinterest")
    text = page.content.decode()
    assert "Quiz demo board" in text and "Quiz drafts" in text
    assert "pina_" not in text  # no token on the page

    done = browser.post(reverse(PICK, args=["pinterest"]), {"choice": "pinterest:549755885176"})

    credential = SocialMediaCredentials.objects.get()
    assert done["Location"] == reverse(
        "admin:webhooks_socialmediacredentials_change", args=[credential.pk]
    )
    assert credential.platform == "pinterest"
    assert credential.extra_data == {"board_id": "549755885176"}
    assert credential.access_token.startswith("pina_")
    assert credential.refresh_token.startswith("pinr_")
    assert credential.token_expires_at is not None
    assert set(credential.granted_scopes) >= {"boards:read", "pins:write"}
    assert not any("pina_" in m or "pinr_" in m for m in messages_of(done))
    assert flow.PICK_KEY not in browser.session  # the tokens left the session
    code_grant = next(r for r in emu.state.records if r["path"] == "/pinterest/v5/oauth/token")
    assert "continuous_refresh=true" in code_grant["body"]


def test_connect_facebook_gives_page_and_instagram_with_long_lived_page_tokens(emu, browser):
    page = connect(browser, "facebook")
    text = page.content.decode()
    assert "Quiz demo page" in text and "@quiz_demo" in text

    browser.post(reverse(PICK, args=["facebook"]), {"choice": "facebook:104512345678901"})

    credential = SocialMediaCredentials.objects.get()
    assert credential.extra_data == {"page_id": "104512345678901"}
    assert credential.access_token.startswith("EAAB")
    assert credential.token_expires_at is None  # page tokens of a long-lived user token
    assert credential.refresh_token == ""
    assert "pages_manage_posts" in credential.granted_scopes
    # The long-lived exchange happened before the pages were listed.
    paths = [r["path"] for r in emu.state.records]
    assert paths.count("/facebook/v26.0/oauth/access_token") == 2


def test_the_pages_instagram_account_can_be_picked(emu, browser):
    if pick_or_refused(browser, "facebook", "instagram:17841400000000001"):
        credential = SocialMediaCredentials.objects.get()
        assert credential.platform == "instagram"
        assert credential.extra_data == {"ig_user_id": "17841400000000001"}
        assert credential.access_token.startswith("EAAB")  # the page's token


def api_route(key: str) -> bool:
    """Whether the platform publishes through its API on this branch (YouTube and TikTok
    gain the API route with their native packages; until then their pick is refused)."""
    return PLATFORMS[key].supports("api")


def pick_or_refused(browser: Client, platform: str, choice: str) -> bool:
    """Pick ``choice``; True when it was stored, else check it was refused with nothing stored."""
    page = connect(browser, platform)
    offered = {c["value"]: c for c in page.context["choices"]}
    assert choice in offered
    done = browser.post(reverse(PICK, args=[platform]), {"choice": choice})
    if api_route(choice.split(":")[0]):
        assert offered[choice]["unusable"] == ""
        return True
    assert "not available" in offered[choice]["unusable"]
    assert SocialMediaCredentials.objects.count() == 0
    assert any("cannot be used" in m for m in messages_of(done))
    return False


def test_connect_youtube_with_pkce_and_refresh_token(emu, browser):
    stored = pick_or_refused(browser, "youtube_shorts", "youtube_shorts:UCquizDemoChannel0000001")

    code_grant = next(r for r in emu.state.records if r["path"] == "/google/oauth2/token")
    assert code_grant["body"].count("code_verifier=") == 1  # PKCE
    if stored:
        credential = SocialMediaCredentials.objects.get()
        assert credential.platform == "youtube_shorts"
        assert credential.extra_data == {"channel_id": "UCquizDemoChannel0000001"}
        assert credential.access_token.startswith("ya29.")
        assert credential.refresh_token.startswith("1//")


def test_connect_tiktok_uses_client_key_and_keeps_open_id(emu, browser):
    stored = pick_or_refused(browser, "tiktok", "tiktok:-000quizdemoOpenId")

    token_call = next(r for r in emu.state.records if r["path"] == "/tiktok/v2/oauth/token/")
    assert "client_key=awdemoclientkey" in token_call["body"]
    assert "code_verifier" not in token_call["body"]  # web apps: no PKCE
    if stored:
        credential = SocialMediaCredentials.objects.get()
        assert credential.extra_data["open_id"] == "-000quizdemoOpenId"
        assert credential.access_token.startswith("act.")
        assert credential.refresh_token.startswith("rft.")


def test_missing_scopes_are_named_with_what_will_not_work(emu, browser):
    page = connect(browser, "pinterest", drop=("pins:read", "pins:write"))
    text = page.content.decode()
    assert page.context["missing_scopes"] == [
        ("pins:write", "creating pins", True),
        ("pins:read", "finding a pin again after an interrupted publish", False),
    ]
    assert "finding a pin again" in text and "publishing will fail" in text


# --- reconnect ----------------------------------------------------------------------------------
def test_reconnect_replaces_the_token_and_keeps_the_credential(emu, browser):
    old = PinterestCredentialsFactory(
        extra_data={"board_id": "549755885175"},
        languages=["ru"],
        needs_reconnect=True,
        last_error="401",
    )
    done = connect(browser, "pinterest", choice="pinterest:549755885175", credential=str(old.pk))

    assert SocialMediaCredentials.objects.count() == 1
    old.refresh_from_db()
    assert old.access_token.startswith("pina_") and not old.needs_reconnect
    assert old.languages == ["ru"] and old.last_error == ""
    assert any("reconnected" in m for m in messages_of(done))


def test_connecting_the_same_board_again_updates_its_credential(emu, browser):
    old = PinterestCredentialsFactory(extra_data={"board_id": "549755885175"})
    connect(browser, "pinterest", choice="pinterest:549755885175")
    assert list(SocialMediaCredentials.objects.values_list("pk", flat=True)) == [old.pk]


def test_the_change_page_offers_reconnect(emu, browser):
    credential = PinterestCredentialsFactory()
    page = browser.get(
        reverse("admin:webhooks_socialmediacredentials_change", args=[credential.pk])
    )
    assert f"connect/pinterest/?credential={credential.pk}" in page.content.decode()


def test_the_list_has_a_connect_button_per_provider(emu, browser):
    page = browser.get(reverse("admin:webhooks_socialmediacredentials_changelist"))
    text = page.content.decode()
    for key in ("pinterest", "facebook", "youtube_shorts", "tiktok"):
        assert reverse(CONNECT, args=[key]) in text


# --- refused: state ------------------------------------------------------------------------------
def _refused(response) -> str:
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:webhooks_socialmediacredentials_changelist")
    assert SocialMediaCredentials.objects.count() == 0
    found = messages_of(response)
    assert len(found) == 1
    return found[0]


def test_a_missing_state_is_refused(emu, browser):
    path, params = consent(browser, "pinterest")
    params.pop("state")
    assert "could not be matched" in _refused(browser.get(path, params))


def test_a_reused_state_is_refused(emu, browser):
    path, params = consent(browser, "pinterest")
    assert browser.get(path, params)["Location"] == reverse(PICK, args=["pinterest"])
    browser.session.pop(flow.PICK_KEY, None)
    again = browser.get(path, params)
    assert "could not be matched" in _refused(again)


def test_a_state_from_another_session_is_refused(emu, browser, editor):
    path, params = consent(browser, "pinterest")
    other = Client(headers={"accept-language": "en"})
    other.force_login(editor)  # the same user, another browser
    assert "could not be matched" in _refused(other.get(path, params))


def test_an_expired_state_is_refused(emu, browser, monkeypatch):
    path, params = consent(browser, "pinterest")
    monkeypatch.setattr(flow, "FLOW_SECONDS", 0)
    assert "expired" in _refused(browser.get(path, params))


def test_a_state_of_another_platform_is_refused(emu, browser):
    _path, params = consent(browser, "pinterest")
    assert "another user or platform" in _refused(
        browser.get(reverse("oauth-callback", args=["facebook"]), params)
    )


# --- refused: the provider -----------------------------------------------------------------------
def test_denied_consent_stores_nothing(emu, browser):
    path, params = consent(browser, "pinterest", decision="deny")
    assert params["error"] == "access_denied"
    assert "not granted" in _refused(browser.get(path, params))


def test_an_expired_code_stores_nothing(emu, browser):
    path, params = consent(browser, "youtube_shorts")
    requests.post(f"{emu.url}/_control/oauth", json={"advance_seconds": 601}, timeout=5)
    text = _refused(browser.get(path, params))
    assert "invalid_grant" in text and "expired" in text
    assert params["code"] not in text


def test_a_code_used_twice_is_refused_by_the_provider(emu, browser, settings):
    path, params = consent(browser, "tiktok")
    from social_media.oauth.provider import redirect_uri
    from social_media.platforms.tiktok.connect import PROVIDER

    PROVIDER.exchange_code(
        code=params["code"], redirect_uri=redirect_uri("tiktok"), code_verifier="", extra={}
    )
    text = _refused(browser.get(path, params))
    assert "already been used" in text


@pytest.mark.parametrize("platform", ["pinterest", "facebook", "youtube_shorts"])
def test_an_account_without_boards_pages_or_channels_stores_nothing(emu, browser, platform):
    requests.post(f"{emu.url}/_control/oauth", json={"empty_accounts": True}, timeout=5)
    path, params = consent(browser, platform)
    assert "nothing this site can publish to" in _refused(browser.get(path, params))


def test_a_choice_that_was_not_offered_is_refused(emu, browser):
    connect(browser, "pinterest")
    forged = browser.post(reverse(PICK, args=["pinterest"]), {"choice": "pinterest:123"})
    assert "Choose one of the listed accounts" in _refused(forged)
    assert flow.PICK_KEY in browser.session  # the editor may still pick a listed one


def test_a_pick_left_too_long_is_refused(emu, browser, monkeypatch):
    connect(browser, "pinterest")
    monkeypatch.setattr(flow, "PICK_SECONDS", 0)
    late = browser.post(reverse(PICK, args=["pinterest"]), {"choice": "pinterest:549755885175"})
    assert "expired" in _refused(late)


def test_a_pick_without_a_connect_is_refused(emu, browser):
    assert "click Connect first" in _refused(browser.get(reverse(PICK, args=["pinterest"])))


def test_an_instagram_credential_is_reconnected_through_facebook(emu, browser):
    credential = SocialMediaCredentials.objects.create(
        platform="instagram", access_token="EAABold", extra_data={"ig_user_id": "17841400000000001"}
    )
    page = browser.get(
        reverse("admin:webhooks_socialmediacredentials_change", args=[credential.pk])
    )
    assert f"connect/facebook/?credential={credential.pk}" in page.content.decode()
    pick = connect(browser, "facebook", credential=str(credential.pk))
    offered = {c["value"]: c["unusable"] for c in pick.context["choices"]}
    assert "another platform" in offered["facebook:104512345678901"]


def test_a_facebook_user_without_pages_stores_nothing(emu, browser):
    path, params = consent(browser, "facebook", drop=("pages_show_list",))
    assert "nothing this site can publish to" in _refused(browser.get(path, params))


def test_a_provider_error_page_stores_nothing(emu, browser):
    emu.fault("pinterest", "status", status=503, count=1)
    path, params = consent(browser, "pinterest")
    text = _refused(browser.get(path, params))
    assert "HTTP 503" in text


def test_a_provider_error_without_code_stores_nothing(emu, browser):
    path, params = consent(browser, "pinterest")
    params.pop("code")
    assert "no authorization code" in _refused(browser.get(path, params))


def test_a_provider_error_redirect_is_shown_without_storing(emu, browser):
    path, params = consent(browser, "pinterest")
    params.pop("code")
    params["error"] = "server_error"
    assert "server_error" in _refused(browser.get(path, params))


def test_an_unreachable_token_endpoint_stores_nothing(emu, browser, settings):
    path, params = consent(browser, "pinterest")
    settings.PINTEREST_API_BASE_URL = "http://127.0.0.1:9/pinterest/v5"  # nothing listens
    assert "could not be reached" in _refused(browser.get(path, params))


def test_the_emulator_refuses_vk_id_without_pkce(emu):
    page = requests.get(
        f"{emu.url}/oauth/vkid/authorize",
        params={"client_id": "1", "redirect_uri": f"{SITE}/cb", "response_type": "code"},
        timeout=5,
    )
    assert page.status_code == 400 and "code_challenge" in page.text


# --- who may connect ------------------------------------------------------------------------------
def test_staff_without_change_permission_cannot_connect(emu, db):
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_socialmediacredentials"))
    client = Client(headers={"accept-language": "en"})
    client.force_login(viewer)
    assert client.get(reverse(CONNECT, args=["pinterest"])).status_code == 403
    assert client.get(reverse("oauth-callback", args=["pinterest"])).status_code == 403
    assert client.get(reverse(PICK, args=["pinterest"])).status_code == 403
    page = client.get(reverse("admin:webhooks_socialmediacredentials_changelist"))
    assert reverse(CONNECT, args=["pinterest"]) not in page.content.decode()


def test_anonymous_users_are_sent_to_the_login(emu, client):
    answer = client.get(reverse("oauth-callback", args=["pinterest"]), {"code": "x", "state": "y"})
    assert answer.status_code == 302 and "/admin/login/" in answer["Location"]


def test_a_platform_without_oauth_has_no_connect(emu, browser):
    assert "no Connect button" in _refused(browser.get(reverse(CONNECT, args=["yandex_dzen"])))


def test_an_app_without_client_id_says_what_to_set(emu, browser, settings):
    settings.PINTEREST_CLIENT_ID = ""
    assert "PINTEREST_CLIENT_ID" in _refused(browser.get(reverse(CONNECT, args=["pinterest"])))


# --- secrets -------------------------------------------------------------------------------------
def test_no_token_or_code_is_logged_or_left_in_urls(emu, browser, caplog):
    caplog.set_level(logging.DEBUG)
    path, params = consent(browser, "pinterest")
    callback = browser.get(path, params)
    pick = browser.get(callback["Location"])
    done = browser.post(callback["Location"], {"choice": "pinterest:549755885175"})
    credential = SocialMediaCredentials.objects.get()
    for secret in (credential.access_token, credential.refresh_token, params["code"]):
        assert secret not in caplog.text
        assert secret not in pick.content.decode()
        assert secret not in done["Location"] and secret not in callback["Location"]
    listing = browser.get(reverse("admin:webhooks_socialmediacredentials_changelist"))
    assert credential.access_token not in listing.content.decode()
