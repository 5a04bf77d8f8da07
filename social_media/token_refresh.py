"""Token refresh, asked of each platform (``BasePlatform.refresh_*``).

A platform that can refresh its tokens (Pinterest: ``platforms/pinterest/oauth.py``)
does it before they expire (the hourly ``social_media.refresh_tokens`` beat job) and
after a 401 (inside its own ``publish``).
"""

from __future__ import annotations

from social_media.platforms.base import RefreshResult
from social_media.platforms.registry import PLATFORMS
from webhooks.models import SocialMediaCredentials


def refresh_possible(credential: SocialMediaCredentials) -> bool:
    platform = PLATFORMS.get(credential.platform)
    return platform is not None and platform.refresh_possible(credential)


def credential_refresh_token(
    *, credential: SocialMediaCredentials, stale_token: str | None = None
) -> RefreshResult:
    """Refresh ``credential``'s access token through its platform."""
    platform = PLATFORMS.get(credential.platform)
    if platform is None:
        return RefreshResult(False, f"Unknown platform {credential.platform!r}.")
    return platform.refresh_token(credential, stale_token=stale_token)


def tokens_refresh_expiring() -> dict[str, dict[str, int]]:
    """Periodic: every platform's ``refresh_expiring_tokens``, by platform key."""
    done = {}
    for key, platform in PLATFORMS.items():
        counts = platform.refresh_expiring_tokens()
        if counts is not None:
            done[key] = counts
    return done


def token_expiry_warning_days(platform_key: str) -> int | None:
    """Days before expiry when the admin shows a token as due (``None``: no rule)."""
    platform = PLATFORMS.get(platform_key)
    return platform.expiry_warning_days() if platform else None
