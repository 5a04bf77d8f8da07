"""TikTok's Connect button: Login Kit v2 for web (no PKCE: "required for mobile and desktop
apps" only), then the account itself (``creator_info/query``) to confirm.

The app is identified by ``client_key`` (not ``client_id``), in the authorize URL and in the
token form; scopes are comma-separated. Access tokens live 2 hours, refresh tokens 180 days
and rotate on every refresh (docs/platform-api-facts-native.md §3.6).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from social_media.http import ApiClient, ApiError
from social_media.oauth.provider import ConnectError, Destination, Grant, OAuthProvider, Scope
from social_media.platforms.base import platform_setting


def _api_base() -> str:
    return str(platform_setting("TIKTOK_API_BASE_URL")).rstrip("/")


def refresh_before() -> timedelta:
    """How long before expiry the hourly job refreshes a token (TIKTOK_REFRESH_BEFORE_MINUTES)."""
    return timedelta(minutes=int(platform_setting("TIKTOK_REFRESH_BEFORE_MINUTES")))


def creator(grant: Grant) -> list[Destination]:
    """The signed-in creator (``POST /v2/post/publish/creator_info/query/``)."""
    client = ApiClient(base_url=_api_base(), secrets=[grant.access_token], platform_name="TikTok")
    client.session.headers["Authorization"] = f"Bearer {grant.access_token}"
    try:
        body = client.request("POST", "v2/post/publish/creator_info/query/", json={})
    except ApiError as error:
        raise ConnectError(error.message) from None
    data = body.get("data") if isinstance(body, dict) else None
    open_id = str(grant.extra.get("open_id") or "")
    if not isinstance(data, dict) or not open_id:
        return []
    username = str(data.get("creator_username") or open_id)
    return [
        Destination(
            platform="tiktok",
            id=open_id,
            name=f"@{username}",
            extra_data={"open_id": open_id},
            note=str(data.get("creator_nickname") or ""),
        )
    ]


PROVIDER = OAuthProvider(
    authorize_url_setting="TIKTOK_OAUTH_AUTHORIZE_URL",
    token_url=lambda: f"{_api_base()}/v2/oauth/token/",
    client_id_setting="TIKTOK_CLIENT_KEY",
    client_secret_setting="TIKTOK_CLIENT_SECRET",  # noqa: S106 (the name of a setting)
    scopes=(
        Scope("user.info.basic", _("showing which account is connected")),
        Scope("video.publish", _("posting videos")),
        Scope("video.upload", _("uploading videos as drafts"), False),
        Scope("video.list", _("reading the numbers of posted videos"), False),
    ),
    scope_separator=",",
    client_auth="client_key_post",
    client_id_param="client_key",
    token_headers={"Cache-Control": "no-cache"},
    # Refresh grant: client_key, client_secret, grant_type, refresh_token (no scope); a
    # token whose expiry is unknown is refreshed by the next hourly job.
    refresh_before=refresh_before,
    refresh_unknown_expiry=True,
    refresh_scope=False,
    list_destinations=creator,
)
