"""Telegram's connection test: the bot (getMe), the channel (getChat), the bot's rights
there (getChatMember: an administrator allowed to post messages)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from social_media.http import ApiError
from social_media.platforms.base import ConnectionVerdict, Outcome
from social_media.platforms.checks import CHECK_TIMEOUT
from social_media.platforms.checks import rejected as _rejected
from social_media.platforms.checks import unreachable as _unreachable
from social_media.platforms.telegram.client import TelegramClient, chat_of

if TYPE_CHECKING:
    from webhooks.models import SocialMediaCredentials


def _failed(error: ApiError) -> tuple[ConnectionVerdict, str | None]:
    if verdict := _unreachable("Telegram", error):
        return verdict, None
    if error.http_status in (401, 404):
        return _rejected(error), error.message
    return ConnectionVerdict(False, error.message), None


def test_telegram(credential: SocialMediaCredentials) -> tuple[ConnectionVerdict, str | None]:
    client = TelegramClient(token=credential.access_token)
    client.timeout = CHECK_TIMEOUT
    try:
        me = client.get_me()
    except ApiError as error:
        return _failed(error)
    bot = f"@{me.get('username') or '?'}" if isinstance(me, dict) else "@?"
    bot_id = me.get("id") if isinstance(me, dict) else None
    chat_id = chat_of(credential)
    if not chat_id:
        return ConnectionVerdict(
            False,
            _("The token is the bot %(bot)s, but no chat_id is set in the extra data.")
            % {"bot": bot},
        ), None
    try:
        chat = client.get_chat(chat_id)
        member = client.get_chat_member(chat_id, int(bot_id)) if isinstance(bot_id, int) else {}
    except ApiError as error:
        if error.http_status is not None and error.outcome in (Outcome.PERMANENT, Outcome.AUTH):
            message = _("The bot %(bot)s cannot use the chat %(chat)s (%(error)s).")
            return ConnectionVerdict(
                False, message % {"bot": bot, "chat": chat_id, "error": error.message}
            ), None
        return _failed(error)
    title = str(chat.get("title") or chat_id) if isinstance(chat, dict) else chat_id
    status = member.get("status") if isinstance(member, dict) else None
    if status == "creator" or (status == "administrator" and member.get("can_post_messages")):
        return ConnectionVerdict(
            True,
            _("The bot %(bot)s can post to “%(title)s”.") % {"bot": bot, "title": title},
        ), None
    if status == "administrator":
        message = _(
            "The bot %(bot)s is an administrator of “%(title)s” but may not post messages: "
            "allow “Post messages” in the channel's administrator rights."
        )
    else:
        message = _(
            "The bot %(bot)s is not an administrator of “%(title)s” (status: %(status)s): "
            "add it as an administrator allowed to post messages."
        )
    return ConnectionVerdict(
        False, message % {"bot": bot, "title": title, "status": status or "?"}
    ), None
