"""Poll results: the bot's ``poll`` updates recorded on the post that sent the poll.

An anonymous channel quiz reports its votes only as ``Update.poll`` (the whole poll
with ``total_voter_count`` and each option's ``voter_count``; facts §4.4). They arrive
at ``POST /api/webhooks/telegram-updates/`` (``views.py``) when a webhook is set, or are
fetched with ``getUpdates`` by the periodic job (``poll_updates``) otherwise. Each one
updates ``platform_state["poll"]`` of the post whose poll it is: ``voters``,
``correct_votes``, ``correct_share`` (``None`` before the first vote), ``is_closed``.
Counts only grow: an update older than the one recorded (by ``update_id``) is ignored.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from social_media.http import ApiError
from social_media.platforms.base import platform_setting
from social_media.platforms.telegram.client import TelegramClient
from tasks.models import SocialMediaPost
from webhooks.models import SocialMediaCredentials

logger = logging.getLogger(__name__)

KEY = "telegram"
MAX_PAGES = 10  # getUpdates calls per bot per run (100 updates each)
OFFSET_KEY = "telegram-updates-offset:{bot}"
WEBHOOK_KEY = "telegram-webhook-set:{bot}"


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def poll_numbers(poll: dict[str, Any], correct: list[int]) -> dict[str, Any] | None:
    """``voters``, ``correct_votes`` and ``correct_share`` of a ``Poll`` object."""
    options = poll.get("options")
    total = _count(poll.get("total_voter_count"))
    if total is None or not isinstance(options, list):
        return None
    given = poll.get("correct_option_ids")
    if isinstance(given, list) and given:
        correct = [i for i in given if isinstance(i, int)]
    elif isinstance(poll.get("correct_option_id"), int):
        correct = [poll["correct_option_id"]]
    votes = [
        _count(option.get("voter_count")) if isinstance(option, dict) else None
        for option in options
    ]
    right = sum(votes[i] or 0 for i in correct if 0 <= i < len(votes))
    return {
        "voters": total,
        "correct_votes": right,
        "correct_share": round(right / total, 4) if total else None,
        "option_votes": [v or 0 for v in votes],
        "is_closed": bool(poll.get("is_closed")),
    }


def update_record(update: Any) -> bool:
    """Record one update's poll on its post; ``False`` when it is not a known quiz poll."""
    if not isinstance(update, dict) or not isinstance(update.get("poll"), dict):
        return False
    poll = update["poll"]
    poll_id = str(poll.get("id") or "")
    update_id = update.get("update_id") if isinstance(update.get("update_id"), int) else 0
    if not poll_id:
        return False
    with transaction.atomic():
        post = (
            SocialMediaPost.objects.select_for_update()
            .filter(platform=KEY, platform_state__poll__id=poll_id)
            .only("pk", "platform_state")
            .first()
        )
        if post is None:
            logger.info("Telegram: обновление опроса %s — поста с таким опросом нет", poll_id)
            return False
        state = dict(post.platform_state)
        recorded = dict(state.get("poll") or {})
        if update_id and update_id < int(recorded.get("update_id") or 0):
            return True  # an older update delivered late: the newer numbers stand
        numbers = poll_numbers(poll, list(recorded.get("correct_option_ids") or []))
        if numbers is None:
            return False
        recorded.update(numbers, update_id=update_id, updated_at=timezone.now().isoformat())
        state["poll"] = recorded
        SocialMediaPost.objects.filter(pk=post.pk).update(platform_state=state)
    logger.info(
        "📊 Telegram: опрос поста %s — %s голосов, верно %s",
        post.pk,
        numbers["voters"],
        numbers["correct_share"],
    )
    return True


def _bots() -> dict[str, str]:
    """Each active credential's token, by bot id (several channels may share one bot)."""
    tokens: dict[str, str] = {}
    active = SocialMediaCredentials.objects.filter(platform=KEY, is_active=True)
    for credential in active.exclude(needs_reconnect=True):
        token = str(credential.access_token or "")
        if token:
            tokens.setdefault(token.split(":", 1)[0], token)
    return tokens


def _ensure_webhook(client: TelegramClient, bot: str, url: str, secret: str) -> str:
    """``setWebhook`` when Telegram has another URL, or we have not set this secret yet
    (Telegram does not tell the secret back; a fingerprint of both is kept in the cache)."""
    key = WEBHOOK_KEY.format(bot=bot)
    fingerprint = hashlib.sha256(f"{url}\n{secret}".encode()).hexdigest()[:32]
    info = client.get_webhook_info()
    if info.get("url") == url and cache.get(key) == fingerprint:
        return "webhook"
    client.set_webhook(url=url, secret_token=secret)
    cache.set(key, fingerprint, timeout=None)
    logger.info("Telegram: webhook обновлений бота %s установлен", bot)
    return "webhook_set"


def _poll_bot(client: TelegramClient, bot: str) -> int:
    key = OFFSET_KEY.format(bot=bot)
    offset = int(cache.get(key) or 0)
    seen = 0
    for _page in range(MAX_PAGES):
        updates = client.get_updates(offset=offset)
        for update in updates:
            update_record(update)
            if isinstance(update.get("update_id"), int):
                offset = max(offset, update["update_id"] + 1)
        seen += len(updates)
        cache.set(key, offset, timeout=None)
        if len(updates) < 100:
            break
    return seen


def poll_updates() -> dict[str, int]:
    """Periodic: register the webhook (``TELEGRAM_WEBHOOK_URL`` set) or fetch updates."""
    url = str(platform_setting("TELEGRAM_WEBHOOK_URL") or "")
    secret = str(platform_setting("TELEGRAM_WEBHOOK_SECRET") or "")
    counts = {"bots": 0, "updates": 0, "webhooks_set": 0, "failed": 0}
    for bot, token in _bots().items():
        counts["bots"] += 1
        client = TelegramClient(token=token)
        try:
            if url and secret:
                counts["webhooks_set"] += _ensure_webhook(client, bot, url, secret) == "webhook_set"
            else:
                counts["updates"] += _poll_bot(client, bot)
        except ApiError as error:
            counts["failed"] += 1
            logger.warning("Telegram: обновления бота %s не получены: %s", bot, error.message)
    return counts
