"""TikTok's connection test: creator info, the call every direct post starts with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from social_media.http import ApiError
from social_media.platforms import checks
from social_media.platforms.base import ConnectionVerdict
from social_media.platforms.checks import CHECK_TIMEOUT
from social_media.platforms.tiktok.client import TikTokClient
from social_media.platforms.tiktok.privacy import AccountSettings, choose_level

if TYPE_CHECKING:
    from webhooks.models import SocialMediaCredentials


def test_tiktok(credential: SocialMediaCredentials) -> tuple[ConnectionVerdict, str | None]:
    client = TikTokClient(token=credential.access_token)
    client.timeout = CHECK_TIMEOUT
    try:
        info = client.creator_info()
    except ApiError as error:
        return checks.failed("TikTok", error)
    account = AccountSettings.of(credential.extra_data)
    user = "@" + str(info.get("creator_username") or "?")
    if not account.open_id:
        return ConnectionVerdict(
            False,
            _("Connected as %(user)s, but no open_id is set in the extra data.") % {"user": user},
        ), None
    options = [o for o in info.get("privacy_level_options") or [] if isinstance(o, str)]
    level, _why = choose_level(account.privacy_level, options, audited=account.app_audited)
    if level is None:
        return ConnectionVerdict(
            False,
            _(
                "Connected as %(user)s, but no privacy level can be used (the account offers "
                "%(options)s)."
            )
            % {"user": user, "options": ", ".join(options) or "—"},
        ), None
    longest = info.get("max_video_post_duration_sec")
    message = _("Connected as %(user)s; posts as %(level)s, videos up to %(seconds)s s.") % {
        "user": user,
        "level": level,
        "seconds": longest if isinstance(longest, int) else "?",
    }
    if credential.notice:
        message = f"{message} {credential.notice}"
    return ConnectionVerdict(True, message), None
