"""Keeping OAuth tokens alive for every provider whose tokens expire (``BasePlatform``'s
default ``refresh_*`` hooks): before expiry from the hourly job, and once after a 401.

The credential row stays locked during the token request, so two workers never refresh
at once (TikTok and VK ID rotate refresh tokens: a second refresh with the old one fails).
A refresh the provider refuses flags the credential *needs reconnection* (once).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from social_media.oauth.provider import ACCOUNT_IDS, ConnectError, Grant, OAuthProvider
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
    provider: OAuthProvider,
    credential: SocialMediaCredentials,
    stale_token: str | None = None,
    *,
    due_before: datetime | None = None,
) -> RefreshResult:
    """Exchange the refresh token for a new access token and store both (encrypted).

    ``stale_token`` is the access token the platform just rejected: when the stored one
    already differs, another worker refreshed it meanwhile and that one is used.
    ``due_before``: refresh only if the stored token still expires before then (the
    periodic job, racing a publish that refreshed it).
    """
    if not provider.configured():
        if not provider.client_secret_setting:
            return RefreshResult(False, f"{provider.client_id_setting} is not set.")
        names = f"{provider.client_id_setting} and {provider.client_secret_setting}"
        return RefreshResult(False, f"{names} are not set.")
    with transaction.atomic():
        locked = SocialMediaCredentials.objects.select_for_update().get(pk=credential.pk)
        if stale_token is not None and locked.access_token != stale_token:
            _copy(locked, credential)
            return RefreshResult(True, "The token was already refreshed.")
        expires = locked.token_expires_at
        if due_before is not None and expires is not None and expires > due_before:
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
        _warn_other_account(locked, grant)
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


def _warn_other_account(credential: SocialMediaCredentials, grant: Grant) -> None:
    stored = credential.extra_data if isinstance(credential.extra_data, dict) else {}
    for name in ACCOUNT_IDS:
        if stored.get(name) and grant.extra.get(name) and grant.extra[name] != stored[name]:
            logger.warning("🔑 %s: токен выдан другому %s, чем в extra_data", credential, name)


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
    """Periodic: refresh the platform's active tokens that expire within ``refresh_before``
    (and those of unknown expiry, when the provider says so)."""
    if not provider.refreshable or not provider.configured():
        return None  # no app set up: nothing can be refreshed (nor was connected)
    horizon = timezone.now() + provider.refresh_margin()
    active = SocialMediaCredentials.objects.filter(
        platform=platform_key, is_active=True, needs_reconnect=False
    ).exclude(refresh_token="")
    if provider.refresh_unknown_expiry:
        active = active.exclude(token_expires_at__gt=horizon)
    else:
        active = active.filter(token_expires_at__lte=horizon)
    due = list(active.order_by("token_expires_at"))
    refreshed = sum(credential_refresh(provider, c, due_before=horizon).ok for c in due)
    return {"due": len(due), "refreshed": refreshed, "failed": len(due) - refreshed}
