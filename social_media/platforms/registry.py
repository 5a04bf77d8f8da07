"""``PLATFORMS``: every platform of ``social_media.platforms.KEYS``, by key.

Each package's ``platform.py`` exports ``PLATFORM``; the list of keys is the only
place that names them (see ``social_media/platforms/__init__.py``).
"""

from __future__ import annotations

from importlib import import_module

from django.utils.functional import Promise

from social_media.platforms import KEYS
from social_media.platforms.base import BasePlatform, Outcome, PublishResult
from social_media.platforms.spec import Route


def _load(key: str) -> BasePlatform:
    platform = import_module(f"social_media.platforms.{key}.platform").PLATFORM
    if not isinstance(platform, BasePlatform) or platform.key != key:
        raise TypeError(
            f"social_media.platforms.{key}.platform.PLATFORM must be the {key} platform."
        )
    return platform


PLATFORMS: dict[str, BasePlatform] = {key: _load(key) for key in KEYS}


def platform_choices() -> list[tuple[str, str | Promise]]:
    return [(key, platform.label) for key, platform in PLATFORMS.items()]


def api_platform_choices() -> list[tuple[str, str | Promise]]:
    return [(key, p.label) for key, p in PLATFORMS.items() if p.supports(Route.API)]


def webhook_platform_keys() -> set[str]:
    return {key for key, p in PLATFORMS.items() if p.supports(Route.WEBHOOK)}


__all__ = [
    "PLATFORMS",
    "BasePlatform",
    "Outcome",
    "PublishResult",
    "Route",
    "api_platform_choices",
    "platform_choices",
    "webhook_platform_keys",
]
