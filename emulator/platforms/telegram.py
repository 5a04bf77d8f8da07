"""Telegram Bot API under ``/telegram``: ``{base}/bot<token>/<method>``, as
``https://api.telegram.org/bot<token>/<method>``.

GET or POST with a query string, a urlencoded, JSON or multipart body. Methods: getMe,
getChat, getChatMember, sendMessage, sendPhoto, sendPoll, stopPoll, setWebhook,
deleteWebhook, getWebhookInfo, getUpdates. Answers ``{"ok": true, "result": …}`` or
``{"ok": false, "error_code": N, "description": "…"[, "parameters": {…}]}``.
Facts: docs/platform-api-facts-native.md, section 4 (Telegram Bot API).

The state (bots, channels, messages, polls, updates) lives in ``TelegramState``, one per
``EmulatorState`` (``state_of``); ``EmulatorState.reset`` forgets what was sent but keeps
bots, channels and the configuration.
"""

from __future__ import annotations

import json
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from html import escape
from typing import Any

import requests

from emulator.platforms import media
from emulator.platforms.telegram_markup import ParseError, parse, utf16_len
from emulator.state import EmulatorState, Fault
from emulator.wire import Request, Response, json_response, text_response

PREFIX = "/telegram"
PAGES_PREFIX = "/t.me"  # the emulator's https://t.me: message pages
DEFAULT_TOKEN = "123456789:AAEmulatorDemoBotToken-0123456789abcd"  # noqa: S105 (emulator demo)
DEFAULT_CHANNEL = "quiz_demo"
DEFAULT_CHANNEL_ID = -1001234567890
PRIVATE_CHANNEL_ID = -1009876543210
# Photo limits (sendPhoto text): 10 MB, width + height <= 10000, ratio <= 20; 5 MB by URL.
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_URL_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_SIDES = 10000
PHOTO_MAX_RATIO = 20
CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
QUESTION_LIMIT = 300
OPTION_LIMIT = 100
EXPLANATION_LIMIT = 200
WEBHOOK_TIMEOUT = 5.0
LONG_POLL_CAP = 50.0
SECRET_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_messages": True,
    "can_edit_messages": True,
    "can_post_stories": True,
    "can_edit_stories": True,
    "can_delete_stories": True,
}
MEMBER_STATUSES = ("administrator", "member", "left", "kicked")


class TelegramError(Exception):
    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def error(code: int, description: str, parameters: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return json_response(body, code)


def bad(description: str) -> TelegramError:
    return TelegramError(400, f"Bad Request: {description}")


def ok(result: Any, description: str = "") -> Response:
    body: dict[str, Any] = {"ok": True, "result": result}
    if description:
        body["description"] = description
    return json_response(body)


def _version(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split("."))
    except ValueError:
        return (0,)


@dataclass
class TelegramConfig:
    """How the emulated Bot API server behaves (``POST /_control/telegram/config``)."""

    bot_api_version: str = "10.1"  # the current hosted version (facts 4.2)
    # A self-hosted/older server: polls.options as plain strings (before 7.3).
    accept_string_options: bool = False
    # The scalar correct_option_id of Bot API < 9.6, on a 9.6+ server (not confirmed).
    accept_correct_option_id: bool = False
    messages_per_minute: int = 20  # per chat, before 429 (facts 4.5)

    def at_least(self, version: str) -> bool:
        return _version(self.bot_api_version) >= _version(version)

    def options_range(self) -> tuple[int, int]:
        if self.at_least("10.0"):
            return 1, 12
        if self.at_least("9.1"):
            return 2, 12
        return 2, 10


@dataclass
class Bot:
    token: str
    id: int
    username: str
    first_name: str
    webhook_url: str = ""
    secret_token: str = ""
    allowed_updates: list[str] = field(default_factory=list)
    max_connections: int = 40
    last_error_date: int = 0
    last_error_message: str = ""
    # One delivery run at a time per bot, so no update is POSTed twice concurrently.
    delivering: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def user(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }


@dataclass
class Channel:
    id: int
    title: str
    username: str = ""  # "" = a private channel
    # The bot's membership: administrator (may post unless can_post_messages is off),
    # member, left (not a member) or kicked.
    bot_status: str = "administrator"
    can_post_messages: bool = True
    next_message_id: int = 1

    def chat(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "title": self.title, "type": "channel"}
        if self.username:
            chat["username"] = self.username
        return chat

    def link(self, message_id: int, base: str = "https://t.me") -> str:
        if self.username:
            return f"{base}/{self.username}/{message_id}"
        return f"{base}/c/{str(self.id).removeprefix('-100')}/{message_id}"


@dataclass
class TelegramState:
    config: TelegramConfig = field(default_factory=TelegramConfig)
    bots: dict[str, Bot] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    messages: list[dict[str, Any]] = field(default_factory=list)  # as sent, oldest first
    polls: dict[str, dict[str, Any]] = field(default_factory=dict)  # poll id -> record
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # file_id -> PhotoSize
    updates: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # bot id -> queue
    deliveries: list[dict[str, Any]] = field(default_factory=list)  # webhook POSTs
    sends: dict[int, list[float]] = field(default_factory=dict)  # chat id -> send times
    pollers: dict[int, int] = field(default_factory=dict)  # bot id -> getUpdates calls
    next_update_id: int = 700000001
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    changed: threading.Condition = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)
        self.add_bot(DEFAULT_TOKEN, "quiz_demo_bot", "Quiz Demo Bot")
        self.add_channel(DEFAULT_CHANNEL_ID, "Quiz demo", DEFAULT_CHANNEL)
        self.add_channel(PRIVATE_CHANNEL_ID, "Quiz private")

    # --- set-up -----------------------------------------------------------------------
    def add_bot(self, token: str, username: str = "", first_name: str = "Emulated bot") -> Bot:
        head, sep, tail = token.partition(":")
        if not (sep and head.isdigit() and tail):
            raise ValueError("A bot token looks like <digits>:<secret>.")
        bot = Bot(token, int(head), username or f"bot{head}_bot", first_name)
        with self.lock:
            self.bots[token] = bot
            self.revoked.discard(token)
        return bot

    def add_channel(
        self,
        chat_id: int,
        title: str,
        username: str = "",
        *,
        bot_status: str = "administrator",
        can_post_messages: bool = True,
    ) -> Channel:
        if bot_status not in MEMBER_STATUSES:
            raise ValueError(f"bot_status must be one of {', '.join(MEMBER_STATUSES)}.")
        if not str(chat_id).startswith("-100"):
            raise ValueError("A channel id looks like -100…")
        channel = Channel(chat_id, title, username.lstrip("@"), bot_status, can_post_messages)
        with self.lock:
            self.channels[chat_id] = channel
        return channel

    def set_bot_status(self, chat: str | int, status: str, can_post_messages: bool = True) -> None:
        """Make the bot an administrator, a plain member, not a member (left) or kicked."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"status must be one of {', '.join(MEMBER_STATUSES)}.")
        with self.lock:
            channel = self.find_channel(str(chat))
            if channel is None:
                raise ValueError(f"No channel {chat}.")
            channel.bot_status = status
            channel.can_post_messages = can_post_messages

    def revoke(self, token: str) -> None:
        """The bot's token was revoked in @BotFather: every call answers 401 from now on."""
        with self.lock:
            self.revoked.add(token)

    def find_channel(self, chat_id: str) -> Channel | None:
        text = chat_id.strip()
        with self.lock:
            if text.startswith("@"):
                name = text[1:].lower()
                return next((c for c in self.channels.values() if c.username.lower() == name), None)
            try:
                return self.channels.get(int(text))
            except ValueError:
                return None

    def reset(self) -> None:
        """Forget messages, polls, files, updates and webhook deliveries (set-up stays)."""
        with self.lock:
            for collection in (self.messages, self.deliveries):
                collection.clear()
            for mapping in (self.polls, self.files, self.updates, self.sends):
                mapping.clear()
            for channel in self.channels.values():
                channel.next_message_id = 1

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "config": asdict(self.config),
                "bots": [
                    {"id": b.id, "username": b.username, "webhook_url": b.webhook_url}
                    for b in self.bots.values()
                ],
                "channels": [asdict(c) for c in self.channels.values()],
                "messages": [dict(m) for m in self.messages],
                "polls": [dict(p["poll"]) for p in self.polls.values()],
                "deliveries": [dict(d) for d in self.deliveries],
            }

    # --- rate limit -------------------------------------------------------------------
    def take_send_slot(self, chat_id: int) -> None:
        """Count a message to the chat; 429 beyond ``messages_per_minute`` in 60 s."""
        now = time.monotonic()
        with self.lock:
            recent = [t for t in self.sends.get(chat_id, []) if now - t < 60]
            if len(recent) >= self.config.messages_per_minute:
                wait = max(1, math.ceil(recent[0] + 60 - now))
                self.sends[chat_id] = recent
                raise TelegramError(
                    429, f"Too Many Requests: retry after {wait}", {"retry_after": wait}
                )
            recent.append(now)
            self.sends[chat_id] = recent

    # --- updates ----------------------------------------------------------------------
    def push_update(self, bot: Bot, kind: str, payload: dict[str, Any]) -> None:
        with self.lock:
            if bot.allowed_updates and kind not in bot.allowed_updates:
                return
            update = {"update_id": self.next_update_id, kind: payload}
            self.next_update_id += 1
            self.updates.setdefault(bot.id, []).append(update)
            self.changed.notify_all()

    def deliver(self, bot: Bot) -> None:
        """POST the bot's pending updates to its webhook, oldest first; stop at a failure
        (Telegram retries later; ``deliver`` again or the next vote does)."""
        with bot.delivering:
            self._deliver(bot)

    def deliver_soon(self, bot: Bot) -> None:
        """``deliver`` in a thread of its own, as Telegram does after ``setWebhook``."""
        threading.Thread(target=self.deliver, args=(bot,), daemon=True).start()

    def _deliver(self, bot: Bot) -> None:
        while True:
            with self.lock:
                queue = self.updates.get(bot.id) or []
                if not bot.webhook_url or not queue:
                    return
                update, url, secret = queue[0], bot.webhook_url, bot.secret_token
            headers = {"Content-Type": "application/json"}
            if secret:
                headers["X-Telegram-Bot-Api-Secret-Token"] = secret
            entry: dict[str, Any] = {"url": url, "update": update, "at": time.time()}
            try:
                answer = requests.post(
                    url, data=json.dumps(update).encode(), headers=headers, timeout=WEBHOOK_TIMEOUT
                )
            except requests.RequestException as exc:
                entry["error"] = type(exc).__name__
            else:
                entry["status_code"] = answer.status_code
            delivered = 200 <= entry.get("status_code", 0) < 300
            with self.lock:
                self.deliveries.append(entry)
                if not delivered:
                    bot.last_error_date = int(time.time())
                    bot.last_error_message = (
                        f"Wrong response from the webhook: {entry['status_code']}"
                        if "status_code" in entry
                        else "Connection refused"
                    )
                    return
                pending = self.updates.get(bot.id) or []
                if pending and pending[0] is update:
                    pending.pop(0)

    # --- simulated voters -------------------------------------------------------------
    def vote(self, poll_id: str, count: int, correct_share: float = 0.5) -> dict[str, Any]:
        """``count`` anonymous voters answer the poll, ``correct_share`` of them (0–1)
        correctly; the bot gets a ``poll`` update (webhook or getUpdates)."""
        if count < 0 or not 0 <= correct_share <= 1:
            raise ValueError("count must be >= 0 and correct_share between 0 and 1.")
        with self.lock:
            record = self.polls.get(poll_id)
            if record is None:
                raise ValueError(f"No poll {poll_id}.")
            poll = record["poll"]
            if poll["is_closed"]:
                raise ValueError("The poll is closed.")
            options = poll["options"]
            correct = record["correct"] or [0]
            right = round(count * correct_share) if poll["type"] == "quiz" else 0
            wrong_options = [i for i in range(len(options)) if i not in correct] or correct
            for _ in range(right):
                options[correct[0]]["voter_count"] += 1
            for number in range(count - right):
                target = (
                    wrong_options[number % len(wrong_options)]
                    if poll["type"] == "quiz"
                    else number % len(options)
                )
                options[target]["voter_count"] += 1
            poll["total_voter_count"] += count
            bot = record["bot"]
            self.push_update(bot, "poll", self.poll_for_update(record))
            result = json.loads(json.dumps(poll))
        self.deliver(bot)
        return result

    def close_poll(self, poll_id: str) -> dict[str, Any]:
        with self.lock:
            record = self.polls.get(poll_id)
            if record is None:
                raise ValueError(f"No poll {poll_id}.")
            record["poll"]["is_closed"] = True
            bot = record["bot"]
            self.push_update(bot, "poll", self.poll_for_update(record))
            result = json.loads(json.dumps(record["poll"]))
        self.deliver(bot)
        return result

    def poll_for_update(self, record: dict[str, Any]) -> dict[str, Any]:
        return json.loads(json.dumps(record["poll"]))


def state_of(state: EmulatorState) -> TelegramState:
    """The Telegram part of the emulator's state (made on first use)."""
    with state.lock:
        found = state.extensions.get("telegram")
        if not isinstance(found, TelegramState):
            found = TelegramState()
            state.extensions["telegram"] = found
        return found


# --- requests ---------------------------------------------------------------------------
def authenticate(request: Request) -> Response | None:
    """A token must look like ``<digits>:<secret>`` (else 404, as api.telegram.org)."""
    head, sep, tail = request.params.get("token", "").partition(":")
    if sep and head.isdigit() and tail:
        return None
    return error(404, "Not Found")


def _bot(tg: TelegramState, request: Request) -> Bot:
    token = request.params.get("token", "")
    with tg.lock:
        bot = tg.bots.get(token)
        if bot is None or token in tg.revoked:
            raise TelegramError(401, "Unauthorized")
        return bot


Method = Callable[[TelegramState, Bot, media.Params, EmulatorState], Response]


def _method(function: Method) -> Callable[[EmulatorState, Request], Response]:
    def handler(state: EmulatorState, request: Request) -> Response:
        tg = state_of(state)
        try:
            bot = _bot(tg, request)
            return function(tg, bot, media.parse_params(request), state)
        except TelegramError as exc:
            return error(exc.code, exc.description, exc.parameters)

    handler.__name__ = function.__name__
    handler.__doc__ = function.__doc__
    return handler


def _json_value(params: media.Params, name: str) -> Any:
    """A parameter that is JSON-serialized in forms and a JSON value in a JSON body."""
    value = params.values.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise bad(f"can't parse {name} JSON object") from None
    return value


def _flag(params: media.Params, name: str, default: bool) -> bool:
    value = params.values.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "on")


def _channel_for_sending(tg: TelegramState, params: media.Params) -> Channel:
    chat_id = params.text("chat_id")
    if not chat_id:
        raise bad("chat_id is empty")
    channel = tg.find_channel(chat_id)
    if channel is None:
        raise bad("chat not found")
    if channel.bot_status == "kicked":
        raise TelegramError(403, "Forbidden: bot was kicked from the channel chat")
    if channel.bot_status == "left":
        raise TelegramError(403, "Forbidden: bot is not a member of the channel chat")
    if channel.bot_status != "administrator" or not channel.can_post_messages:
        raise bad("need administrator rights in the channel chat")
    return channel


def _formatted(
    params: media.Params, text_name: str, mode_name: str, entities_name: str
) -> tuple[str, list[dict[str, Any]]]:
    text = params.text(text_name)
    mode = params.text(mode_name)
    try:
        plain, entities = parse(text, mode)
    except ParseError as exc:
        raise bad(f"can't parse entities: {exc}") from None
    except ValueError:
        raise bad("unsupported parse_mode") from None
    if not mode and params.has(entities_name):
        given = _json_value(params, entities_name)
        if not isinstance(given, list):
            raise bad(f"can't parse {entities_name} JSON object")
        entities = given
    return plain, entities


def _message(tg: TelegramState, channel: Channel, **content: Any) -> dict[str, Any]:
    with tg.lock:
        message_id = channel.next_message_id
        channel.next_message_id += 1
        message = {
            "message_id": message_id,
            "sender_chat": channel.chat(),
            "chat": channel.chat(),
            "date": int(time.time()),
            **{name: value for name, value in content.items() if value not in (None, [], "")},
        }
        tg.messages.append(message)
    return message


# --- methods ----------------------------------------------------------------------------
def get_me(tg: TelegramState, bot: Bot, params: media.Params, state: EmulatorState) -> Response:
    return ok(bot.user())


def get_chat(tg: TelegramState, bot: Bot, params: media.Params, state: EmulatorState) -> Response:
    channel = tg.find_channel(params.text("chat_id"))
    if channel is None or (not channel.username and channel.bot_status in ("left", "kicked")):
        raise bad("chat not found")
    info = {
        **channel.chat(),
        "description": f"{channel.title} (emulated)",
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
        },
    }
    return ok(info)


def get_chat_member(
    tg: TelegramState, bot: Bot, params: media.Params, state: EmulatorState
) -> Response:
    channel = tg.find_channel(params.text("chat_id"))
    if channel is None:
        raise bad("chat not found")
    user_id = params.text("user_id")
    if not user_id.lstrip("-").isdigit():
        raise bad("invalid user_id specified")
    if int(user_id) != bot.id:
        raise bad("user not found")
    if channel.bot_status == "kicked":
        return ok({"status": "kicked", "user": bot.user(), "until_date": 0})
    if channel.bot_status == "left":
        return ok({"status": "left", "user": bot.user()})
    if channel.bot_status == "member":
        return ok({"status": "member", "user": bot.user()})
    rights = {**ADMIN_RIGHTS, "can_post_messages": channel.can_post_messages}
    return ok({"status": "administrator", "user": bot.user(), **rights})


def send_message(
    tg: TelegramState, bot: Bot, params: media.Params, state: EmulatorState
) -> Response:
    channel = _channel_for_sending(tg, params)
    text, entities = _formatted(params, "text", "parse_mode", "entities")
    if not text.strip():
        raise bad("message text is empty")
    if utf16_len(text) > TEXT_LIMIT:
        raise bad("message is too long")
    tg.take_send_slot(channel.id)
    return ok(_message(tg, channel, text=text, entities=entities))


def _photo_bytes(tg: TelegramState, params: media.Params) -> bytes | list[dict[str, Any]]:
    """The picture sent (bytes), or the sizes of a file_id sent before."""
    if "photo" in params.files:
        return params.files["photo"].data
    value = params.text("photo")
    if value.startswith("attach://"):
        upload = params.files.get(value[9:])
        if upload is None:
            raise bad("wrong file identifier/HTTP URL specified")
        return upload.data
    if not value:
        raise bad("there is no photo in the request")
    if value.startswith(("http://", "https://")):
        try:
            _, data = media.fetch_loopback(value, PHOTO_URL_MAX_BYTES)
        except media.FetchError:
            raise bad("failed to get HTTP URL content") from None
        if media.inspect_image(data) is None:
            raise bad("wrong type of the web page content")
        return data
    with tg.lock:
        known = tg.files.get(value)
    if known is None:
        raise bad("wrong file identifier/HTTP URL specified")
    return list(known["sizes"])


def _photo_sizes(tg: TelegramState, data: bytes) -> list[dict[str, Any]]:
    if len(data) > PHOTO_MAX_BYTES:
        raise bad("file is too big")
    info = media.inspect_image(data)
    if info is None:
        raise bad("IMAGE_PROCESS_FAILED")
    longest, shortest = max(info.width, info.height), min(info.width, info.height)
    if info.width + info.height > PHOTO_MAX_SIDES or longest > PHOTO_MAX_RATIO * shortest:
        raise bad("PHOTO_INVALID_DIMENSIONS")
    sizes: list[dict[str, Any]] = []
    for side in (90, 320, 800, 1280, 2560):
        scale = min(1.0, side / longest)
        width, height = max(1, round(info.width * scale)), max(1, round(info.height * scale))
        unique = secrets.token_urlsafe(11)
        sizes.append(
            {
                "file_id": "AgACAgIAAxkDAAI" + secrets.token_urlsafe(40),
                "file_unique_id": "AQAD" + unique[:12],
                "file_size": max(1, round(info.size * scale * scale)),
                "width": width,
                "height": height,
            }
        )
        if scale == 1.0:
            break
    with tg.lock:
        tg.files[sizes[-1]["file_id"]] = {"sizes": sizes, "bytes": len(data)}
    return sizes


def send_photo(tg: TelegramState, bot: Bot, params: media.Params, state: EmulatorState) -> Response:
    channel = _channel_for_sending(tg, params)
    caption, entities = _formatted(params, "caption", "parse_mode", "caption_entities")
    if utf16_len(caption) > CAPTION_LIMIT:
        raise bad("message caption is too long")
    photo = _photo_bytes(tg, params)
    sizes = photo if isinstance(photo, list) else _photo_sizes(tg, photo)
    tg.take_send_slot(channel.id)
    message = _message(
        tg,
        channel,
        photo=sizes,
        caption=caption,
        caption_entities=entities,
        has_media_spoiler=True if _flag(params, "has_spoiler", False) else None,
        show_caption_above_media=True if _flag(params, "show_caption_above_media", False) else None,
    )
    return ok(message)


def _poll_options(tg: TelegramState, params: media.Params) -> list[str]:
    raw = _json_value(params, "options")
    if not isinstance(raw, list):
        raise bad("can't parse options JSON object")
    config = tg.config
    strings_allowed = config.accept_string_options or not config.at_least("7.3")
    texts: list[str] = []
    for option in raw:
        if isinstance(option, str) and strings_allowed:
            texts.append(option)
        elif (
            isinstance(option, dict)
            and config.at_least("7.3")
            and isinstance(option.get("text"), str)
        ):
            texts.append(option["text"])
        else:
            raise bad("can't parse InputPollOption JSON object")
    low, high = config.options_range()
    if len(texts) < low:
        raise bad(f"poll must have at least {low} option{'s' if low > 1 else ''}")
    if len(texts) > high:
        raise bad(f"poll can't have more than {high} options")
    for text in texts:
        if not text.strip():
            raise bad("poll options must be non-empty")
        if utf16_len(text) > OPTION_LIMIT:
            raise bad(f"poll options length must not exceed {OPTION_LIMIT}")
    return texts


def _correct_ids(tg: TelegramState, params: media.Params, options: int) -> list[int]:
    config = tg.config
    new = config.at_least("9.6")
    ids: Any = None
    if new and params.has("correct_option_ids"):
        ids = _json_value(params, "correct_option_ids")
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            raise bad("can't parse correct_option_ids JSON object")
        if ids != sorted(set(ids)):
            raise bad("correct option IDs must be monotonically increasing")
    elif params.has("correct_option_id") and (not new or config.accept_correct_option_id):
        text = params.text("correct_option_id")
        if not text.lstrip("-").isdigit():
            raise bad("wrong correct option ID specified")
        ids = [int(text)]
    if not ids or any(not 0 <= i < options for i in ids):
        raise bad("wrong correct option ID specified")
    if not new and len(ids) != 1:
        raise bad("wrong correct option ID specified")
    return list(ids)


def send_poll(tg: TelegramState, bot: Bot, params: media.Params, state: EmulatorState) -> Response:
    channel = _channel_for_sending(tg, params)
    question = params.text("question")
    if not question.strip():
        raise bad("poll question must be non-empty")
    if utf16_len(question) > QUESTION_LIMIT:
        raise bad(f"poll question length must not exceed {QUESTION_LIMIT}")
    options = _poll_options(tg, params)
    kind = params.text("type", "regular") or "regular"
    if kind not in ("quiz", "regular"):
        raise bad("wrong poll type specified")
    anonymous = _flag(params, "is_anonymous", True)
    if not anonymous:
        raise bad("non-anonymous polls can't be sent to channel chats")
    correct = _correct_ids(tg, params, len(options)) if kind == "quiz" else []
    explanation, explanation_entities = _formatted(
        params, "explanation", "explanation_parse_mode", "explanation_entities"
    )
    if utf16_len(explanation) > EXPLANATION_LIMIT or explanation.count("\n") > 2:
        raise bad("explanation is too long")
    new = tg.config.at_least("9.6")
    poll: dict[str, Any] = {
        "id": str(5000000000000000000 + secrets.randbelow(10**18)),
        "question": question,
        "options": [
            {
                **({"persistent_id": secrets.token_hex(4)} if new else {}),
                "text": t,
                "voter_count": 0,
            }
            for t in options
        ],
        "total_voter_count": 0,
        "is_closed": _flag(params, "is_closed", False),
        "is_anonymous": True,
        "type": kind,
        "allows_multiple_answers": kind == "regular"
        and _flag(params, "allows_multiple_answers", False),
    }
    if new:
        poll["allows_revoting"] = _flag(params, "allows_revoting", kind == "regular")
        poll["members_only"] = _flag(params, "members_only", False)
    if kind == "quiz":
        if new:
            poll["correct_option_ids"] = correct
        else:
            poll["correct_option_id"] = correct[0]
        if explanation:
            poll["explanation"] = explanation
            if explanation_entities:
                poll["explanation_entities"] = explanation_entities
    tg.take_send_slot(channel.id)
    message = _message(tg, channel, poll=poll)
    with tg.lock:
        tg.polls[poll["id"]] = {
            "poll": poll,
            "bot": bot,
            "chat_id": channel.id,
            "message_id": message["message_id"],
            "correct": correct,
        }
    return ok(message)


def stop_poll(tg: TelegramState, bot: Bot, params: media.Params, state: EmulatorState) -> Response:
    channel = _channel_for_sending(tg, params)
    message_id = params.text("message_id")
    with tg.lock:
        record = next(
            (
                r
                for r in tg.polls.values()
                if r["chat_id"] == channel.id and str(r["message_id"]) == message_id
            ),
            None,
        )
    if record is None:
        raise bad("message to stop not found")
    if record["poll"]["is_closed"]:
        raise bad("poll has already been closed")
    return ok(tg.close_poll(record["poll"]["id"]))


def _webhook_url_problem(url: str) -> str:
    if url.startswith("https://") or media.is_loopback_url(url):
        return ""
    return "bad webhook: An HTTPS URL must be provided for webhook"


def set_webhook(
    tg: TelegramState, bot: Bot, params: media.Params, state: EmulatorState
) -> Response:
    url = params.text("url")
    secret = params.text("secret_token")
    if url and _webhook_url_problem(url):
        raise bad(_webhook_url_problem(url))
    if secret and (len(secret) > 256 or not set(secret) <= SECRET_CHARS):
        raise bad("secret token contains unallowed characters")
    allowed = _json_value(params, "allowed_updates") if params.has("allowed_updates") else None
    if allowed is not None and not isinstance(allowed, list):
        raise bad("can't parse allowed_updates JSON object")
    with tg.lock:
        was = bot.webhook_url
        bot.webhook_url, bot.secret_token = url, secret
        if allowed is not None:
            bot.allowed_updates = [str(kind) for kind in allowed]
        if params.text("max_connections").isdigit():
            bot.max_connections = min(max(int(params.text("max_connections")), 1), 100)
        if _flag(params, "drop_pending_updates", False):
            tg.updates.pop(bot.id, None)
    if not url:
        return ok(True, "Webhook was deleted" if was else "Webhook is already deleted")
    tg.deliver_soon(bot)  # pending updates follow the answer
    return ok(True, "Webhook is already set" if was == url else "Webhook was set")


def delete_webhook(
    tg: TelegramState, bot: Bot, params: media.Params, state: EmulatorState
) -> Response:
    with tg.lock:
        was = bot.webhook_url
        bot.webhook_url = bot.secret_token = ""
        if _flag(params, "drop_pending_updates", False):
            tg.updates.pop(bot.id, None)
    return ok(True, "Webhook was deleted" if was else "Webhook is already deleted")


def get_webhook_info(
    tg: TelegramState, bot: Bot, params: media.Params, state: EmulatorState
) -> Response:
    with tg.lock:
        info: dict[str, Any] = {
            "url": bot.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(tg.updates.get(bot.id) or []),
        }
        if bot.webhook_url:
            info["max_connections"] = bot.max_connections
            if bot.allowed_updates:
                info["allowed_updates"] = list(bot.allowed_updates)
        if bot.last_error_date:
            info["last_error_date"] = bot.last_error_date
            info["last_error_message"] = bot.last_error_message
    return ok(info)


def _int(params: media.Params, name: str, default: int) -> int:
    text = params.text(name)
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise bad(f"invalid {name} specified") from None


def get_updates(
    tg: TelegramState, bot: Bot, params: media.Params, state: EmulatorState
) -> Response:
    if bot.webhook_url:
        raise TelegramError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    offset = _int(params, "offset", 0)
    limit = min(max(_int(params, "limit", 100), 1), 100)
    timeout = min(max(_int(params, "timeout", 0), 0), LONG_POLL_CAP)
    allowed = _json_value(params, "allowed_updates") if params.has("allowed_updates") else None
    deadline = time.monotonic() + timeout
    with tg.lock:
        if isinstance(allowed, list):
            bot.allowed_updates = [str(kind) for kind in allowed]
        mine = tg.pollers[bot.id] = tg.pollers.get(bot.id, 0) + 1
        tg.changed.notify_all()  # a long poll still waiting is ended by this one
        while True:
            if tg.pollers[bot.id] != mine:
                raise TelegramError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )
            queue = tg.updates.setdefault(bot.id, [])
            if offset > 0:
                queue[:] = [u for u in queue if u["update_id"] >= offset]
            elif offset < 0:
                queue[:] = queue[offset:]
            if queue or time.monotonic() >= deadline:
                return ok([json.loads(json.dumps(u)) for u in queue[:limit]])
            tg.changed.wait(deadline - time.monotonic())


METHODS: dict[str, Method] = {
    "getMe": get_me,
    "getChat": get_chat,
    "getChatMember": get_chat_member,
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "sendPoll": send_poll,
    "stopPoll": stop_poll,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "getUpdates": get_updates,
}
HANDLERS = {name: _method(function) for name, function in METHODS.items()}
# The methods that post to a channel: counted as creates (duplicate checks).
CREATES = {HANDLERS[name] for name in ("sendMessage", "sendPhoto", "sendPoll")}


def unknown_method(state: EmulatorState, request: Request) -> Response:
    return error(404, "Not Found")


_TOKEN = r"/bot(?P<token>[^/]*)"  # noqa: S105 (a URL pattern)
ROUTES = [
    *[
        (verb, rf"{_TOKEN}/(?i:{name})", handler, True)
        for name, handler in HANDLERS.items()
        for verb in ("GET", "POST")
    ],
    *[(verb, rf"{_TOKEN}/[^/]*", unknown_method, True) for verb in ("GET", "POST")],
]


# --- faults -----------------------------------------------------------------------------
def fault_answer(fault: Fault) -> Response:
    """What Telegram answers for a fault armed on the ``telegram`` platform."""
    if fault.fault in ("rate_limit", "flood_wait"):
        wait = fault.retry_after if fault.retry_after is not None else 5
        return error(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
    if fault.fault == "expired_token":
        return error(401, "Unauthorized")
    if fault.fault == "kicked":
        return error(403, "Forbidden: bot was kicked from the channel chat")
    if fault.fault == "not_member":
        return error(403, "Forbidden: bot is not a member of the channel chat")
    if fault.status == 400:
        return error(400, "Bad Request: chat not found")
    phrases = {500: "Internal Server Error", 502: "Bad Gateway", 504: "Gateway Timeout"}
    return error(fault.status, phrases.get(fault.status, "Internal Server Error"))


# --- pages and control ------------------------------------------------------------------
def _page(title: str, body: str, status: int = 200) -> Response:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head><body><p><small>Platform emulator · Telegram"
        f"</small></p>{body}</body></html>"
    )
    return text_response(html, status, "text/html")


def message_page(state: EmulatorState, request: Request) -> Response:
    tg = state_of(state)
    where, message_id = request.params["chat"], request.params["message_id"]
    chat_key = f"-100{where[2:]}" if where.startswith("c/") else f"@{where}"
    channel = tg.find_channel(chat_key)
    with tg.lock:
        message = next(
            (
                m
                for m in tg.messages
                if channel is not None
                and m["chat"]["id"] == channel.id
                and str(m["message_id"]) == message_id
            ),
            None,
        )
    if channel is None or message is None:
        return _page("Not found", f"<h1>No message {escape(where)}/{escape(message_id)}</h1>", 404)
    parts = [f"<h1>{escape(channel.title)}</h1>"]
    if "photo" in message:
        size = message["photo"][-1]
        parts.append(f"<p>Photo {size['width']}×{size['height']}</p>")
    if "poll" in message:
        poll = message["poll"]
        options = "".join(
            f"<li>{escape(o['text'])} — {o['voter_count']}</li>" for o in poll["options"]
        )
        parts.append(f"<h2>{escape(poll['question'])}</h2><ol>{options}</ol>")
    text = message.get("text") or message.get("caption") or ""
    if text:
        parts.append(f"<pre>{escape(text)}</pre>")
    return _page(channel.title, "".join(parts))


PAGE_ROUTES = [
    ("GET", r"/(?P<chat>c/\d+|[A-Za-z]\w{3,31})/(?P<message_id>\d+)", message_page, False),
]


def _control_error(message: str) -> Response:
    return json_response({"error": message}, 400)


def control_config(state: EmulatorState, request: Request) -> Response:
    tg = state_of(state)
    data = request.json()
    if not isinstance(data, dict):
        return _control_error("Send a JSON object.")
    with tg.lock:
        config = tg.config
        if "bot_api_version" in data:
            if _version(str(data["bot_api_version"])) == (0,):
                return _control_error("bot_api_version looks like 10.1.")
            config.bot_api_version = str(data["bot_api_version"])
        for name in ("accept_string_options", "accept_correct_option_id"):
            if name in data:
                setattr(config, name, bool(data[name]))
        if "messages_per_minute" in data:
            value = data["messages_per_minute"]
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                return _control_error("messages_per_minute must be a whole number, 1 or more.")
            config.messages_per_minute = value
        return json_response({"config": asdict(config)})


def control_bots(state: EmulatorState, request: Request) -> Response:
    data = request.json()
    if not isinstance(data, dict) or not isinstance(data.get("token"), str):
        return _control_error('Send {"token": "<digits>:<secret>", "username": "…"}.')
    tg = state_of(state)
    if data.get("revoked"):
        tg.revoke(data["token"])
        return json_response({"revoked": True})
    try:
        bot = tg.add_bot(data["token"], str(data.get("username") or ""))
    except ValueError as exc:
        return _control_error(str(exc))
    return json_response({"bot": bot.user()})


def control_channels(state: EmulatorState, request: Request) -> Response:
    data = request.json()
    if not isinstance(data, dict) or "id" not in data:
        return _control_error(
            'Send {"id": -100…, "title": "…", "username": "…", "bot_status": "administrator"}.'
        )
    tg = state_of(state)
    try:
        chat_id = int(data["id"])
        if tg.channels.get(chat_id) is not None and "title" not in data:
            tg.set_bot_status(
                chat_id,
                str(data.get("bot_status") or "administrator"),
                bool(data.get("can_post_messages", True)),
            )
            channel = tg.channels[chat_id]
        else:
            channel = tg.add_channel(
                chat_id,
                str(data.get("title") or "Channel"),
                str(data.get("username") or ""),
                bot_status=str(data.get("bot_status") or "administrator"),
                can_post_messages=bool(data.get("can_post_messages", True)),
            )
    except (TypeError, ValueError) as exc:
        return _control_error(str(exc))
    return json_response({"channel": asdict(channel)})


def control_votes(state: EmulatorState, request: Request) -> Response:
    data = request.json()
    if not isinstance(data, dict) or not isinstance(data.get("count"), int):
        return _control_error('Send {"count": 10, "correct_share": 0.6}.')
    try:
        share = float(data.get("correct_share", 0.5))
        poll = state_of(state).vote(request.params["poll_id"], data["count"], share)
    except (TypeError, ValueError) as exc:
        return _control_error(str(exc))
    return json_response({"poll": poll})


def control_close(state: EmulatorState, request: Request) -> Response:
    try:
        return json_response({"poll": state_of(state).close_poll(request.params["poll_id"])})
    except ValueError as exc:
        return _control_error(str(exc))


def control_deliver(state: EmulatorState, request: Request) -> Response:
    tg = state_of(state)
    for bot in list(tg.bots.values()):
        tg.deliver(bot)
    return json_response({"deliveries": tg.snapshot()["deliveries"]})


def control_state(state: EmulatorState, request: Request) -> Response:
    return json_response(state_of(state).snapshot())


CONTROL_PREFIX = "/_control/telegram"
CONTROL_ROUTES = [
    ("GET", r"/state", control_state, False),
    ("POST", r"/config", control_config, False),
    ("POST", r"/bots", control_bots, False),
    ("POST", r"/channels", control_channels, False),
    ("POST", r"/polls/(?P<poll_id>\d+)/votes", control_votes, False),
    ("POST", r"/polls/(?P<poll_id>\d+)/close", control_close, False),
    ("POST", r"/deliver", control_deliver, False),
]
