"""The two kinds of stand-ins side by side: the product's API platforms found by product key
(``emulator/platforms/<key>.py``) and the native stand-ins registered in ``native.py``,
whose names (``instagram``, ``tiktok``) are also product keys."""

from __future__ import annotations

from emulator import faults, server, state
from emulator.platforms import KEYS, NATIVE_NAMES, SELF_MOUNTED, native, stand_ins
from social_media.platforms import KEYS as PRODUCT_KEYS
from social_media.platforms.registry import PLATFORMS
from social_media.platforms.spec import Route


def test_the_lookup_by_key_takes_only_the_products_api_platforms():
    api_keys = [key for key in PRODUCT_KEYS if PLATFORMS[key].supports(Route.API)]
    # VK (and Telegram) have their own interface: server.py mounts them, not the lookup; the
    # native stand-ins (YouTube Shorts calls "youtube") are mounted by native.py.
    assert set(KEYS) <= set(api_keys)
    assert not set(KEYS) & (SELF_MOUNTED | NATIVE_NAMES)
    assert list(KEYS) == ["pinterest", "facebook"]
    assert "vk" in api_keys and "vk" in SELF_MOUNTED
    assert set(stand_ins()) == set(KEYS)
    # Product keys that are also native stand-ins' names (TikTok's API route calls its native
    # stand-in) are never found as product stand-ins.
    assert set(native.BY_NAME) == NATIVE_NAMES
    assert {"instagram", "tiktok"} <= set(PRODUCT_KEYS) & set(native.BY_NAME)
    assert "tiktok" in api_keys
    assert not set(faults.STAND_INS) & set(native.BY_NAME)
    assert not set(server.STAND_INS) & set(native.BY_NAME)


def test_every_stand_in_is_one_platform_of_the_emulator():
    assert len(set(state.PLATFORMS)) == len(state.PLATFORMS)
    assert set(state.PLATFORMS) == {*KEYS, "make", *native.BY_NAME, "telegram", "vk"}
    assert set(server.PLATFORM_PREFIXES) == set(state.PLATFORMS)


def test_each_stand_in_is_mounted_under_its_own_prefix_once():
    by_platform: dict[str, set[str]] = {}
    for route in server.ROUTES:
        if route.platform:
            by_platform.setdefault(route.platform, set()).add(route.pattern.pattern)
    for key, module in stand_ins().items():
        assert by_platform[key] and all(p.startswith(f"^{module.PREFIX}") for p in by_platform[key])
    for name, module in native.BY_NAME.items():
        assert {f"^{module.PREFIX}{path}$" for _, path, *_ in module.ROUTES} <= by_platform[name]
    assert set(by_platform) == set(state.PLATFORMS)
