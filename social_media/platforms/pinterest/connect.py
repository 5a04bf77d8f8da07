"""Pinterest's Connect button: OAuth 2.0 code flow, then the account's boards to pick from.

Authorize ``PINTEREST_OAUTH_AUTHORIZE_URL``; token ``{PINTEREST_API_BASE_URL}/oauth/token`` with
HTTP Basic ``client_id:client_secret`` (docs/platform-api-facts-native.md §6.1). Refreshes use
the same provider (``oauth.py``: the shared ``social_media.oauth.refresh``).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from social_media.http import ApiError
from social_media.oauth.provider import ConnectError, Destination, Grant, OAuthProvider, Scope
from social_media.platforms.base import platform_setting
from social_media.platforms.pinterest.client import PinterestClient

MAX_BOARD_PAGES = 10  # 250 boards a page


def _token_url() -> str:
    return f"{platform_setting('PINTEREST_API_BASE_URL').rstrip('/')}/oauth/token"


def refresh_before_days() -> int:
    """Days before expiry when a token is refreshed (and shown as due in the admin)."""
    return int(platform_setting("PINTEREST_REFRESH_BEFORE_DAYS"))


def list_boards(grant: Grant) -> list[Destination]:
    """``GET /boards`` (paged by ``bookmark``): every board the account can pin to."""
    client = PinterestClient(token=grant.access_token)
    boards: list[Destination] = []
    bookmark = ""
    try:
        for _page in range(MAX_BOARD_PAGES):
            params: dict[str, str | int] = {"page_size": 250}
            if bookmark:
                params["bookmark"] = bookmark
            body = client.request("GET", "boards", params=params)
            items = body.get("items") if isinstance(body, dict) else None
            for item in items or []:
                if isinstance(item, dict) and str(item.get("id") or "").isdigit():
                    board_id = str(item["id"])
                    boards.append(
                        Destination(
                            platform="pinterest",
                            id=board_id,
                            name=str(item.get("name") or board_id),
                            extra_data={"board_id": board_id},
                            note=str(item.get("privacy") or ""),
                        )
                    )
            following = body.get("bookmark") if isinstance(body, dict) else None
            if not isinstance(following, str) or not following or following == bookmark:
                break
            bookmark = following
    except ApiError as error:
        raise ConnectError(error.message) from None
    return boards


PROVIDER = OAuthProvider(
    authorize_url_setting="PINTEREST_OAUTH_AUTHORIZE_URL",
    token_url=_token_url,
    client_id_setting="PINTEREST_CLIENT_ID",
    client_secret_setting="PINTEREST_CLIENT_SECRET",  # noqa: S106 (the name of a setting)
    scopes=(
        Scope("boards:read", _("listing your boards to choose one")),
        Scope("pins:write", _("creating pins")),
        Scope("pins:read", _("finding a pin again after an interrupted publish"), False),
        Scope("user_accounts:read", _("the connection test"), False),
    ),
    scope_separator=",",
    client_auth="client_secret_basic",
    # Apps made before 2025-09-25 get the continuous (60-day, refreshable) refresh token only
    # when they ask for it (docs/platform-api-facts-native.md §6.1).
    code_params={"continuous_refresh": "true"},
    refresh_before=lambda: timedelta(days=refresh_before_days()),
    refresh_scope=False,  # the refresh grant: grant_type and refresh_token only
    list_destinations=list_boards,
)
