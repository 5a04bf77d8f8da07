"""Google access tokens (an hour long): refreshed ahead of expiry and once after a 401.

The refresh grant needs ``GOOGLE_CLIENT_ID`` / ``GOOGLE_CLIENT_SECRET`` (the Google Cloud
project's OAuth client) and the credential's refresh token; without them nothing is
refreshed and an expired token waits for an operator. Google refresh tokens do not
rotate (the answer carries no new one) and stop working when the user revokes access,
after 6 months unused, or after 7 days for an app still in "Testing": Google answers
``invalid_grant`` and the credential is flagged for reconnection.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from social_media.http import ApiError
from social_media.oauth import refresh
from social_media.platforms.base import Outcome, PublishResult, RefreshResult
from social_media.platforms.youtube_shorts.client import NAME
from social_media.platforms.youtube_shorts.connect import PROVIDER
from webhooks.models import SocialMediaCredentials

logger = logging.getLogger("social_media")

KEY = "youtube_shorts"
# A publish refreshes a token expiring this soon first (an upload takes a while).
REFRESH_AHEAD = timedelta(minutes=5)
# The hourly job refreshes what expires within the provider's ``refresh_before`` (70 min):
# the refresh token stays in use (Google drops refresh tokens unused for 6 months) and a
# revoked one is found before a publish needs it.


def refresh_possible(credential: SocialMediaCredentials) -> bool:
    return credential.platform == KEY and refresh.refresh_possible(PROVIDER, credential)


def expiring(credential: SocialMediaCredentials, ahead: timedelta = REFRESH_AHEAD) -> bool:
    """The access token has expired or will within ``ahead`` (unknown expiry: no)."""
    expires = credential.token_expires_at
    return expires is not None and expires <= timezone.now() + ahead


def token_ready(credential: SocialMediaCredentials) -> PublishResult | None:
    """Refresh an access token that expires within minutes; a result when that failed."""
    if not expiring(credential) or not refresh_possible(credential):
        return None
    refreshed = credential_refresh_token(credential=credential, stale_token=credential.access_token)
    if refreshed.ok:
        return None
    if refreshed.rejected:
        return PublishResult(
            Outcome.AUTH,
            error_message=f"{NAME}: the access token expired and Google refused to refresh it "
            f"({refreshed.message}). Reconnect the account.",
        )
    return PublishResult(Outcome.TRANSIENT, error_message=f"{NAME}: {refreshed.message}")


def refresh_after_401(credential: SocialMediaCredentials, error: ApiError) -> PublishResult | None:
    """Refresh once after Google refused the token; ``None`` when the call may be repeated."""
    if error.outcome != Outcome.AUTH or not refresh_possible(credential):
        return error.to_result()
    refreshed = credential_refresh_token(credential=credential, stale_token=credential.access_token)
    if refreshed.ok:
        return None
    return PublishResult(
        Outcome.AUTH if refreshed.rejected else Outcome.TRANSIENT,
        http_status=error.http_status,
        error_message=f"{error.message} The token refresh failed: {refreshed.message}",
        response_excerpt=error.excerpt,
    )


def credential_refresh_token(
    *, credential: SocialMediaCredentials, stale_token: str | None = None
) -> RefreshResult:
    """Exchange the refresh token for a new access token and store it: the shared OAuth
    refresh (``social_media.oauth.refresh``) with Google's provider (``connect.PROVIDER``),
    which keeps the row locked during the call and flags a refused token once."""
    return refresh.credential_refresh(PROVIDER, credential, stale_token)


def credentials_refresh_expiring() -> dict[str, int]:
    """Periodic: refresh active YouTube tokens that expire before the next hourly run."""
    counts = refresh.refresh_expiring(KEY, PROVIDER)
    if counts is None:
        logger.info("Обновление токенов Google пропущено: GOOGLE_CLIENT_ID/SECRET не заданы")
        return {"due": 0, "refreshed": 0, "failed": 0}
    return counts
