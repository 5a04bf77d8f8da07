"""Keeping OAuth tokens alive for every provider whose tokens expire (``BasePlatform``'s
default ``refresh_*`` hooks): before expiry from the hourly job, and once after a 401.

The credential row stays locked during the token request, so two workers never refresh
at once (TikTok and VK ID rotate refresh tokens: a second refresh with the old one fails).
A refresh the provider refuses flags the credential *needs reconnection* (once).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from social_media.oauth.provider import ConnectError, OAuthProvider
from social_media.platforms.base import RefreshResult
from webhooks.models import SocialMediaCredentials

logger = logging.getLogger("social_media")

TOKEN_FIELDS = (
    "access_token",
    "refresh_token",
    "token_expires_at",
    "needs_reconnect",
    "last_error",
)


def refresh_possible(provider: OAuthProvider | None, credential: SocialMediaCredentials) -> bool:
    return (
        provider is not None
        and provider.refreshable
        and bool(credential.refresh_token)
        and provider.configured()
    )


def _extra_of(provider: OAuthProvider, credential: SocialMediaCredentials) -> dict[str, str]:
    """What the provider wants on every token request (VK ID's ``device_id``)."""
    stored = credential.oauth_params if isinstance(credential.oauth_params, dict) else {}
    return {name: str(stored[name]) for name in provider.callback_params if stored.get(name)}


def credential_refresh(
    provider: OAuthProvider, credential: SocialMediaCredentials, stale_token: str | None = None
) -> RefreshResult:
    """Exchange the refresh token for a new access token and store both (encrypted).

    ``stale_token`` is the access token the platform just rejected: when the stored one
    already differs, another worker refreshed it meanwhile and that one is used.
    """
    if not provider.configured():
        return RefreshResult(False, f"{provider.client_id_setting} is not set.")
    with transaction.atomic():
        locked = SocialMediaCredentials.objects.select_for_update().get(pk=credential.pk)
        if stale_token is not None and locked.access_token != stale_token:
            _copy(locked, credential)
            return RefreshResult(True, "The token was already refreshed.")
        if not locked.refresh_token:
            return RefreshResult(False, "The credential has no refresh token.", rejected=True)
        try:
            grant = provider.refresh(
                refresh_token=locked.refresh_token, extra=_extra_of(provider, locked)
            )
        except ConnectError as error:
            return _failed(locked, credential, error)
        locked.access_token = grant.access_token
        locked.refresh_token = grant.refresh_token
        locked.token_expires_at = grant.expires_at
        locked.needs_reconnect = False
        locked.last_error = ""
        locked.save(update_fields=[*TOKEN_FIELDS, "updated_at"])
    _copy(locked, credential)
    logger.info("🔑 %s: токен обновлён до %s", credential, locked.token_expires_at)
    return RefreshResult(True, "The token was refreshed.")


def _copy(source: SocialMediaCredentials, target: SocialMediaCredentials) -> None:
    for name in TOKEN_FIELDS:
        setattr(target, name, getattr(source, name))


def _failed(
    locked: SocialMediaCredentials, credential: SocialMediaCredentials, error: ConnectError
) -> RefreshResult:
    message = f"Token refresh: {error.message}"
    if error.rejected:
        first = not locked.needs_reconnect
        locked.needs_reconnect = True
        locked.last_error = message
        locked.save(update_fields=["needs_reconnect", "last_error", "updated_at"])
        _copy(locked, credential)
        if first:  # one warning, not one per attempt
            logger.error("🔑 %s: refresh token отклонён — нужно переподключение", credential)
    else:
        logger.warning("🔑 %s: обновить токен не удалось (%s)", credential, error.message)
    return RefreshResult(False, message, rejected=error.rejected)


def refresh_expiring(platform_key: str, provider: OAuthProvider) -> dict[str, int] | None:
    """Periodic: refresh the platform's active tokens that expire within ``refresh_before``."""
    if not provider.refreshable or not provider.configured():
        return None  # no app set up: nothing can be refreshed (nor was connected)
    horizon = timezone.now() + provider.refresh_before
    due = list(
        SocialMediaCredentials.objects.filter(
            platform=platform_key,
            is_active=True,
            needs_reconnect=False,
            token_expires_at__lte=horizon,
        )
        .exclude(refresh_token="")
        .order_by("token_expires_at")
    )
    refreshed = sum(credential_refresh(provider, c).ok for c in due)
    return {"due": len(due), "refreshed": refreshed, "failed": len(due) - refreshed}
