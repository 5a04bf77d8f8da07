"""The local set-up: .env.example documents every setting; demo data loads idempotently."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from social_media.platforms.spec import platform_settings
from tasks.models import SocialMediaPost, Task
from webhooks.models import SocialMediaCredentials, Webhook

REPO = Path(__file__).resolve().parents[2]
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_env_example_documents_every_setting():
    source = (REPO / "quiz_backend" / "settings.py").read_text()
    read = set(re.findall(r'env_(?:str|bool|int|list|int_list)\(\s*"([A-Z_]+)"', source))
    read |= {setting.name for setting in platform_settings()}  # each platform's conf.SETTINGS
    documented = set(re.findall(r"^# ([A-Z_]+)=", (REPO / ".env.example").read_text(), re.M))
    assert read, "no env_* calls found in settings.py"
    assert read - documented == set()


@pytest.mark.django_db
def test_load_demo_data_is_idempotent_and_points_at_the_emulator():
    out = StringIO()
    options = {"emulator_url": "http://127.0.0.1:9025", "webhook_secret": SECRET}
    call_command("load_demo_data", admin_password="demo-pass-123", stdout=out, **options)
    call_command("load_demo_data", stdout=StringIO(), **options)

    assert Task.objects.count() == 6
    assert set(Task.objects.values_list("language", flat=True)) == {"ru", "en"}
    # Two tasks with a picture the platforms accept, four showing the generated cards.
    images = sorted(Task.objects.values_list("image_url", flat=True))
    assert images[:4] == [""] * 4
    assert images[4:] == [
        "http://127.0.0.1:9025/images/python-len-en.png",
        "http://127.0.0.1:9025/images/python-len-ru.png",
    ]
    assert not Task.objects.filter(published=True).exists()
    assert SocialMediaPost.objects.count() == 0
    assert sorted(SocialMediaCredentials.objects.values_list("platform", flat=True)) == [
        "facebook",
        "instagram",
        "pinterest",
        "telegram",
        "tiktok",
        "vk",
        "youtube_shorts",
    ]
    community = SocialMediaCredentials.objects.get(platform="vk")
    assert community.extra_data == {"group_id": "229000001", "poll": True}
    assert community.access_token == "vk1.a.emulator-user-token"  # the emulator's admin
    webhook = Webhook.objects.get()
    assert webhook.url == "http://127.0.0.1:9025/make/demo"
    assert webhook.secret == SECRET
    # Instagram, TikTok and YouTube Shorts have demo API accounts: the demo webhook leaves
    # them out.
    assert sorted(webhook.target_platforms) == ["yandex_dzen"]
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("demo-pass-123")
    assert "demo-pass-123" not in out.getvalue()


@pytest.mark.django_db
def test_load_demo_data_refuses_a_malformed_secret():
    with pytest.raises(CommandError, match="Standard Webhooks secret"):
        call_command("load_demo_data", webhook_secret="not base64!", stdout=StringIO())
    assert Task.objects.count() == 0


def test_emulator_command_refuses_a_malformed_hook_secret():
    with pytest.raises(CommandError, match="NAME=SECRET"):
        call_command("run_platform_emulator", "--port", "0", "--hook-secret", "demo")


def test_emulator_command_refuses_a_negative_latency():
    with pytest.raises(CommandError, match="--latency-ms must not be negative"):
        call_command("run_platform_emulator", "--port", "0", "--latency-ms", "-1")


def test_emulator_command_delays_every_answer_by_latency_ms(monkeypatch):
    from emulator.server import EmulatorServer

    seen: list[int] = []

    def interrupted(server: EmulatorServer) -> None:  # Ctrl-C as soon as it would serve
        seen.append(server.state.latency_ms)
        raise KeyboardInterrupt

    monkeypatch.setattr(EmulatorServer, "serve_forever", interrupted)
    out = StringIO()
    call_command("run_platform_emulator", "--port", "0", "--latency-ms", "150", stdout=out)
    assert seen == [150]
    assert "Platform emulator stopped." in out.getvalue()
