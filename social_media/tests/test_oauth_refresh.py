"""Tokens stay alive through the platform contract: the providers' refresh grant (before
expiry and once after a 401), and a refused refresh flags the credential once."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from emulator.testing import InProcessEmulator
from social_media import reauth
from social_media.platforms.base import Outcome, PublishResult
from social_media.platforms.registry import PLATFORMS
from social_media.token_refresh import tokens_refresh_expiring
from webhooks.models import SocialMediaCredentials

pytestmark = pytest.mark.django_db


@pytest.fixture
def emu(settings) -> Iterator[InProcessEmulator]:
    with InProcessEmulator() as emulator:
        settings.TIKTOK_API_BASE_URL = f"{emulator.url}/tiktok"
        settings.TIKTOK_CLIENT_KEY = "awdemoclientkey"
        settings.TIKTOK_CLIENT_SECRET = "tiktok-secret-0123456789"
        settings.GOOGLE_OAUTH_TOKEN_URL = f"{emulator.url}/google/oauth2/token"
        settings.GOOGLE_CLIENT_ID = "demo.apps.googleusercontent.com"
        settings.GOOGLE_CLIENT_SECRET = "GOCSPX-google-secret-0123456789"
        yield emulator


def credential(platform: str = "tiktok", **fields) -> SocialMediaCredentials:
    values = {
        "access_token": "act.OLD-access-token-0123456789",
        "refresh_token": "rft.OLD-refresh-token-0123456789",
        "token_expires_at": timezone.now() + timedelta(minutes=20),
        "extra_data": {"open_id": "-000quizdemoOpenId"},
        **fields,
    }
    return SocialMediaCredentials.objects.create(platform=platform, **values)


def test_the_hourly_job_refreshes_tokens_about_to_expire_and_keeps_the_rotated_one(emu):
    due = credential()
    later = credential(token_expires_at=timezone.now() + timedelta(days=1))

    counts = tokens_refresh_expiring()

    assert counts["tiktok"] == {"due": 1, "refreshed": 1, "failed": 0}
    due.refresh_from_db()
    assert due.access_token.startswith("act.") and "OLD" not in due.access_token
    assert due.refresh_token.startswith("rft.") and "OLD" not in due.refresh_token
    assert due.token_expires_at is not None
    assert due.token_expires_at > timezone.now() + timedelta(hours=1, minutes=50)
    later.refresh_from_db()
    assert "OLD" in later.access_token  # not due yet


def test_a_retired_refresh_token_flags_the_credential_with_one_warning(emu, caplog):
    first = credential()
    assert PLATFORMS["tiktok"].refresh_token(first).ok
    stale = credential(refresh_token="rft.OLD-refresh-token-0123456789")  # the retired one
    caplog.set_level(logging.WARNING, logger="social_media")

    one = PLATFORMS["tiktok"].refresh_token(stale)
    stale.needs_reconnect = False  # a second worker that read the row before the flag
    two = PLATFORMS["tiktok"].refresh_token(stale)

    assert not one.ok and one.rejected and "invalid_grant" in one.message
    assert not two.ok and two.rejected
    stale.refresh_from_db()
    assert stale.needs_reconnect and "invalid_grant" in stale.last_error
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "rft." not in caplog.text.replace("rft.•", "")


def test_a_refresh_that_cannot_reach_the_provider_does_not_flag(emu, settings):
    settings.TIKTOK_API_BASE_URL = "http://127.0.0.1:9/tiktok"
    target = credential()
    result = PLATFORMS["tiktok"].refresh_token(target)
    assert not result.ok and not result.rejected
    target.refresh_from_db()
    assert not target.needs_reconnect


def test_google_keeps_its_refresh_token_when_the_answer_has_none(emu):
    target = credential(
        "youtube_shorts",
        access_token="ya29.OLD-0123456789",
        refresh_token="1//OLD-refresh-0123456789",
        extra_data={"channel_id": "UCquizDemoChannel0000001"},
    )
    assert PLATFORMS["youtube_shorts"].refresh_token(target).ok
    target.refresh_from_db()
    assert target.access_token.startswith("ya29.") and "OLD" not in target.access_token
    assert target.refresh_token == "1//OLD-refresh-0123456789"


def test_without_app_settings_nothing_is_refreshed(emu, settings):
    settings.TIKTOK_CLIENT_SECRET = ""
    target = credential()
    assert not PLATFORMS["tiktok"].refresh_possible(target)
    assert "tiktok" not in tokens_refresh_expiring()


# --- once after an auth failure (delivery's seam) -----------------------------------------------
AUTH = PublishResult(Outcome.AUTH, http_status=401, error_message="TikTok: token expired.")


def test_an_auth_failure_refreshes_once_and_sends_again(emu):
    target = credential()
    sent: list[str] = []

    def send() -> PublishResult:
        sent.append(target.access_token)
        return AUTH if len(sent) == 1 else PublishResult(Outcome.SUCCESS, post_id="1")

    result = reauth.send_refreshing(target, send)

    assert result.outcome == Outcome.SUCCESS
    assert len(sent) == 2 and sent[0] != sent[1]  # the second send used the new token


def test_a_second_auth_failure_is_not_refreshed_again(emu):
    target = credential()
    calls = []

    def send() -> PublishResult:
        calls.append(1)
        return AUTH

    assert reauth.send_refreshing(target, send).outcome == Outcome.AUTH
    assert len(calls) == 2
    refreshes = [r for r in emu.state.records if r["path"] == "/tiktok/v2/oauth/token/"]
    assert len(refreshes) == 1


def test_a_refused_refresh_after_an_auth_failure_is_auth(emu):
    target = credential()
    requests.post(
        f"{emu.url}/_control/faults",
        json={"platform": "tiktok", "fault": "expired_token", "count": 1},
        timeout=5,
    )
    result = reauth.send_refreshing(target, lambda: AUTH)
    assert result.outcome == Outcome.AUTH
    assert "The token refresh failed" in result.error_message


def test_a_platform_that_refreshed_itself_is_left_alone(emu):
    target = credential()

    def send() -> PublishResult:
        target.access_token = "act.REFRESHED-by-the-platform-0123"
        return AUTH

    assert reauth.send_refreshing(target, send) is AUTH
    assert not [r for r in emu.state.records if r["path"].endswith("/oauth/token/")]


def test_flagging_logs_one_warning_for_many_failed_posts(caplog):
    target = credential()
    caplog.set_level(logging.ERROR, logger="social_media")
    for _ in range(3):
        reauth.flag_needs_reconnect(target, "rejected", timezone.now())
    target.refresh_from_db()
    assert target.needs_reconnect
    assert len(caplog.records) == 1


def test_a_setting_declared_twice_keeps_the_first_and_a_later_local_value():
    from social_media.platforms.spec import Setting, merged

    found = merged(
        [
            Setting("TIKTOK_CLIENT_KEY", "", local=""),  # conf.py
            Setting("OTHER", "x"),
            Setting("TIKTOK_CLIENT_KEY", "ignored", local="awdemo"),  # oauth_conf.py
            Setting("OTHER", "y", local="z"),
        ]
    )
    assert found == [
        Setting("TIKTOK_CLIENT_KEY", "", local="awdemo"),
        Setting("OTHER", "x", local="z"),
    ]
