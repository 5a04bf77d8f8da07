"""YouTube's connection test: the token's channel (``channels.list?mine=true``) must be
the credential's ``channel_id``; a token about to expire is refreshed first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from social_media.http import ApiError
from social_media.platforms import checks
from social_media.platforms.base import ConnectionVerdict, Outcome
from social_media.platforms.checks import CHECK_TIMEOUT
from social_media.platforms.youtube_shorts import oauth
from social_media.platforms.youtube_shorts.client import NAME, YouTubeClient

if TYPE_CHECKING:
    from webhooks.models import SocialMediaCredentials


def _channels(credential: SocialMediaCredentials) -> list[dict]:
    client = YouTubeClient(token=credential.access_token)
    client.timeout = CHECK_TIMEOUT
    return client.my_channels()


def test_youtube(credential: SocialMediaCredentials) -> tuple[ConnectionVerdict, str | None]:
    if oauth.expiring(credential) and oauth.refresh_possible(credential):
        refreshed = oauth.credential_refresh_token(
            credential=credential, stale_token=credential.access_token
        )
        if refreshed.rejected:
            return ConnectionVerdict(False, refreshed.message), refreshed.message
    try:
        try:
            channels = _channels(credential)
        except ApiError as error:
            if error.outcome != Outcome.AUTH or not oauth.refresh_possible(credential):
                raise
            refreshed = oauth.credential_refresh_token(
                credential=credential, stale_token=credential.access_token
            )
            if not refreshed.ok and not refreshed.rejected:
                return ConnectionVerdict(False, refreshed.message), None  # try again later
            if not refreshed.ok:
                raise
            channels = _channels(credential)
    except ApiError as error:
        return checks.failed(NAME, error)
    extra = credential.extra_data if isinstance(credential.extra_data, dict) else {}
    wanted = str(extra.get("channel_id") or "")
    if not channels:
        return ConnectionVerdict(
            False, _("The token works, but its Google account has no YouTube channel.")
        ), None
    ids = [str(channel.get("id") or "") for channel in channels]
    snippet = channels[0].get("snippet")
    title = str((snippet.get("title") if isinstance(snippet, dict) else "") or ids[0])
    if wanted not in ids:
        return ConnectionVerdict(
            False,
            _("The token belongs to channel “%(title)s” (%(found)s), not %(wanted)s.")
            % {"title": title, "found": ", ".join(ids), "wanted": wanted or "?"},
        ), None
    return ConnectionVerdict(True, _("Connected to channel “%(title)s”.") % {"title": title}), None
