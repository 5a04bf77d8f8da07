"""Remarks a platform puts on an account, for platform packages to import.

Kept apart from ``social_media.targets``, which loads the registry (and so every
platform package) when it is imported.
"""

from __future__ import annotations

from webhooks.models import SocialMediaCredentials


def credential_notice_set(credential: SocialMediaCredentials, notice: str) -> None:
    """Record what the platform said about an account (e.g. its posts are made private),
    shown on the credential; an empty ``notice`` clears it. Never put a secret in it."""
    if credential.notice != notice:
        SocialMediaCredentials.objects.filter(pk=credential.pk).update(notice=notice)
        credential.notice = notice
