"""Telegram end to end: the real delivery path over HTTP to the emulated Bot API.

A task becomes the question card and a native quiz poll in the emulated channel (or a
lettered caption and a spoiler answer); every fault ends in the right status with no
message sent twice.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from emulator.platforms.telegram import DEFAULT_CHANNEL_ID, DEFAULT_TOKEN, PRIVATE_CHANNEL_ID
from emulator.platforms.telegram_markup import utf16_len
from emulator.testing import InProcessEmulator
from social_media import delivery
from social_media.services import posts_retry
from social_media.tests.contract import new_post
from tasks.models import SocialMediaPost
from webhooks.models import SocialMediaCredentials

pytestmark = pytest.mark.django_db

CYRILLIC = "ж"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def emu(settings) -> Iterator[InProcessEmulator]:
    with InProcessEmulator() as emulator:
        settings.TELEGRAM_BOT_API_BASE_URL = emulator.telegram_url
        settings.TELEGRAM_LINK_BASE_URL = f"{emulator.url}/t.me"
        settings.TELEGRAM_BOT_API_VERSION = "10.1"
        settings.SITE_URL = "https://quiz.example.com"
        yield emulator


@pytest.fixture
def credential(emu) -> SocialMediaCredentials:
    return SocialMediaCredentials.objects.create(
        platform="telegram", access_token=DEFAULT_TOKEN, extra_data={"chat_id": "@quiz_demo"}
    )


def telegram_post(**task_fields) -> SocialMediaPost:
    task_fields.setdefault("question", "Что выведет print(2 + 2)?")
    task_fields.setdefault("answers", ["3", "4", "22"])
    task_fields.setdefault("correct_answer", "4")
    task_fields.setdefault("explanation", "Сложение целых чисел.")
    task_fields.setdefault("topic", "Python")
    task_fields.setdefault("language", "ru")
    return new_post("telegram", **task_fields)


def run(post: SocialMediaPost) -> SocialMediaPost:
    """One worker run, now (a wait the post was given is skipped)."""
    SocialMediaPost.objects.filter(pk=post.pk).update(next_attempt_at=None)
    result = delivery.post_publish(post_id=post.pk)
    assert result is not None, "the post was not claimable"
    return result


def settle(post: SocialMediaPost, runs: int = 6) -> SocialMediaPost:
    """Run the worker until the post is published or failed."""
    for _ in range(runs):
        post = run(post)
        if post.status in ("published", "failed"):
            return post
    return post


def sent(emu: InProcessEmulator, kind: str, chat: int = DEFAULT_CHANNEL_ID) -> list[dict]:
    with emu.telegram.lock:
        return [m for m in emu.telegram.messages if kind in m and m["chat"]["id"] == chat]


def test_a_task_becomes_the_card_and_a_native_quiz_poll(emu, credential):
    post = run(telegram_post())

    assert post.status == "pending"  # the card is out; the poll follows a second later
    assert post.platform_state["photo"]["message_id"] == 1
    assert sent(emu, "poll") == []

    post = run(post)

    assert post.status == "published"
    photo, poll = sent(emu, "photo")[0], sent(emu, "poll")[0]
    assert photo["caption"].startswith("Что выведет print(2 + 2)?")
    assert f"https://quiz.example.com/task/{post.task_id}" in photo["caption"]
    assert "#python" in photo["caption"]
    assert poll["poll"]["type"] == "quiz"
    assert poll["poll"]["question"] == "Что выведет print(2 + 2)?"
    assert [o["text"] for o in poll["poll"]["options"]] == ["3", "4", "22"]
    assert poll["poll"]["correct_option_ids"] == [1]
    assert poll["poll"]["explanation"] == "Сложение целых чисел."
    assert post.post_id == str(photo["message_id"])
    assert post.post_url == f"{emu.url}/t.me/quiz_demo/{photo['message_id']}"
    state = post.platform_state
    assert state["form"] == "poll"
    assert state["poll"]["message_id"] == poll["message_id"]
    assert state["poll"]["id"] == poll["poll"]["id"]
    assert state["poll"]["url"] == f"{emu.url}/t.me/quiz_demo/{poll['message_id']}"
    assert post.notice == "Sent as the question card and a native quiz poll."
    assert emu.create_count("telegram") == 2


def test_an_older_server_gets_the_scalar_correct_option_id(emu, credential, settings):
    emu.telegram.config.bot_api_version = "9.5"
    settings.TELEGRAM_BOT_API_VERSION = "9.5"

    post = settle(telegram_post())

    assert post.status == "published"
    assert sent(emu, "poll")[0]["poll"]["correct_option_id"] == 1
    assert post.platform_state["poll_form"] == "correct_option_id"


def test_a_credential_can_choose_the_older_form(emu, credential):
    emu.telegram.config.bot_api_version = "7.3"
    credential.extra_data = {"chat_id": "@quiz_demo", "bot_api_version": "7.3"}
    credential.save()

    post = settle(telegram_post())

    assert post.status == "published"
    assert sent(emu, "poll")[0]["poll"]["correct_option_id"] == 1


def test_a_task_that_does_not_fit_a_poll_gets_lettered_options_and_a_spoiler(emu, credential):
    post = settle(telegram_post(explanation=CYRILLIC * 201))

    assert post.status == "published"
    assert sent(emu, "poll") == []
    photo, answer = sent(emu, "photo")[0], sent(emu, "text")[0]
    assert "A) 3\nB) 4\nC) 22" in photo["caption"]
    assert answer["text"].startswith("Ответ: B) 4")
    assert [e["type"] for e in answer["entities"]] == ["spoiler"]
    state = post.platform_state
    assert state["form"] == "lettered"
    assert state["reasons"] == ["the explanation is longer than 200 characters"]
    assert state["answer"]["message_id"] == answer["message_id"]
    assert post.notice.startswith("The task does not fit a Telegram quiz poll (the explanation")
    assert emu.create_count("telegram") == 2


def test_cyrillic_at_every_poll_limit_is_accepted_by_the_bot_api(emu, credential):
    answers = [CYRILLIC * 99 + str(i) for i in range(4)]
    post = settle(
        telegram_post(
            question=CYRILLIC * 300,
            answers=answers,
            correct_answer=answers[2],
            explanation=CYRILLIC * 200,
        )
    )

    assert post.status == "published"
    poll = sent(emu, "poll")[0]["poll"]
    assert poll["question"] == CYRILLIC * 300
    assert [o["text"] for o in poll["options"]] == answers
    assert poll["correct_option_ids"] == [2]
    assert poll["explanation"] == CYRILLIC * 200


@pytest.mark.full_media  # twelve options need the real card size
def test_twelve_options_are_one_quiz_poll(emu, credential):
    answers = [f"Вариант {i}" for i in range(12)]

    post = settle(telegram_post(answers=answers, correct_answer=answers[11]))

    assert post.status == "published"
    poll = sent(emu, "poll")[0]["poll"]
    assert len(poll["options"]) == 12
    assert poll["correct_option_ids"] == [11]


def test_a_caption_at_the_limit_is_accepted_by_the_bot_api(emu, credential):
    answers = ["😀" * 49 + str(i) for i in range(4)]  # 99 UTF-16 units each
    post = settle(
        telegram_post(question=CYRILLIC * 5000, answers=answers, correct_answer=answers[0])
    )

    assert post.status == "published"
    caption = sent(emu, "photo")[0]["caption"]
    assert utf16_len(caption) == 1024
    assert caption.endswith("#python #программирование #квиз #викторина")
    assert "D) " + "😀" * 49 + "3" in caption


def test_a_private_channel_gets_the_t_me_c_link(emu, credential):
    credential.extra_data = {"chat_id": str(PRIVATE_CHANNEL_ID)}
    credential.save()

    post = settle(telegram_post())

    assert post.status == "published"
    photo = sent(emu, "photo", PRIVATE_CHANNEL_ID)[0]
    assert post.post_url == f"{emu.url}/t.me/c/9876543210/{photo['message_id']}"


def test_a_flood_wait_is_respected_and_nothing_is_sent_twice(emu, credential):
    emu.fault("telegram", "flood_wait", retry_after=17, on="create")

    post = run(telegram_post())

    assert post.status == "pending"
    assert post.failure_kind == "rate_limited"
    assert post.next_attempt_at is not None and post.updated_at is not None
    assert (post.next_attempt_at - post.updated_at).total_seconds() >= 17
    assert sent(emu, "photo") == []
    post = settle(post)
    assert post.status == "published"
    assert len(sent(emu, "photo")) == 1
    assert len(sent(emu, "poll")) == 1


def test_a_failure_between_photo_and_poll_retries_only_the_poll(emu, credential):
    post = run(telegram_post())
    emu.fault("telegram", "flood_wait", retry_after=3, on="create")

    post = run(post)

    assert post.status == "pending"
    assert post.failure_kind == "rate_limited"
    assert post.platform_state["photo"]["message_id"] == 1
    post = settle(post)
    assert post.status == "published"
    assert len(sent(emu, "photo")) == 1
    assert len(sent(emu, "poll")) == 1


def test_the_channel_pace_holds_messages_back_without_sending(emu, credential, settings):
    settings.TELEGRAM_MESSAGES_PER_MINUTE = 1

    post = run(run(telegram_post()))

    assert post.status == "pending"
    assert post.failure_kind == ""
    assert "pace" in post.platform_step
    assert len(sent(emu, "photo")) == 1
    assert sent(emu, "poll") == []
    assert emu.create_count("telegram") == 1


def test_chat_not_found_fails_permanently(emu, credential):
    credential.extra_data = {"chat_id": "@no_such_channel"}
    credential.save()

    post = run(telegram_post())

    assert post.status == "failed"
    assert post.failure_kind == "permanent"
    assert "chat not found" in post.error_message


@pytest.mark.parametrize(
    ("status", "text"),
    [("kicked", "bot was kicked"), ("left", "bot is not a member")],
)
def test_a_bot_removed_from_the_channel_flags_the_credential(emu, credential, status, text):
    emu.telegram.set_bot_status(DEFAULT_CHANNEL_ID, status)

    post = run(telegram_post())

    assert post.status == "failed"
    assert post.failure_kind == "auth"
    assert text in post.error_message
    credential.refresh_from_db()
    assert credential.needs_reconnect is True


def test_a_revoked_token_is_auth(emu, credential):
    emu.telegram.revoke(DEFAULT_TOKEN)

    post = run(telegram_post())

    assert (post.status, post.failure_kind) == ("failed", "auth")


def test_an_unknown_end_is_never_resent_blindly(emu, credential, settings):
    settings.SOCIAL_MEDIA_HTTP_TIMEOUT = 0.5
    post = run(telegram_post())
    emu.fault("telegram", "timeout", seconds=3, process="after", on="create")

    post = run(post)  # the poll went out, the answer did not come back

    assert post.status == "pending"
    assert post.needs_reconcile is True
    assert post.platform_state["in_doubt"] == "poll"
    emu.release()
    post = run(post)
    assert post.status == "failed"
    assert "the quiz poll may have been posted to @quiz_demo" in post.error_message
    assert "Check the channel" in post.error_message
    assert len(sent(emu, "poll")) == 1
    assert delivery.post_publish(post_id=post.pk) is None  # failed: nothing runs


def test_staff_retry_after_checking_sends_only_the_missing_message(emu, credential):
    post = run(telegram_post())
    emu.fault("telegram", "status", status=502, on="create")  # nothing is sent

    post = settle(run(post))

    assert post.status == "failed"
    assert sent(emu, "poll") == []
    posts_retry(SocialMediaPost.objects.filter(pk=post.pk), enqueue=False)
    post = settle(post)
    assert post.status == "published"
    assert len(sent(emu, "photo")) == 1
    assert len(sent(emu, "poll")) == 1
    assert "in_doubt" not in post.platform_state


def test_an_unknown_photo_is_not_sent_again(emu, credential):
    emu.fault("telegram", "status", status=502, on="create")

    post = settle(telegram_post())

    assert post.status == "failed"
    assert "the question card may have been posted" in post.error_message
    assert emu.create_count("telegram") == 1


def test_a_published_post_is_never_sent_again(emu, credential):
    post = settle(telegram_post())
    post.task.save()  # saving the published task again

    assert delivery.post_publish(post_id=post.pk) is None
    assert emu.create_count("telegram") == 2


def test_read_metrics_returns_the_stored_poll_numbers_without_a_call(emu, credential):
    from social_media.platforms.telegram.platform import PLATFORM

    post = settle(telegram_post())
    state = post.platform_state
    state["poll"].update(voters=10, correct_votes=6, correct_share=0.6)
    SocialMediaPost.objects.filter(pk=post.pk).update(platform_state=state)
    post.refresh_from_db()
    before = len(emu.requests("telegram"))

    batch = PLATFORM.read_metrics([post], credential)

    assert batch.readings[post.pk].values == {"answers": 10, "correct_share": 0.6}
    assert batch.readings[post.pk].raw["correct_votes"] == 6
    assert len(emu.requests("telegram")) == before


def test_a_worker_that_died_while_sending_the_poll_is_not_followed_by_a_second_poll(
    emu, credential
):
    from datetime import timedelta

    from django.utils import timezone

    post = run(telegram_post())  # the card is out and recorded
    SocialMediaPost.objects.filter(pk=post.pk).update(
        status="processing", locked_until=timezone.now() - timedelta(seconds=1)
    )

    post = run(post)  # the lease ran out: the next worker looks first

    assert post.status == "failed"
    assert "the quiz poll may have been posted" in post.error_message
    assert sent(emu, "poll") == []
    assert len(sent(emu, "photo")) == 1


def test_a_flood_wait_is_marked_as_spam_for_the_pacing(emu, credential):
    from social_media.media import post_media_resolve
    from social_media.platforms.base import Outcome
    from social_media.platforms.telegram.platform import PLATFORM

    post = telegram_post()
    emu.fault("telegram", "flood_wait", retry_after=9, on="create")

    result = PLATFORM.publish(
        post, credential, post_media_resolve(task=post.task, platform=PLATFORM)
    )

    assert (result.outcome, result.spam, result.retry_after) == (Outcome.RATE_LIMITED, True, 9.0)
    assert result.state is None  # nothing was sent: the stored state stays


def test_the_post_page_in_the_admin_shows_the_recorded_messages(emu, credential, admin_client):
    post = settle(telegram_post())

    page = admin_client.get(f"/admin/tasks/socialmediapost/{post.pk}/change/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "Sent as the question card and a native quiz poll." in text
    assert post.platform_state["poll"]["id"] in text


def test_a_card_missing_from_storage_is_retried_and_none_is_permanent(emu, credential):
    from quiz_media.specs import RenderedMedia
    from social_media.media import PostMedia
    from social_media.platforms.base import Outcome
    from social_media.platforms.telegram.platform import PLATFORM

    post = telegram_post()
    gone = RenderedMedia(
        name="renders/00/gone.png",
        url="http://127.0.0.1/media/renders/00/gone.png",
        kind="question_card",
        width=1080,
        height=1350,
        mime_type="image/png",
        bytes=10,
    )

    missing = PLATFORM.publish(post, credential, PostMedia({"question_card": gone}))
    nothing = PLATFORM.publish(post, credential, PostMedia())

    assert missing.outcome == Outcome.TRANSIENT
    assert "could not be read" in missing.error_message
    assert nothing.outcome == Outcome.PERMANENT
    assert emu.create_count("telegram") == 0
