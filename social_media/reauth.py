"""After the platform rejects a token: refresh it once and send again, or flag the
credential *needs reconnection* — once, with one warning, however many posts fail after.

Called from ``delivery`` (its only caller); the refresh itself goes through the platform
contract (``BasePlatform.refresh_possible`` / ``refresh_token``), so it works for every
platform whose provider can refresh, not only the one that started it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from social_media.platforms.base import Outcome, PublishResult
from social_media.token_refresh import credential_refresh_token, refresh_possible
from webhooks.models import SocialMediaCredentials

logger = logging.getLogger("social_media")


def send_refreshing(target: object, send: Callable[[], PublishResult]) -> PublishResult:
    """``send()``; after an AUTH answer for a credential that can be refreshed, refresh its
    token once and ``send()`` again. A platform that already refreshed inside its own
    ``publish`` (the token changed, or it flagged the credential) is left alone."""
    before = target.access_token if isinstance(target, SocialMediaCredentials) else None
    result = send()
    if result.outcome != Outcome.AUTH or not isinstance(target, SocialMediaCredentials):
        return result
    if target.needs_reconnect or target.access_token != before or not refresh_possible(target):
        return result
    refreshed = credential_refresh_token(credential=target, stale_token=before)
    if refreshed.ok:
        return send()
    return PublishResult(
        Outcome.AUTH if refreshed.rejected else Outcome.TRANSIENT,
        http_status=result.http_status,
        error_message=f"{result.error_message} The token refresh failed: {refreshed.message}",
        response_excerpt=result.response_excerpt,
    )


def flag_needs_reconnect(credential: SocialMediaCredentials, message: str, now: datetime) -> None:
    """Flag the credential; the warning is logged only by the call that set the flag."""
    flagged = SocialMediaCredentials.objects.filter(pk=credential.pk, needs_reconnect=False).update(
        needs_reconnect=True, last_error=message, updated_at=now
    )
    if flagged:
        logger.error("🔑 %s: токен отклонён, нужно переподключение", credential)
