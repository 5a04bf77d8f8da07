"""VK's declarations: the credential's extra data, the admin's help, the local run."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from social_media.admin.webhook_forms import CredentialsForm
from social_media.platforms import local_env
from social_media.platforms.registry import PLATFORMS
from social_media.platforms.spec import local_run_settings

VK = PLATFORMS["vk"]


@pytest.mark.parametrize(
    "extra",
    [
        {"group_id": "229000001"},
        {"group_id": " 42 ", "poll": True},
        {"group_id": "7", "poll": False},
    ],
)
def test_a_community_id_in_digits_is_accepted(extra):
    VK.validate_extra_data(extra)
    assert VK.demo_credential is not None


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ({}, 'VK needs {"group_id": "…"}.'),
        ({"group_id": ""}, 'VK needs {"group_id": "…"}.'),
        ({"group_id": "-229000001"}, "without a minus sign"),
        ({"group_id": "club229000001"}, "without a minus sign"),
        ({"group_id": "１２３"}, "in digits"),
        ({"group_id": "0"}, "in digits"),
        ({"group_id": "1", "poll": "yes"}, '"poll" must be true or false'),
        ({"group_id": "1", "page_id": "2"}, "not: page_id"),
    ],
)
def test_bad_extra_data_is_refused_with_a_translated_message(extra, says):
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            VK.validate_extra_data(extra)
        text = " ".join(caught.value.message_dict["extra_data"])
    assert says in text


def test_the_messages_are_russian_in_the_russian_admin():
    with translation.override("ru"):
        with pytest.raises(ValidationError) as caught:
            VK.validate_extra_data({"group_id": "-5"})
        text = " ".join(caught.value.message_dict["extra_data"])
    assert "id сообщества цифрами" in text
    with translation.override("ru"):
        assert str(VK.label) == "ВКонтакте"
    with translation.override("en"):
        assert str(VK.label) == "VK"


def test_the_credential_form_explains_vk_extra_data():
    with translation.override("en"):
        help_text = str(CredentialsForm().fields["extra_data"].help_text)
    assert '{"group_id": "123"}' in help_text
    assert "board_id" in help_text  # the model's own help stays first


def test_the_local_run_points_vk_at_the_emulator():
    found = local_run_settings("http://127.0.0.1:8025/")
    assert found["VK_API_BASE_URL"] == "http://127.0.0.1:8025/vk/method"
    assert found["VK_POST_URL"] == "http://127.0.0.1:8025/vk/wall-{group_id}_{post_id}"
    exports = local_env.exports("http://127.0.0.1:8025")
    assert "export VK_API_BASE_URL=http://127.0.0.1:8025/vk/method" in exports
    assert "export VK_POST_URL='http://127.0.0.1:8025/vk/wall-{group_id}_{post_id}'" in exports


def test_vk_tokens_are_masked_in_logs():
    from quiz_backend.redaction import redact

    assert redact("token vk1.a.AbC-def_0123456789xyz used") == "token vk1.a.*** used"
