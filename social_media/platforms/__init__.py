"""The platform registry: ``KEYS`` is the one list of platforms.

Each key names a package, ``social_media/platforms/<key>/``, that holds everything the
platform knows: ``conf.py`` (plain data read before Django starts: settings with their
defaults, secret patterns, text limits) and ``platform.py`` (``PLATFORM``, a
``BasePlatform``: label, routes, extra-data check, publish, reconcile, connection test,
token refresh, demo data). The emulator's stand-in, when it has one, is
``emulator/platforms/<key>.py``. ``registry.PLATFORMS`` maps each key to its
``PLATFORM``; the rest of the code asks it and never names a platform.

This module imports nothing, so the settings can read the ``conf.py`` modules.
"""

KEYS: tuple[str, ...] = (
    "pinterest",
    "facebook",
    "yandex_dzen",
    "instagram",
    "tiktok",
    "youtube_shorts",
    "telegram",
    "vk",
)
