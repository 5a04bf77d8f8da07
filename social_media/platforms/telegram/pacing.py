"""The per-channel pace: at most ``TELEGRAM_MESSAGES_PER_MINUTE`` messages a minute.

Telegram allows about 20 messages a minute to one group or channel (the Bot FAQ,
docs/platform-api-facts-native.md §4.5) and answers a flood wait (429 with
``retry_after``) past it. Each message takes a slot of the chat's current minute in
the shared cache (Redis in production, so every worker counts together) before it is
sent; a message without a slot is not sent, and the post waits for the next minute.
"""

from __future__ import annotations

import time

from django.core.cache import cache

from social_media.platforms.base import platform_setting

WINDOW = 60


def take_slot(chat_id: str, now: float | None = None) -> float | None:
    """Take a send slot for ``chat_id``: ``None`` when taken, else seconds to wait."""
    now = time.time() if now is None else now
    window = int(now // WINDOW)
    key = f"telegram-pace:{chat_id.lower()}:{window}"
    cache.add(key, 0, timeout=WINDOW * 2)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW * 2)
        used = 1
    if used <= int(platform_setting("TELEGRAM_MESSAGES_PER_MINUTE")):
        return None
    return max((window + 1) * WINDOW - now, 1.0)
