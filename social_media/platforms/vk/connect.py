"""VK's Connect button: VK ID (OAuth 2.1, PKCE mandatory), then the communities the user
administers (``groups.get?filter=admin``) to pick from.

The callback brings a ``device_id`` that every token request needs (kept in the credential's
``oauth_params``, not in its extra data); the token requests carry a ``state`` too. Access
tokens live one hour and are refreshed by the generic refresh (docs/platform-api-facts-native.md
§5.5).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from social_media.http import ApiClient, ApiError
from social_media.oauth.provider import ConnectError, Destination, Grant, OAuthProvider, Scope
from social_media.platforms.base import platform_setting

API_VERSION = "5.199"


def list_communities(grant: Grant) -> list[Destination]:
    client = ApiClient(
        base_url=platform_setting("VK_API_BASE_URL"),
        secrets=[grant.access_token],
        platform_name="VK",
    )
    try:
        body = client.request(
            "POST",
            "groups.get",
            # The token in the form body, never in a URL.
            data={
                "filter": "admin",
                "extended": "1",
                "access_token": grant.access_token,
                "v": API_VERSION,
            },
        )
    except ApiError as error:
        raise ConnectError(error.message) from None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        message = str(body["error"].get("error_msg") or "error")
        raise ConnectError(client.redact(f"VK: {message}")[:300])
    response = body.get("response") if isinstance(body, dict) else None
    items = response.get("items") if isinstance(response, dict) else None
    found = []
    for group in items or []:
        if isinstance(group, dict) and isinstance(group.get("id"), int) and group["id"] > 0:
            group_id = str(group["id"])
            found.append(
                Destination(
                    platform="vk",
                    id=group_id,
                    name=str(group.get("name") or group_id),
                    extra_data={"group_id": group_id},
                    note=str(group.get("screen_name") or ""),
                )
            )
    return found


PROVIDER = OAuthProvider(
    authorize_url_setting="VK_OAUTH_AUTHORIZE_URL",
    token_url=lambda: str(platform_setting("VK_OAUTH_TOKEN_URL")),
    client_id_setting="VK_CLIENT_ID",
    client_auth="none",  # VK ID takes no client secret: PKCE instead
    scopes=(
        Scope("wall", _("posting to the community wall")),
        Scope("photos", _("attaching the question card")),
        Scope("groups", _("listing the communities you administer")),
    ),
    pkce=True,
    token_state=True,
    callback_params=("device_id",),
    list_destinations=list_communities,
)
