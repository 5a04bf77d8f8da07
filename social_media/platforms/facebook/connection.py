"""Facebook's connection test: the page, then (with app credentials) debug_token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from social_media.http import ApiError
from social_media.platforms.base import ConnectionVerdict, Outcome, platform_setting
from social_media.platforms.checks import CHECK_TIMEOUT
from social_media.platforms.checks import rejected as _rejected
from social_media.platforms.checks import unreachable as _unreachable
from social_media.platforms.facebook.client import GraphClient, page_of

if TYPE_CHECKING:
    from webhooks.models import SocialMediaCredentials


def test_facebook(
    credential: SocialMediaCredentials,
) -> tuple[ConnectionVerdict, str | None]:
    page_id = page_of(credential)
    if not page_id:
        return ConnectionVerdict(False, _("No page_id is set in the extra data.")), None
    client = GraphClient(token=credential.access_token)
    client.timeout = CHECK_TIMEOUT
    try:
        page = client.get_page(page_id=page_id)
    except ApiError as error:
        if verdict := _unreachable("Facebook", error):
            return verdict, None
        if error.outcome == Outcome.AUTH:
            return _rejected(error), error.message
        return ConnectionVerdict(
            False,
            _("Page %(page)s cannot be read (%(error)s).")
            % {"page": page_id, "error": error.message},
        ), None
    name = str(page.get("name") or page_id) if isinstance(page, dict) else page_id
    connected = _("Connected to page “%(page)s”.") % {"page": name}
    if not (platform_setting("FACEBOOK_APP_ID") and platform_setting("FACEBOOK_APP_SECRET")):
        return ConnectionVerdict(True, connected), None
    return _debug_facebook_token(credential, connected)


def _debug_facebook_token(
    credential: SocialMediaCredentials, connected: str
) -> tuple[ConnectionVerdict, str | None]:
    app_token = f"{platform_setting('FACEBOOK_APP_ID')}|{platform_setting('FACEBOOK_APP_SECRET')}"
    client = GraphClient(token=app_token, secrets=[credential.access_token])
    client.timeout = CHECK_TIMEOUT
    try:
        info = client.debug_token(input_token=credential.access_token)
    except ApiError as error:
        message = _("%(connected)s The token check failed: %(error)s") % {
            "connected": connected,
            "error": error.message,
        }
        return ConnectionVerdict(True, message), None
    if info.get("is_valid") is False:
        reason = "Facebook: debug_token says the token is not valid."
        return ConnectionVerdict(
            False, _("Token rejected: Facebook says it is not valid. Enter a new token.")
        ), reason
    expires_at = info.get("expires_at")
    if isinstance(expires_at, int) and expires_at > 0:
        when = datetime.fromtimestamp(expires_at, tz=UTC)
        if credential.token_expires_at != when:
            credential.token_expires_at = when
            credential.save(update_fields=["token_expires_at", "updated_at"])
        local = formats.date_format(timezone.localtime(when), "DATETIME_FORMAT")
        detail = _("The token is valid until %(when)s.") % {"when": local}
    else:
        detail = _("The token does not expire.")
    return ConnectionVerdict(True, f"{connected} {detail}"), None
