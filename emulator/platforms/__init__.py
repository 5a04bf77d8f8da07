"""The stand-ins of the API platforms: ``emulator/platforms/<key>.py``, found by the key.

A stand-in exists for each platform of ``social_media.platforms.KEYS`` that has a
module here (the webhook platforms share the Make.com stand-in, ``emulator/make.py``).
Each module provides:

- ``PREFIX`` (a path regex such as ``/pinterest/v5``) and ``ROUTES``:
  ``(method, path pattern under PREFIX, handler, needs a token)``;
- ``authenticate(request)``: ``None`` when the request carries a token, else the
  platform's 401;
- ``CREATE_HANDLERS``: the handlers that create something (counted, ``on: "create"``);
- the platform's own answers: ``not_found(method, path)``, ``status_fault(fault)``,
  ``rate_limit_fault(fault, headers)`` and ``expired_token()``.

This module only finds the keys (without importing the stand-ins, so ``emulator.state``
may use it); ``stand_ins()`` imports them.
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from types import ModuleType

from social_media.platforms import KEYS as PLATFORM_KEYS

KEYS: tuple[str, ...] = tuple(
    key for key in PLATFORM_KEYS if find_spec(f"emulator.platforms.{key}") is not None
)


def stand_ins() -> dict[str, ModuleType]:
    """Key → the stand-in module, in registry order."""
    return {key: import_module(f"emulator.platforms.{key}") for key in KEYS}
