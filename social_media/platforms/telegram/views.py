"""``POST /api/webhooks/telegram-updates/``: the bot's updates, pushed by Telegram.

Telegram repeats the ``secret_token`` given to ``setWebhook`` in the
``X-Telegram-Bot-Api-Secret-Token`` header of every request (facts §4.4). A missing
or wrong secret (compared in constant time), or no ``TELEGRAM_WEBHOOK_SECRET`` set at
all, is answered 403 and the body is not read; a body that is not a JSON object is
answered 400. Both change nothing. A known quiz poll is recorded (``updates.py``);
any other update is acknowledged with 200 so Telegram does not send it again.
"""

from __future__ import annotations

import hmac
import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from social_media.platforms.base import platform_setting
from social_media.platforms.telegram.updates import update_record

HEADER = "HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN"


def _secret_matches(request: HttpRequest) -> bool:
    expected = str(platform_setting("TELEGRAM_WEBHOOK_SECRET") or "")
    given = request.META.get(HEADER, "")
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


@csrf_exempt
@require_POST
def telegram_updates(request: HttpRequest) -> JsonResponse:
    if not _secret_matches(request):
        return JsonResponse(
            {"status": "error", "error": "forbidden", "message": "Wrong or missing secret token."},
            status=403,
        )
    try:
        update = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        update = None
    if not isinstance(update, dict):
        return JsonResponse(
            {
                "status": "error",
                "error": "invalid",
                "message": "The body must be a JSON object (an Update).",
            },
            status=400,
        )
    return JsonResponse({"ok": True, "recorded": update_record(update)})
