"""Facebook's Connect button: Facebook Login, a long-lived user token, the pages it manages
with their page tokens, and each page's Instagram professional account.

Code exchange and the long-lived exchange are ``{FACEBOOK_GRAPH_API_BASE_URL}/oauth/
access_token``, sent as POST so the app secret stays out of URLs (Graph takes POST for its GET
endpoints); ``GET /me/accounts`` with a long-lived user token hands out page tokens that do
not expire (docs/platform-api-facts-native.md §6.3), so nothing is refreshed afterwards.
A page's linked Instagram account (``instagram_business_account``) can be picked too: it
becomes an Instagram credential with ``ig_user_id`` and the page's token.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from social_media.http import ApiError
from social_media.oauth.provider import ConnectError, Destination, Grant, OAuthProvider, Scope
from social_media.platforms.base import platform_setting
from social_media.platforms.facebook.client import GraphClient

MAX_PAGES = 10  # of 100 pages each
INSTAGRAM = "instagram"  # the product key of the linked Instagram account's credential


def _token_url() -> str:
    return f"{platform_setting('FACEBOOK_GRAPH_API_BASE_URL').rstrip('/')}/oauth/access_token"


def long_lived(grant: Grant) -> Grant:
    """The short-lived user token for a long-lived one, and the permissions granted."""
    answer = PROVIDER.call(
        lambda client: client.fetch_token(
            _token_url(),
            grant_type="fb_exchange_token",
            fb_exchange_token=grant.access_token,
        ),
        secrets=(grant.access_token,),
    )
    token = PROVIDER.grant_of(answer, grant.extra)
    client = GraphClient(token=token.access_token)
    try:
        body = client.request("GET", "me/permissions")
    except ApiError as error:
        raise ConnectError(error.message) from None
    rows = body.get("data") if isinstance(body, dict) else None
    granted = tuple(
        str(row["permission"])
        for row in rows or []
        if isinstance(row, dict) and row.get("status") == "granted" and row.get("permission")
    )
    return Grant(token.access_token, "", token.expires_at, granted, token.extra)


def list_pages(grant: Grant) -> list[Destination]:
    """``GET /me/accounts`` (paged): each page, and the Instagram account linked to it."""
    client = GraphClient(token=grant.access_token)
    fields = "id,name,access_token,tasks,instagram_business_account{id,username}"
    found: list[Destination] = []
    path, params = "me/accounts", {"fields": fields, "limit": "100"}
    try:
        for _page in range(MAX_PAGES):
            body = client.request("GET", path, params=params)
            for page in (body.get("data") if isinstance(body, dict) else None) or []:
                found.extend(_page_destinations(page))
            paging = body.get("paging") if isinstance(body, dict) else None
            following = paging.get("next") if isinstance(paging, dict) else None
            if not isinstance(following, str) or not following:
                break
            path, params = following, {}
    except ApiError as error:
        raise ConnectError(error.message) from None
    return found


def _page_destinations(page: Any) -> list[Destination]:
    if not isinstance(page, dict) or not str(page.get("id") or "").isdigit():
        return []
    token = page.get("access_token")
    if not isinstance(token, str) or not token:
        return []  # no page token: the user cannot post as the page
    page_id, name = str(page["id"]), str(page.get("name") or page["id"])
    found = [
        Destination(
            platform="facebook",
            id=page_id,
            name=name,
            extra_data={"page_id": page_id},
            access_token=token,
            never_expires=True,
        )
    ]
    instagram = page.get("instagram_business_account")
    if isinstance(instagram, dict) and str(instagram.get("id") or "").isdigit():
        username = str(instagram.get("username") or instagram["id"])
        found.append(
            Destination(
                platform=INSTAGRAM,
                id=str(instagram["id"]),
                name=f"@{username}",
                extra_data={"ig_user_id": str(instagram["id"])},
                access_token=token,
                note=gettext("Instagram account linked to the page “%(page)s”") % {"page": name},
                never_expires=True,
            )
        )
    return found


PROVIDER = OAuthProvider(
    authorize_url_setting="FACEBOOK_OAUTH_AUTHORIZE_URL",
    token_url=_token_url,
    client_id_setting="FACEBOOK_APP_ID",
    client_secret_setting="FACEBOOK_APP_SECRET",  # noqa: S106 (the name of a setting)
    scopes=(
        Scope("pages_show_list", _("listing your pages to choose one")),
        Scope("pages_manage_posts", _("posting to the page")),
        Scope("pages_read_engagement", _("finding a post again and reading its numbers"), False),
        Scope("instagram_basic", _("finding the page's Instagram account"), False),
        Scope("instagram_content_publish", _("publishing to Instagram"), False),
    ),
    scope_separator=",",
    list_destinations=list_pages,
    finish=long_lived,
    refreshable=False,
    connects=(INSTAGRAM,),
)
