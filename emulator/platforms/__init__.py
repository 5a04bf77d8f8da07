"""The platform stand-ins.

Two kinds live here:

- **The product's API platforms**, ``emulator/platforms/<key>.py`` for a key of
  ``social_media.platforms.KEYS`` whose product package has a ``client.py`` (the API
  route: Pinterest, Facebook). The emulator mounts them by the product's key; the
  webhook platforms share the Make.com stand-in, ``emulator/make.py``. Each module
  provides:

  - ``PREFIX`` (a path regex such as ``/pinterest/v5``) and ``ROUTES``:
    ``(method, path pattern under PREFIX, handler, needs a token)``;
  - ``authenticate(request)``: ``None`` when the request carries a token, else the
    platform's 401;
  - ``CREATE_HANDLERS``: the handlers that create something (counted, ``on: "create"``);
  - the platform's own answers: ``not_found(method, path)``, ``status_fault(fault)``,
    ``rate_limit_fault(fault, headers)`` and ``expired_token()``.

- **Native APIs**: Instagram Graph publishing, YouTube uploads and TikTok Content
  Posting, registered in ``native.py`` by their emulator names (``instagram``,
  ``youtube``, ``tiktok``; ``NATIVE_NAMES``), also once the product calls them (TikTok's
  API route): they are never stand-ins of the first kind; and Telegram and VK, which
  ``server.py`` mounts itself (see emulator/README.md).

This module only finds the keys of the first kind (without importing the stand-ins, so
``emulator.state`` may use it); ``stand_ins()`` imports them.
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from types import ModuleType

from social_media.platforms import KEYS as PLATFORM_KEYS

# Stand-ins with their own interface (routes, control API, pages) that ``server.py``
# mounts itself, whether or not the product calls them yet.
SELF_MOUNTED = frozenset({"telegram", "vk"})
# The native stand-ins ``native.py`` mounts under their emulator names (its ``NATIVE``),
# also when the product calls that API (TikTok's Content Posting API route).
NATIVE_NAMES = frozenset({"instagram", "youtube", "tiktok"})


def _is_api_stand_in(key: str) -> bool:
    """The product calls ``key``'s API (its package has a client) and a stand-in of the
    first kind exists."""
    return (
        key not in SELF_MOUNTED
        and key not in NATIVE_NAMES
        and find_spec(f"social_media.platforms.{key}.client") is not None
        and find_spec(f"emulator.platforms.{key}") is not None
    )


KEYS: tuple[str, ...] = tuple(key for key in PLATFORM_KEYS if _is_api_stand_in(key))


def stand_ins() -> dict[str, ModuleType]:
    """Key → the stand-in module, in registry order."""
    return {key: import_module(f"emulator.platforms.{key}") for key in KEYS}
