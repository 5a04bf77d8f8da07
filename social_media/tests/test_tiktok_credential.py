"""The TikTok credential in the admin: its extra data checked with translated messages."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from social_media.admin.webhook_forms import CredentialsForm
from social_media.platforms.spec import local_run_settings
from social_media.platforms.tiktok.platform import PLATFORM
from webhooks.models import SocialMediaCredentials


@pytest.mark.parametrize(
    ("extra_data", "message"),
    [
        ({}, 'TikTok needs {"open_id": "…"}'),
        ({"open_id": "  "}, 'TikTok needs {"open_id": "…"}'),
        ({"open_id": "has space"}, "at most 128 ASCII characters"),
        ({"open_id": "x" * 129}, "at most 128 ASCII characters"),
        ({"open_id": "o", "privacy_level": "public"}, "privacy_level must be one of"),
        ({"open_id": "o", "pull_from_url": "yes"}, "pull_from_url must be true or false"),
        ({"open_id": "o", "app_audited": 1}, "app_audited must be true or false"),
        ({"open_id": "o", "board_id": "1"}, "unknown: board_id"),
    ],
)
def test_bad_extra_data_is_refused(extra_data, message):
    with translation.override("en"), pytest.raises(ValidationError) as info:
        PLATFORM.validate_extra_data(extra_data)
    assert message in " ".join(info.value.message_dict["extra_data"])


@pytest.mark.parametrize(
    "extra_data",
    [
        {"open_id": "-000quizdemoOpenId"},
        {"open_id": "723f24d7-e717-40f8", "privacy_level": "SELF_ONLY", "pull_from_url": True},
        {"open_id": "o", "app_audited": False},
    ],
)
def test_good_extra_data_is_accepted(extra_data):
    PLATFORM.validate_extra_data(extra_data)  # raises on a problem
    credential = SocialMediaCredentials(
        platform="tiktok", access_token="act.x0123456789", extra_data=extra_data
    )
    credential.clean()
    assert credential.extra_data == extra_data


def test_messages_are_translated_to_russian():
    credential = SocialMediaCredentials(
        platform="tiktok", access_token="act.x0123456789", extra_data={}
    )
    with translation.override("ru"), pytest.raises(ValidationError) as info:
        credential.clean()
    assert "Для TikTok нужно" in " ".join(info.value.message_dict["extra_data"])


def test_the_admin_form_explains_the_extra_data():
    with translation.override("en"):
        help_text = str(CredentialsForm().fields["extra_data"].help_text)
    assert 'TikTok: {"open_id": "…"}' in help_text and "app_audited" in help_text
    with translation.override("ru"):
        assert "пока приложение не прошло аудит" in str(
            CredentialsForm().fields["extra_data"].help_text
        )


def test_the_local_run_points_tiktok_at_the_emulator():
    found = local_run_settings("http://127.0.0.1:8025")
    assert found["TIKTOK_API_BASE_URL"] == "http://127.0.0.1:8025/tiktok"
    assert found["TIKTOK_VIDEO_URL"] == "http://127.0.0.1:8025/tiktok/@{username}/video/{id}"
