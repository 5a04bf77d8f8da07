"""VK ID's provider (social_media/platforms/vk/connect.py) against the emulator.

Until the VK platform package is merged, ``vk`` is not a key of the registry, so its
Connect settings (vk/oauth_conf.py) are not collected: the test declares them itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from emulator.platforms import vk as vk_emulator
from emulator.testing import InProcessEmulator
from social_media.oauth.provider import ConnectError
from social_media.platforms import KEYS, base, spec

SITE = "http://testserver"
REDIRECT = f"{SITE}/oauth/vk/callback/"


@pytest.fixture
def provider(settings, monkeypatch) -> Iterator[object]:
    from social_media.platforms.vk import connect, oauth_conf

    if "vk" not in KEYS:
        declared = [*spec.platform_settings(), *oauth_conf.SETTINGS]
        monkeypatch.setattr(base, "platform_settings", lambda: declared)
    with InProcessEmulator() as emu:
        settings.VK_CLIENT_ID = "51234567"
        settings.VK_OAUTH_AUTHORIZE_URL = f"{emu.url}/oauth/vkid/authorize"
        settings.VK_OAUTH_TOKEN_URL = f"{emu.url}/vkid/oauth2/auth"
        settings.VK_API_BASE_URL = f"{emu.url}/vk/method"
        yield connect.PROVIDER


def allow(url: str) -> dict[str, str]:
    params = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
    form = [*params.items(), ("decision", "allow")]
    form += [("granted", s) for s in params["scope"].split()]
    decide = url.split("/oauth/")[0] + "/oauth/vkid/decide"
    answer = requests.post(decide, data=form, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    return {k: v[-1] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}


def test_vk_id_code_with_pkce_lists_the_communities_and_refreshes(provider):
    url = provider.authorization_url(redirect_uri=REDIRECT, state="s1", code_verifier="v" * 64)
    assert "code_challenge=" in url and "client_id=51234567" in url
    back = allow(url)
    assert back["state"] == "s1" and back["device_id"]

    grant = provider.exchange_code(
        code=back["code"],
        redirect_uri=REDIRECT,
        code_verifier="v" * 64,
        extra={"device_id": back["device_id"]},
    )
    assert grant.access_token.startswith("vk2.a.") and grant.refresh_token.startswith("vk2.r.")
    assert grant.extra["device_id"] == back["device_id"]
    assert set(grant.scopes or ()) == {"wall", "photos", "groups"}

    found = provider.list_destinations(grant)
    assert [(d.platform, d.extra_data) for d in found] == [
        ("vk", {"group_id": str(vk_emulator.DEFAULT_GROUP_ID)})
    ]

    renewed = provider.refresh(
        refresh_token=grant.refresh_token, extra={"device_id": back["device_id"]}
    )
    assert renewed.access_token != grant.access_token
    with pytest.raises(ConnectError) as reused:  # the old refresh token was rotated away
        provider.refresh(refresh_token=grant.refresh_token, extra={"device_id": back["device_id"]})
    assert reused.value.rejected


def test_vk_id_refuses_a_wrong_code_verifier(provider):
    url = provider.authorization_url(redirect_uri=REDIRECT, state="s2", code_verifier="a" * 64)
    back = allow(url)
    with pytest.raises(ConnectError) as refused:
        provider.exchange_code(
            code=back["code"],
            redirect_uri=REDIRECT,
            code_verifier="b" * 64,
            extra={"device_id": back["device_id"]},
        )
    assert "code_verifier" in refused.value.message and refused.value.rejected


@pytest.mark.django_db
def test_refreshes_send_the_device_id_kept_in_oauth_params(provider):
    from social_media.oauth import refresh
    from webhooks.models import SocialMediaCredentials

    credential = SocialMediaCredentials(
        platform="vk",
        extra_data={"group_id": "229000001"},
        oauth_params={"device_id": "dev-1", "user_id": "ignored"},
    )
    assert refresh._extra_of(provider, credential) == {"device_id": "dev-1"}
