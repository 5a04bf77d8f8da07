"""Pinterest access tokens: refreshed before they expire and after a 401.

Pinterest's token endpoint takes the refresh token with HTTP Basic
``PINTEREST_CLIENT_ID:PINTEREST_CLIENT_SECRET``; without those settings nothing
is refreshed and a rejected token waits for an operator. The exchange is the shared
OAuth refresh (``social_media.oauth.refresh``) with the Connect flow's provider
(``connect.PROVIDER``): the row stays locked during the call, a refused token is
flagged once.
"""

from __future__ import annotations

import logging

from social_media.oauth import refresh
from social_media.platforms.base import RefreshResult
from social_media.platforms.pinterest.connect import PROVIDER
from webhooks.models import SocialMediaCredentials

logger = logging.getLogger("social_media")

KEY = "pinterest"


def refresh_possible(credential: SocialMediaCredentials) -> bool:
    return credential.platform == KEY and refresh.refresh_possible(PROVIDER, credential)


def credential_refresh_token(
    *, credential: SocialMediaCredentials, stale_token: str | None = None
) -> RefreshResult:
    """Exchange the refresh token for a new access token and store it (encrypted);
    ``stale_token``: the token Pinterest just rejected (another worker may have
    refreshed it meanwhile)."""
    return refresh.credential_refresh(PROVIDER, credential, stale_token)


def credentials_refresh_expiring() -> dict[str, int]:
    """Periodic: refresh active Pinterest tokens expiring within PINTEREST_REFRESH_BEFORE_DAYS."""
    counts = refresh.refresh_expiring(KEY, PROVIDER)
    if counts is None:
        logger.info("Обновление токенов Pinterest пропущено: PINTEREST_CLIENT_ID/SECRET не заданы")
        return {"due": 0, "refreshed": 0, "failed": 0}
    return counts
