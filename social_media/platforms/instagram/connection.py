"""Instagram's connection test: the token reads the IG user, then its publishing quota."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from social_media.http import ApiError
from social_media.platforms.base import ConnectionVerdict, Outcome
from social_media.platforms.checks import CHECK_TIMEOUT
from social_media.platforms.checks import rejected as _rejected
from social_media.platforms.checks import unreachable as _unreachable
from social_media.platforms.instagram.client import InstagramClient, ig_user_of

if TYPE_CHECKING:
    from webhooks.models import SocialMediaCredentials


def test_instagram(
    credential: SocialMediaCredentials,
) -> tuple[ConnectionVerdict, str | None]:
    ig_user_id = ig_user_of(credential)
    if not ig_user_id:
        return ConnectionVerdict(False, _("No ig_user_id is set in the extra data.")), None
    client = InstagramClient(token=credential.access_token)
    client.timeout = CHECK_TIMEOUT
    try:
        user = client.get_user(ig_user_id=ig_user_id)
    except ApiError as error:
        if verdict := _unreachable("Instagram", error):
            return verdict, None
        if error.outcome == Outcome.AUTH:
            return _rejected(error), error.message
        return ConnectionVerdict(
            False,
            _("Instagram account %(account)s cannot be read (%(error)s).")
            % {"account": ig_user_id, "error": error.message},
        ), None
    name = str(user.get("username") or ig_user_id)
    connected = _("Connected to Instagram account @%(name)s.") % {"name": name}
    try:
        limit = client.publishing_limit(ig_user_id=ig_user_id)
    except ApiError as error:
        detail = _("The publishing quota could not be read (%(error)s).") % {"error": error.message}
        return ConnectionVerdict(True, f"{connected} {detail}"), None
    if limit.total is None:
        return ConnectionVerdict(True, connected), None
    detail = _("%(used)s of %(total)s posts published in the last %(hours)s hours.") % {
        "used": limit.usage,
        "total": limit.total,
        "hours": (limit.duration or 86400) // 3600,
    }
    return ConnectionVerdict(True, f"{connected} {detail}"), None
