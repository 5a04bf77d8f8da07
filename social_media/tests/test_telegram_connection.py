"""Telegram's *Test connection*: getMe, getChat, getChatMember against the emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from emulator.platforms.telegram import DEFAULT_CHANNEL_ID, DEFAULT_TOKEN
from emulator.testing import InProcessEmulator
from social_media.platforms.registry import PLATFORMS
from social_media.platforms.telegram.platform import PLATFORM as TELEGRAM
from webhooks.models import SocialMediaCredentials

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def emu(settings) -> Iterator[InProcessEmulator]:
    with InProcessEmulator() as emulator:
        settings.TELEGRAM_BOT_API_BASE_URL = emulator.telegram_url
        yield emulator


def credential(chat_id: str = "@quiz_demo", token: str = DEFAULT_TOKEN) -> SocialMediaCredentials:
    return SocialMediaCredentials(
        platform="telegram", access_token=token, extra_data={"chat_id": chat_id}
    )


def test_a_bot_that_administers_the_channel_can_post(emu):
    verdict, rejected = TELEGRAM.test_connection(credential())

    assert verdict.ok is True
    assert verdict.message == "The bot @quiz_demo_bot can post to “Quiz demo”."
    assert rejected is None


def test_a_private_channel_by_its_id(emu):
    verdict, _ = TELEGRAM.test_connection(credential("-1009876543210"))

    assert verdict.ok is True
    assert "Quiz private" in verdict.message


def test_a_revoked_token_is_rejected_and_flags_the_credential(emu):
    emu.telegram.revoke(DEFAULT_TOKEN)

    verdict, rejected = TELEGRAM.test_connection(credential())

    assert verdict.ok is False
    assert "Token rejected" in verdict.message
    assert rejected is not None and "Unauthorized" in rejected


def test_an_unknown_channel_is_not_ok(emu):
    verdict, rejected = TELEGRAM.test_connection(credential("@no_such_channel"))

    assert verdict.ok is False
    assert "chat not found" in verdict.message
    assert rejected is None


@pytest.mark.parametrize(
    ("status", "can_post", "text"),
    [
        ("member", True, "is not an administrator of “Quiz demo” (status: member)"),
        ("left", True, "is not an administrator of “Quiz demo” (status: left)"),
        ("kicked", True, "is not an administrator of “Quiz demo” (status: kicked)"),
        ("administrator", False, "may not post messages"),
    ],
)
def test_a_bot_without_post_rights_is_not_ok(emu, status, can_post, text):
    emu.telegram.set_bot_status(DEFAULT_CHANNEL_ID, status, can_post_messages=can_post)

    verdict, rejected = TELEGRAM.test_connection(credential())

    assert verdict.ok is False
    assert text in verdict.message
    assert rejected is None


def test_the_emulator_being_down_is_unreachable(settings):
    settings.TELEGRAM_BOT_API_BASE_URL = "http://127.0.0.1:9"

    verdict, rejected = TELEGRAM.test_connection(credential())

    assert verdict.ok is False
    assert "Could not reach Telegram" in verdict.message
    assert rejected is None


def test_russian_verdicts(emu):
    with translation.override("ru"):
        verdict, _ = TELEGRAM.test_connection(credential())

    assert verdict.message == "Бот @quiz_demo_bot может публиковать в «Quiz demo»."


@pytest.mark.parametrize(
    "extra",
    [
        {"chat_id": "@quiz_demo"},
        {"chat_id": "-1001234567890"},
        {"chat_id": "@quiz_demo", "bot_api_version": "9.5"},
    ],
)
def test_valid_extra_data(extra):
    TELEGRAM.validate_extra_data(extra)  # does not raise

    assert TELEGRAM is PLATFORMS["telegram"]
    assert TELEGRAM.demo_credential is not None
    assert TELEGRAM.demo_credential.extra_data == {"chat_id": "@quiz_demo"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, 'Telegram needs {"chat_id": "@channel"} or {"chat_id": "-100…"}.'),
        ({"chat_id": "quiz_demo"}, "Telegram chat_id must be"),
        ({"chat_id": "@abc"}, "Telegram chat_id must be"),
        ({"chat_id": "-12345"}, "Telegram chat_id must be"),
        ({"chat_id": "@канал"}, "Telegram chat_id must be"),
        ({"chat_id": "@quiz_demo", "bot_api_version": "latest"}, "bot_api_version"),
    ],
)
def test_invalid_extra_data_is_refused_with_a_translated_message(extra, message):
    with pytest.raises(ValidationError) as caught:
        TELEGRAM.validate_extra_data(extra)
    assert message in " ".join(caught.value.message_dict["extra_data"])

    english = " ".join(caught.value.message_dict["extra_data"])
    with translation.override("ru"):
        with pytest.raises(ValidationError) as russian:
            TELEGRAM.validate_extra_data(extra)
        translated = " ".join(russian.value.message_dict["extra_data"])
    assert "Telegram" in translated
    assert translated != english


def test_the_credential_form_explains_telegrams_extra_data():
    from social_media.admin.webhook_forms import CredentialsForm

    with translation.override("ru"):
        help_text = str(CredentialsForm().fields["extra_data"].help_text)

    assert 'Telegram: {"chat_id": "@channel"} или {"chat_id": "-100…"}' in help_text
