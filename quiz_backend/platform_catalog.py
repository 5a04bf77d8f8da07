"""What the models of ``tasks`` and ``webhooks`` know about platforms.

Those models store a platform key (``SocialMediaPost.platform``,
``SocialMediaCredentials.platform``, ``Webhook.target_platforms``). The platforms
themselves live in the publishing app (``social_media.platforms.registry``), which
depends on those models, so the models cannot import it. Instead the publishing app
hands its registry to ``install()`` from ``SocialMediaConfig.ready()``, once, at start-up;
the models ask this module for choices, labels and the credential's extra-data check.

Until ``install()`` runs (only while the model modules are imported) the catalogue is
empty: the choices are callables read later, and choices don't affect the schema, so
migrations reference ``platform_choices`` / ``api_platform_choices`` here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from django.utils.functional import Promise


class CatalogPlatform(Protocol):
    """The part of ``social_media.platforms.base.BasePlatform`` the models use."""

    key: str
    label: str | Promise

    def supports(self, route: str) -> bool: ...

    def validate_extra_data(self, extra_data: dict[str, Any]) -> None: ...


_platforms: dict[str, CatalogPlatform] = {}


def install(platforms: Mapping[str, CatalogPlatform]) -> None:
    """Called by the publishing app at start-up with its registry (key → platform)."""
    _platforms.clear()
    _platforms.update(platforms)


def get(key: object) -> CatalogPlatform | None:
    return _platforms.get(key) if isinstance(key, str) else None


def label(key: str) -> str | Promise:
    """The platform's label; an unknown key is shown as it is."""
    platform = get(key)
    return platform.label if platform else key


def platform_choices() -> list[tuple[str, str | Promise]]:
    return [(key, platform.label) for key, platform in _platforms.items()]


def api_platform_choices() -> list[tuple[str, str | Promise]]:
    return [(key, p.label) for key, p in _platforms.items() if p.supports("api")]


def webhook_platform_keys() -> set[str]:
    return {key for key, p in _platforms.items() if p.supports("webhook")}
