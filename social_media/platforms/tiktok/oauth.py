"""TikTok access tokens: refreshed before they expire and once after a rejection.

TikTok's token endpoint takes ``client_key``, ``client_secret`` and the refresh token
(``TIKTOK_CLIENT_KEY`` / ``TIKTOK_CLIENT_SECRET``; without them nothing is refreshed).
Access tokens last 2 hours and refresh tokens 180 days (the answer's ``expires_in`` is
used, never hard-coded), and refresh tokens **rotate**: every refresh returns a new one
and the one sent stops working. The exchange is the shared OAuth refresh
(``social_media.oauth.refresh``) with the Connect flow's provider (``connect.PROVIDER``):
refreshes of one credential are serialized on its row, the newest refresh token is always
stored, and a refused one is flagged once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from social_media.oauth import refresh
from social_media.platforms.base import RefreshResult
from social_media.platforms.tiktok.connect import PROVIDER
from webhooks.models import SocialMediaCredentials

KEY = "tiktok"
# A token this close to its expiry is refreshed before a publish uses it.
PUBLISH_MARGIN = timedelta(minutes=5)


def refresh_possible(credential: SocialMediaCredentials) -> bool:
    return credential.platform == KEY and refresh.refresh_possible(PROVIDER, credential)


def expires_soon(credential: SocialMediaCredentials, margin: timedelta = PUBLISH_MARGIN) -> bool:
    """The stored expiry is known and within ``margin`` (an unknown expiry is not due)."""
    expires = credential.token_expires_at
    return expires is not None and expires <= timezone.now() + margin


def credential_refresh_token(
    *,
    credential: SocialMediaCredentials,
    stale_token: str | None = None,
    due_before: datetime | None = None,
) -> RefreshResult:
    """Exchange the refresh token for new tokens and store both (encrypted).

    ``stale_token`` is the access token TikTok just rejected: when the stored one already
    differs, another worker refreshed it and that one is used. ``due_before``: refresh only
    if the stored token still expires before then (the periodic job, racing a publish).
    """
    return refresh.credential_refresh(PROVIDER, credential, stale_token, due_before=due_before)


def credentials_refresh_expiring() -> dict[str, int] | None:
    """Periodic: refresh active TikTok tokens expiring within TIKTOK_REFRESH_BEFORE_MINUTES
    (and those whose expiry is unknown, so it becomes known); ``None`` without the app."""
    return refresh.refresh_expiring(KEY, PROVIDER)
