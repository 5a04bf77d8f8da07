"""TikTok access tokens: refreshed before they expire and once after a rejection.

TikTok's token endpoint takes ``client_key``, ``client_secret`` and the refresh token
(``TIKTOK_CLIENT_KEY`` / ``TIKTOK_CLIENT_SECRET``; without them nothing is refreshed).
Access tokens last 2 hours and refresh tokens 180 days (the answer's ``expires_in`` and
``refresh_expires_in`` are used, never hard-coded), and refresh tokens **rotate**: every
refresh returns a new one and the one sent stops working. So refreshes of one credential
are serialized on its row, and the newest refresh token is always stored.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from social_media.http import ApiError
from social_media.platforms.base import Outcome, RefreshResult, platform_setting
from social_media.platforms.tiktok.client import TikTokOAuthClient
from webhooks.models import SocialMediaCredentials

logger = logging.getLogger("social_media")

REFRESH_TIMEOUT = 10.0
# A token this close to its expiry is refreshed before a publish uses it.
PUBLISH_MARGIN = timedelta(minutes=5)


def client_credentials() -> tuple[str, str] | None:
    """``(client_key, client_secret)`` from settings, or ``None`` when either is unset."""
    key = platform_setting("TIKTOK_CLIENT_KEY")
    secret = platform_setting("TIKTOK_CLIENT_SECRET")
    return (key, secret) if key and secret else None


def refresh_before() -> timedelta:
    return timedelta(minutes=int(platform_setting("TIKTOK_REFRESH_BEFORE_MINUTES")))


def refresh_possible(credential: SocialMediaCredentials) -> bool:
    return (
        credential.platform == "tiktok"
        and bool(credential.refresh_token)
        and client_credentials() is not None
    )


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
    The row stays locked during the call, so two workers never spend one refresh token.
    """
    app = client_credentials()
    if app is None:
        return RefreshResult(False, "TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET are not set.")
    with transaction.atomic():
        locked = SocialMediaCredentials.objects.select_for_update().get(pk=credential.pk)
        if stale_token is not None and locked.access_token != stale_token:
            _copy_tokens(locked, credential)
            return RefreshResult(True, "The token was already refreshed.")
        expires = locked.token_expires_at
        if due_before is not None and expires is not None and expires > due_before:
            _copy_tokens(locked, credential)
            return RefreshResult(True, "The token was already refreshed.")
        if not locked.refresh_token:
            return RefreshResult(False, "The credential has no refresh token.", rejected=True)
        client = TikTokOAuthClient(
            client_key=app[0], client_secret=app[1], refresh_token=locked.refresh_token
        )
        client.timeout = REFRESH_TIMEOUT  # the credential row stays locked meanwhile
        try:
            answer = client.refresh_access_token()
        except ApiError as error:
            return _refresh_failed(locked, credential, error)
        access_token = answer.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            return RefreshResult(False, "TikTok: the token answer has no access_token.")
        _store(locked, answer, access_token)
    _copy_tokens(locked, credential)
    logger.info("🔑 %s: токен TikTok обновлён до %s", credential, locked.token_expires_at)
    return RefreshResult(True, "The token was refreshed.")


def _store(locked: SocialMediaCredentials, answer: dict, access_token: str) -> None:
    now = timezone.now()
    locked.access_token = access_token
    rotated = answer.get("refresh_token")
    if isinstance(rotated, str) and rotated:
        locked.refresh_token = rotated  # the one just sent no longer works
    expires_in = answer.get("expires_in")
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool) and expires_in > 0:
        locked.token_expires_at = now + timedelta(seconds=expires_in)
    else:
        locked.token_expires_at = None  # unknown: refreshed again by the next job
    open_id = answer.get("open_id")
    stored = locked.extra_data.get("open_id") if isinstance(locked.extra_data, dict) else None
    if isinstance(open_id, str) and open_id and stored and open_id != stored:
        logger.warning("🔑 %s: токен TikTok выдан другому open_id, чем в extra_data", locked)
    locked.needs_reconnect = False
    locked.last_error = ""
    locked.save(
        update_fields=[
            "access_token",
            "refresh_token",
            "token_expires_at",
            "needs_reconnect",
            "last_error",
            "updated_at",
        ]
    )


def _copy_tokens(source: SocialMediaCredentials, target: SocialMediaCredentials) -> None:
    for name in ("access_token", "refresh_token", "token_expires_at", "needs_reconnect"):
        setattr(target, name, getattr(source, name))
    target.last_error = source.last_error


def _refresh_failed(
    locked: SocialMediaCredentials, credential: SocialMediaCredentials, error: ApiError
) -> RefreshResult:
    # invalid_grant (and other 4xx): TikTok refused the refresh token; the rest may pass later.
    rejected = error.outcome in (Outcome.AUTH, Outcome.PERMANENT)
    message = f"Token refresh: {error.message}"
    if rejected:
        first = not locked.needs_reconnect
        locked.needs_reconnect = True
        locked.last_error = message
        locked.save(update_fields=["needs_reconnect", "last_error", "updated_at"])
        _copy_tokens(locked, credential)
        if first:  # one error line, not one per worker that tried
            logger.error("🔑 %s: TikTok отклонил refresh token — нужно переподключение", credential)
    else:
        logger.warning("🔑 %s: обновить токен TikTok не удалось (%s)", credential, error.message)
    return RefreshResult(False, message, rejected=rejected)


def credentials_refresh_expiring() -> dict[str, int] | None:
    """Periodic: refresh active TikTok tokens expiring within TIKTOK_REFRESH_BEFORE_MINUTES
    (and those whose expiry is unknown, so it becomes known)."""
    if client_credentials() is None:
        return None  # no app set up: nothing can be refreshed
    horizon = timezone.now() + refresh_before()
    due = list(
        SocialMediaCredentials.objects.filter(
            platform="tiktok", is_active=True, needs_reconnect=False
        )
        .exclude(refresh_token="")
        .exclude(token_expires_at__gt=horizon)
        .order_by("token_expires_at")
    )
    refreshed = sum(credential_refresh_token(credential=c, due_before=horizon).ok for c in due)
    return {"due": len(due), "refreshed": refreshed, "failed": len(due) - refreshed}
