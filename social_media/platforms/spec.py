"""Plain data a platform declares, readable before Django starts.

``quiz_backend/settings.py``, ``quiz_backend/env.py`` (the allow-list of environment
variables) and ``quiz_backend/redaction.py`` need each platform's settings and secret
patterns while the settings are being read, so no app may be imported then. Each
platform package keeps these in its ``conf.py``, which imports nothing but this module;
the functions below collect them for every key in ``social_media.platforms.KEYS``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from importlib import import_module
from types import ModuleType
from typing import Literal

from social_media.platforms import KEYS


class Route(StrEnum):
    """How a post reaches the platform."""

    API = "api"  # this backend calls the platform's API with a stored credential
    WEBHOOK = "webhook"  # a Make.com / Zapier scenario posts it and calls back


@dataclass(frozen=True)
class TextLimits:
    title: int
    description: int
    alt_text: int = 500
    max_hashtags: int = 30
    # The post is found again by the task link in its text (Facebook's reconciliation).
    link_in_description: bool = False


DEFAULT_LIMITS = TextLimits(title=100, description=2000)


@dataclass(frozen=True)
class Setting:
    """A Django setting a platform reads, filled from the environment variable of that name."""

    name: str
    default: str | int | bool = ""
    type: Literal["str", "int", "bool"] = "str"
    minimum: int = 0
    # The value in the local run (scripts/run), "{emulator}" standing for the platform
    # emulator's URL; empty: the local run leaves the setting alone.
    local: str = ""


@dataclass(frozen=True)
class SecretPattern:
    """A regex whose group 1 is kept and group 2 (the secret) is masked, e.g. a token prefix."""

    pattern: str


def conf_module(key: str) -> ModuleType:
    """``social_media.platforms.<key>.conf``: the platform's plain declarations."""
    return import_module(f"social_media.platforms.{key}.conf")


def _declaring_modules(key: str) -> list[ModuleType]:
    """``conf.py``, then ``oauth_conf.py`` when the package has one (the Connect button's
    settings, kept apart so they can be added without touching ``conf.py``)."""
    modules = [conf_module(key)]
    name = f"social_media.platforms.{key}.oauth_conf"
    try:
        modules.append(import_module(name))
    except ModuleNotFoundError as error:
        if error.name != name:
            raise
    return modules


def merged(settings: Iterable[Setting]) -> list[Setting]:
    """One setting per name: the first declaration, with the local-run value of a later
    one when the first has none (``conf.py`` and ``oauth_conf.py`` may both name it)."""
    found: dict[str, Setting] = {}
    for setting in settings:
        first = found.get(setting.name)
        if first is None:
            found[setting.name] = setting
        elif not first.local and setting.local:
            found[setting.name] = replace(first, local=setting.local)
    return list(found.values())


def platform_settings() -> list[Setting]:
    """Every platform's declared settings, in registry order (see ``merged``)."""
    return merged(
        setting
        for key in KEYS
        for module in _declaring_modules(key)
        for setting in getattr(module, "SETTINGS", ())
    )


def secret_patterns() -> list[SecretPattern]:
    return [
        pattern
        for key in KEYS
        for module in _declaring_modules(key)
        for pattern in getattr(module, "SECRET_PATTERNS", ())
    ]


def text_limits() -> dict[str, TextLimits]:
    return {key: getattr(conf_module(key), "TEXT_LIMITS", DEFAULT_LIMITS) for key in KEYS}


def local_run_settings(emulator_url: str) -> dict[str, str]:
    """The settings the local run points at the emulator (each ``Setting.local``)."""
    base = emulator_url.rstrip("/")
    return {
        setting.name: setting.local.replace("{emulator}", base)
        for setting in platform_settings()
        if setting.local
    }
