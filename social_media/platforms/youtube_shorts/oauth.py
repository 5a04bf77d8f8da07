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

from django.db import transaction
from django.utils import timezone

from social_media.http import ApiError
from social_media.platforms.base import Outcome, PublishResult, RefreshResult, platform_setting
from social_media.platforms.youtube_shorts.client import NAME, GoogleOAuthClient
from webhooks.models import SocialMediaCredentials

logger = logging.getLogger("social_media")

KEY = "youtube_shorts"
REFRESH_TIMEOUT = 10.0
# A publish refreshes a token expiring this soon first (an upload takes a while).
REFRESH_AHEAD = timedelta(minutes=5)
# The hourly job refreshes what would expire before its next run: the refresh token
# stays in use (Google drops refresh tokens unused for 6 months) and a revoked one is
# found before a publish needs it.
PERIODIC_AHEAD = timedelta(minutes=70)


def client_credentials() -> tuple[str, str] | None:
    """``(client_id, client_secret)`` from settings, or ``None`` when either is unset."""
    client_id = platform_setting("GOOGLE_CLIENT_ID")
    client_secret = platform_setting("GOOGLE_CLIENT_SECRET")
    return (client_id, client_secret) if client_id and client_secret else None


def refresh_possible(credential: SocialMediaCredentials) -> bool:
    return (
        credential.platform == KEY
        and bool(credential.refresh_token)
        and client_credentials() is not None
    )


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
    """Exchange the refresh token for a new access token and store it (encrypted).

    ``stale_token`` is the access token Google just rejected (or the one about to
    expire): when the stored token already differs, another worker refreshed it and
    that one is used. The row stays locked during the call so two workers never
    refresh at once.
    """
    app = client_credentials()
    if app is None:
        return RefreshResult(False, "GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET are not set.")
    with transaction.atomic():
        locked = SocialMediaCredentials.objects.select_for_update().get(pk=credential.pk)
        if stale_token is not None and locked.access_token != stale_token:
            _copy_tokens(locked, credential)
            return RefreshResult(True, "The token was already refreshed.")
        if not locked.refresh_token:
            return RefreshResult(False, "The credential has no refresh token.", rejected=True)
        client = GoogleOAuthClient(
            client_id=app[0], client_secret=app[1], refresh_token=locked.refresh_token
        )
        client.timeout = REFRESH_TIMEOUT  # the credential row stays locked meanwhile
        try:
            answer = client.refresh_access_token()
        except ApiError as error:
            return _refresh_failed(locked, credential, error)
        access_token = answer.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            return RefreshResult(False, "Google: the token answer has no access_token.")
        locked.access_token = access_token
        if isinstance(answer.get("refresh_token"), str) and answer["refresh_token"]:
            locked.refresh_token = answer["refresh_token"]
        expires_in = answer.get("expires_in")
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
            locked.token_expires_at = timezone.now() + timedelta(seconds=max(expires_in, 0))
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
    _copy_tokens(locked, credential)
    logger.info("🔑 %s: токен Google обновлён до %s", credential, locked.token_expires_at)
    return RefreshResult(True, "The token was refreshed.")


def _copy_tokens(source: SocialMediaCredentials, target: SocialMediaCredentials) -> None:
    for name in ("access_token", "refresh_token", "token_expires_at", "needs_reconnect"):
        setattr(target, name, getattr(source, name))
    target.last_error = source.last_error


def _refresh_failed(
    locked: SocialMediaCredentials, credential: SocialMediaCredentials, error: ApiError
) -> RefreshResult:
    # A 4xx (invalid_grant, invalid_client…) means Google refused; anything else may pass.
    rejected = error.http_status is not None and 400 <= error.http_status < 500
    rejected = rejected and error.outcome != Outcome.RATE_LIMITED
    message = f"Token refresh: {error.message}"
    if rejected:
        locked.needs_reconnect = True
        locked.last_error = message
        locked.save(update_fields=["needs_reconnect", "last_error", "updated_at"])
        _copy_tokens(locked, credential)
        logger.error("🔑 %s: Google отклонил refresh token — нужно переподключение", credential)
    else:
        logger.warning("🔑 %s: обновить токен Google не удалось (%s)", credential, error.message)
    return RefreshResult(False, message, rejected=rejected)


def credentials_refresh_expiring() -> dict[str, int]:
    """Periodic: refresh active YouTube tokens that expire before the next hourly run."""
    if client_credentials() is None:
        logger.info("Обновление токенов Google пропущено: GOOGLE_CLIENT_ID/SECRET не заданы")
        return {"due": 0, "refreshed": 0, "failed": 0}
    horizon = timezone.now() + PERIODIC_AHEAD
    due = list(
        SocialMediaCredentials.objects.filter(
            platform=KEY, is_active=True, needs_reconnect=False, token_expires_at__lte=horizon
        )
        .exclude(refresh_token="")
        .order_by("token_expires_at")
    )
    refreshed = sum(credential_refresh_token(credential=c).ok for c in due)
    return {"due": len(due), "refreshed": refreshed, "failed": len(due) - refreshed}
