"""YouTube's Connect button: Google OAuth 2.0 (offline access, PKCE), then the account's
channels (``channels.list?mine=true``) to pick from.

Google returns a refresh token only with ``access_type=offline``, and on a repeated consent
only with ``prompt=consent``; access tokens live about an hour and are refreshed by the
generic refresh (docs/platform-api-facts-native.md §2.6).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from social_media.http import ApiClient, ApiError
from social_media.oauth.provider import ConnectError, Destination, Grant, OAuthProvider, Scope
from social_media.platforms.base import platform_setting

SCOPE_BASE = "https://www.googleapis.com/auth/"


def list_channels(grant: Grant) -> list[Destination]:
    client = ApiClient(
        base_url=platform_setting("YOUTUBE_API_BASE_URL"),
        secrets=[grant.access_token],
        platform_name="YouTube",
    )
    client.session.headers["Authorization"] = f"Bearer {grant.access_token}"
    try:
        body = client.request("GET", "channels", params={"part": "snippet", "mine": "true"})
    except ApiError as error:
        raise ConnectError(error.message) from None
    found = []
    for item in (body.get("items") if isinstance(body, dict) else None) or []:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            continue
        snippet = item.get("snippet")
        if not isinstance(snippet, dict):
            snippet = {}
        found.append(
            Destination(
                platform="youtube_shorts",
                id=item["id"],
                name=str(snippet.get("title") or item["id"]),
                extra_data={"channel_id": item["id"]},
                note=str(snippet.get("customUrl") or ""),
            )
        )
    return found


PROVIDER = OAuthProvider(
    authorize_url_setting="GOOGLE_OAUTH_AUTHORIZE_URL",
    token_url=lambda: str(platform_setting("GOOGLE_OAUTH_TOKEN_URL")),
    client_id_setting="GOOGLE_CLIENT_ID",
    client_secret_setting="GOOGLE_CLIENT_SECRET",  # noqa: S106 (the name of a setting)
    scopes=(
        Scope(SCOPE_BASE + "youtube.upload", _("uploading videos")),
        Scope(
            SCOPE_BASE + "youtube.readonly",
            _("listing your channels, checking uploads and reading their numbers"),
        ),
    ),
    pkce=True,
    authorize_params={"access_type": "offline", "prompt": "consent"},
    # Google's refresh request documents no ``scope``; naming one the user declined
    # (granular consent) would be refused with invalid_scope.
    refresh_scope=False,
    list_destinations=list_channels,
)
