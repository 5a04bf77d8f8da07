"""Publishing a task to a channel, one message per call, each step recorded first.

A post is two messages: the question card (``sendPhoto``) and then either the native
quiz poll (``sendPoll``, form ``poll``) or, when the task does not fit a poll, a
spoiler message with the answer (``sendMessage``, form ``lettered``; the caption then
lists the options). Each call of ``publish`` sends at most one message and returns its
id in ``PublishResult.state`` (stored on the post as ``platform_state``) before the
next message goes: the photo is answered with WAITING, so delivery saves the state and
calls again a second later for the second message. A retry after any failure starts
at the first message not recorded, so the card is never sent twice.

Telegram has no way to look a sent message up (no "get my recent channel posts", and a
bot gets no updates about its own messages). So a send whose end is unknown (timeout,
connection lost after sending, a 5xx) is not repeated blindly: ``reconcile`` fails the
post with a message naming the message in doubt and the channel to check. When staff
retry the post after checking (the manual retry resets ``retry_count`` to 0), the
missing message is sent. See README, "Telegram".
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from django.core.files.storage import default_storage

from social_media.content import caption_language
from social_media.http import ApiError
from social_media.platforms.base import Outcome, PublishResult, platform_setting
from social_media.platforms.telegram import compose, pacing
from social_media.platforms.telegram.client import NO_CHAT, TelegramClient, chat_of, message_link

if TYPE_CHECKING:
    from social_media.media import PostMedia
    from tasks.models import SocialMediaPost
    from webhooks.models import SocialMediaCredentials

logger = logging.getLogger(__name__)

# Telegram: about one message a second to one chat (facts §4.5).
BETWEEN_MESSAGES = 1.0
STEP_NAMES = {"photo": "the question card", "poll": "the quiz poll", "answer": "the answer"}
FORM_NOTICES = {
    "poll": "Sent as the question card and a native quiz poll.",
    "lettered": (
        "The task does not fit a Telegram quiz poll ({reasons}): the caption lists the "
        "options and a spoiler message reveals the answer."
    ),
}


def post_state(post: SocialMediaPost) -> dict[str, Any]:
    state = getattr(post, "platform_state", None)
    return dict(state) if isinstance(state, dict) else {}


def next_step(state: dict[str, Any]) -> str | None:
    """The first message not recorded yet ("photo", "poll", "answer"), ``None`` when done."""
    if not isinstance(state.get("photo"), dict):
        return "photo"
    second = "poll" if state.get("form") == "poll" else "answer"
    return None if isinstance(state.get(second), dict) else second


def poll_form(credential: SocialMediaCredentials) -> compose.PollForm:
    """The credential's ``bot_api_version``, else ``TELEGRAM_BOT_API_VERSION``."""
    extra = credential.extra_data if isinstance(credential.extra_data, dict) else {}
    version = str(extra.get("bot_api_version") or platform_setting("TELEGRAM_BOT_API_VERSION"))
    return compose.PollForm(version)


def notice(state: dict[str, Any]) -> str:
    form = str(state.get("form") or "")
    if form not in FORM_NOTICES:
        return ""
    return FORM_NOTICES[form].format(reasons="; ".join(state.get("reasons") or []))


def done(state: dict[str, Any], client: TelegramClient | None = None) -> PublishResult:
    photo = state["photo"]
    return PublishResult(
        Outcome.SUCCESS,
        post_id=str(photo["message_id"]),
        post_url=str(photo.get("url") or ""),
        http_status=client.last_status if client else None,
        response_excerpt=client.last_excerpt if client else "",
        state=state,
        notice=notice(state),
    )


def _failed(error: ApiError, state: dict[str, Any], step: str) -> PublishResult:
    result = error.to_result()
    if error.outcome == Outcome.UNKNOWN:
        # Recorded for the admin and for reconcile: this message may be in the channel.
        return replace(result, state={**state, "in_doubt": step})
    return replace(result, spam=error.outcome == Outcome.RATE_LIMITED)


def _card(media: PostMedia) -> tuple[bytes, str, str] | PublishResult:
    """The card's bytes, file name and type, or the result when there is none to send."""
    image = media.image
    if image is None:
        return PublishResult(Outcome.PERMANENT, error_message="Telegram: no question card to send.")
    try:
        with default_storage.open(image.name, "rb") as stored:
            data = stored.read()
    except OSError as error:  # the storage may be back later
        message = f"Telegram: the question card could not be read ({type(error).__name__})."
        return PublishResult(Outcome.TRANSIENT, error_message=message)
    return data, image.name.rsplit("/", 1)[-1], image.mime_type


def _record(message: dict[str, Any], chat_id: str) -> dict[str, Any]:
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else None
    return {
        "message_id": message["message_id"],
        "url": message_link(chat, chat_id, message["message_id"]),
    }


def publish(
    post: SocialMediaPost, target: SocialMediaCredentials, media: PostMedia
) -> PublishResult:
    chat_id = chat_of(target)
    if not chat_id:
        return PublishResult(Outcome.PERMANENT, error_message=NO_CHAT)
    state = post_state(post)
    state.pop("in_doubt", None)
    step = next_step(state)
    if step is None:
        return done(state)
    form = poll_form(target)
    messages = compose.build(post.task, form)
    if step == "poll" and messages.poll is None:
        return PublishResult(
            Outcome.PERMANENT,
            error_message="Telegram: the card was sent for a quiz poll, but the task was "
            f"changed since and no longer fits one ({'; '.join(messages.reasons)}).",
        )
    card = _card(media) if step == "photo" else None
    if isinstance(card, PublishResult):
        return card
    wait = pacing.take_slot(chat_id)
    if wait is not None:
        limit = platform_setting("TELEGRAM_MESSAGES_PER_MINUTE")
        return PublishResult(
            Outcome.WAITING,
            retry_after=wait,
            step=f"Waiting for the channel's pace ({limit} messages a minute)",
        )
    client = TelegramClient(token=target.access_token)
    try:
        if card is not None:
            data, filename, mime_type = card
            sent = client.send_photo(
                chat_id=chat_id,
                photo=data,
                filename=filename,
                mime_type=mime_type,
                caption=messages.caption,
            )
        elif step == "poll":
            assert messages.poll is not None
            sent = client.send_poll(chat_id=chat_id, poll=messages.poll)
        else:
            language = caption_language(str(post.task.language or ""))
            sent = client.send_message(
                chat_id=chat_id, text=compose.answer_text(post.task, language)
            )
    except ApiError as error:
        return _failed(error, state, step)
    state[step] = _record(sent, chat_id)
    if step == "photo":
        state.update(form=messages.form, chat_id=chat_id, poll_form=form.name)
        if messages.reasons:
            state["reasons"] = messages.reasons
        second = "poll" if messages.form == "poll" else "answer"
        return PublishResult(
            Outcome.WAITING,
            retry_after=BETWEEN_MESSAGES,
            state=state,
            step=f"Sending {STEP_NAMES[second]} after the card",
            http_status=client.last_status,
        )
    if step == "poll":
        answered = sent.get("poll")
        poll: dict[str, Any] = answered if isinstance(answered, dict) else {}
        correct = messages.poll.get("correct_option_ids") if messages.poll else None
        if correct is None and messages.poll:
            correct = [messages.poll["correct_option_id"]]
        state["poll"].update(
            id=str(poll.get("id") or ""),
            correct_option_ids=correct or [],
            options=len(messages.poll["options"]) if messages.poll else 0,
            voters=0,
            correct_votes=0,
            correct_share=None,
        )
    return done(state, client)


IN_DOUBT = (
    "Telegram: {what} may have been posted to {chat}: the last attempt got no answer after "
    "sending it, and Telegram offers no way to look a sent message up, so it is not sent "
    "again by itself. Check the channel: if {what} is not there, retry this post (only the "
    "missing messages are sent); if it is there, delete it in the channel first, then retry."
)


def reconcile(post: SocialMediaPost, target: SocialMediaCredentials) -> PublishResult | None:
    """After an unknown end: done, a staff retry (send), or fail with "check the channel"."""
    state = post_state(post)
    step = next_step(state)
    if step is None:
        return done(state)
    if post.retry_count == 0:
        # Only the admin's retry resets the count: staff checked the channel.
        logger.info("Telegram: пост %s повторён вручную — отправляем %s", post.pk, step)
        return None
    chat = str(state.get("chat_id") or chat_of(target) or "the channel")
    return PublishResult(
        Outcome.PERMANENT,
        error_message=IN_DOUBT.format(what=STEP_NAMES[step], chat=chat),
        state={**state, "in_doubt": step},
    )
