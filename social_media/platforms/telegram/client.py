"""Telegram Bot API: the wire (methods, error mapping) and where a message lives.

Every method is ``{TELEGRAM_BOT_API_BASE_URL}/bot<token>/<method>``; answers are
``{"ok": true, "result": …}`` or ``{"ok": false, "error_code", "description",
"parameters"}`` (https://core.telegram.org/bots/api#making-requests). The token is in
the URL: the base client redacts it from every log line and message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from social_media.http import ApiClient, ApiError
from social_media.platforms.base import Outcome, platform_setting

if TYPE_CHECKING:
    import requests

    from webhooks.models import SocialMediaCredentials

NO_CHAT = (
    'Telegram: the credential has no chat_id in its extra data ({"chat_id": "@channel"} '
    'or {"chat_id": "-100…"}); set it in the admin, then retry.'
)

# Descriptions that mean the bot lost its place in the channel: reconnect (AUTH).
RIGHTS_LOST = (
    "bot is not a member",
    "bot was kicked",
    "not enough rights",
    "need administrator rights",
    "have no rights to send",
)


def chat_of(credential: SocialMediaCredentials) -> str:
    extra = credential.extra_data if isinstance(credential.extra_data, dict) else {}
    return str(extra.get("chat_id") or "").strip()


def message_link(chat: dict[str, Any] | None, chat_id: str, message_id: int | str) -> str:
    """``https://t.me/<username>/<id>`` or, for a private channel, ``t.me/c/<id>/<msg>``.

    ``chat`` is the ``Message.chat`` Telegram answered (its ``username`` wins over the
    credential's ``@name``, which may have changed case).
    """
    base = str(platform_setting("TELEGRAM_LINK_BASE_URL")).rstrip("/")
    username = str((chat or {}).get("username") or "")
    if not username and chat_id.startswith("@"):
        username = chat_id[1:]
    if username:
        return f"{base}/{username}/{message_id}"
    numeric = str((chat or {}).get("id") or chat_id)
    return f"{base}/c/{numeric.removeprefix('-100')}/{message_id}"


class TelegramClient(ApiClient):
    """One bot's Bot API (https://core.telegram.org/bots/api)."""

    def __init__(self, *, token: str, base_url: str | None = None) -> None:
        base = (base_url or platform_setting("TELEGRAM_BOT_API_BASE_URL")).rstrip("/")
        super().__init__(base_url=f"{base}/bot{token}", secrets=[token], platform_name="Telegram")

    def call(self, method: str, **kwargs: Any) -> Any:
        """One method; its ``result`` (``ApiError`` for ``ok: false`` or a broken answer)."""
        body = self.request("POST", method, **kwargs)
        if not isinstance(body, dict) or body.get("ok") is not True or "result" not in body:
            raise ApiError(
                Outcome.UNKNOWN,
                f"Telegram: {method} answered without ok/result; it may have been processed.",
                http_status=self.last_status,
                excerpt=self.last_excerpt,
            )
        return body["result"]

    def send(self, method: str, **kwargs: Any) -> dict[str, Any]:
        """A method that posts to the channel: a 5xx may have been processed (UNKNOWN)."""
        try:
            result = self.call(method, **kwargs)
        except ApiError as error:
            if error.outcome == Outcome.TRANSIENT and (error.http_status or 0) >= 500:
                error.outcome = Outcome.UNKNOWN
                error.message += " The message may have been sent."
            raise
        if not isinstance(result, dict) or not isinstance(result.get("message_id"), int):
            raise ApiError(
                Outcome.UNKNOWN,
                f"Telegram: {method} answered without a message_id; it may have been sent.",
                http_status=self.last_status,
                excerpt=self.last_excerpt,
            )
        return result

    # https://core.telegram.org/bots/api#getme
    def get_me(self) -> dict[str, Any]:
        return self.call("getMe")

    # https://core.telegram.org/bots/api#getchat
    def get_chat(self, chat_id: str) -> dict[str, Any]:
        return self.call("getChat", json={"chat_id": chat_id})

    # https://core.telegram.org/bots/api#getchatmember
    def get_chat_member(self, chat_id: str, user_id: int) -> dict[str, Any]:
        return self.call("getChatMember", json={"chat_id": chat_id, "user_id": user_id})

    # https://core.telegram.org/bots/api#sendphoto (multipart upload of the card)
    def send_photo(
        self, *, chat_id: str, photo: bytes, filename: str, mime_type: str, caption: str
    ) -> dict[str, Any]:
        return self.send(
            "sendPhoto",
            data={"chat_id": chat_id, "caption": caption, "parse_mode": "HTML"},
            files={"photo": (filename, photo, mime_type)},
        )

    # https://core.telegram.org/bots/api#sendpoll
    def send_poll(self, *, chat_id: str, poll: dict[str, Any]) -> dict[str, Any]:
        return self.send("sendPoll", json={"chat_id": chat_id, **poll})

    # https://core.telegram.org/bots/api#sendmessage
    def send_message(self, *, chat_id: str, text: str) -> dict[str, Any]:
        return self.send(
            "sendMessage",
            json={
                "chat_id": chat_id,
                "text": text,
                "parse_mode": "HTML",
                "link_preview_options": {"is_disabled": True},
            },
        )

    # https://core.telegram.org/bots/api#getupdates (short poll: the job runs periodically)
    def get_updates(self, *, offset: int, limit: int = 100) -> list[dict[str, Any]]:
        result = self.call(
            "getUpdates",
            json={"offset": offset, "limit": limit, "timeout": 0, "allowed_updates": ["poll"]},
        )
        return [u for u in result if isinstance(u, dict)] if isinstance(result, list) else []

    # https://core.telegram.org/bots/api#getwebhookinfo
    def get_webhook_info(self) -> dict[str, Any]:
        result = self.call("getWebhookInfo")
        return result if isinstance(result, dict) else {}

    # https://core.telegram.org/bots/api#setwebhook
    def set_webhook(self, *, url: str, secret_token: str) -> Any:
        return self.call(
            "setWebhook",
            json={"url": url, "secret_token": secret_token, "allowed_updates": ["poll"]},
        )

    def error_from_response(self, response: requests.Response, body: Any) -> ApiError:
        status = response.status_code
        body = body if isinstance(body, dict) else {}
        description = str(body.get("description") or f"HTTP {status}")
        parameters = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
        error = self.generic_error(response, f"{description} (HTTP {status})")
        lowered = description.lower()
        retry_after = parameters.get("retry_after")
        if isinstance(retry_after, int | float) and not isinstance(retry_after, bool):
            error.retry_after = max(float(retry_after), 0.0)
        if status == 429:
            error.outcome = Outcome.RATE_LIMITED
        elif status in (401, 404) or any(text in lowered for text in RIGHTS_LOST):
            # 404 "Not Found": the token is malformed (api.telegram.org's answer).
            error.outcome = Outcome.AUTH
        elif status == 403:
            error.outcome = Outcome.AUTH
        elif "migrate_to_chat_id" in parameters:
            new_id = parameters["migrate_to_chat_id"]
            error.outcome = Outcome.PERMANENT
            error.message = self.redact(
                f"Telegram: {description}; the chat is now {new_id}: set that chat_id "
                "in the credential."
            )
        elif 400 <= status < 500:
            error.outcome = Outcome.PERMANENT  # chat not found, can't parse entities, 409, …
        return error
