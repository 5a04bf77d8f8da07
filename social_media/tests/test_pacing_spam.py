"""Spam answers slow the target down: Pinterest's 429 "spam" and Facebook's error 368,
judged at the HTTP boundary."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import translation

from social_media import pacing
from social_media.tests.contract import (
    GRAPH_API,
    PINTEREST_API,
    SITE_URL,
    START,
    load_fixture,
    new_post,
    publish,
)
from tasks.models import SocialMediaPost
from tests.factories import FacebookCredentialsFactory, PinterestCredentialsFactory, TaskFactory

pytestmark = pytest.mark.django_db

PAGE = "104512345678901"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def pinterest(settings):
    settings.SITE_URL = SITE_URL
    settings.PINTEREST_API_BASE_URL = PINTEREST_API
    return PinterestCredentialsFactory(access_token="pina_TESTTOKENpinterest0123456789")


@pytest.fixture
def facebook(settings):
    settings.SITE_URL = SITE_URL
    settings.FACEBOOK_GRAPH_API_BASE_URL = GRAPH_API
    settings.FACEBOOK_APP_SECRET = ""
    return FacebookCredentialsFactory(
        access_token="EAAB-test-page-token-0123456789", min_gap_seconds=1200
    )


def test_pinterest_spam_block_fails_the_pin_and_slows_the_board_down(mocked_responses, pinterest):
    mocked_responses.post(
        f"{PINTEREST_API}/pins",
        status=429,
        json=load_fixture("pinterest", "error_429_spam"),
        headers={"Retry-After": "60"},
    )
    with time_machine.travel(START, tick=False):
        post = new_post("pinterest")
        waiting = TaskFactory(published=True, publish_date=START + timedelta(minutes=5))
        post = publish(post)

    assert post.status == "failed" and post.failure_kind == "permanent"
    pinterest.refresh_from_db()
    assert pinterest.spam_factor == 2
    assert pinterest.spam_until == START + pacing.SPAM_HOLD
    # the board's next pin waits for the stretched gap (15 min × 2)
    later = SocialMediaPost.objects.get(task=waiting)
    assert later.next_attempt_at is not None
    assert later.next_attempt_at >= START + pacing.SPAM_BASE_GAP * 2
    assert later.planned_at == later.next_attempt_at


def test_facebook_error_368_retries_after_the_stretched_gap(mocked_responses, facebook):
    mocked_responses.post(
        f"{GRAPH_API}/{PAGE}/photos", status=400, json=load_fixture("facebook", "error_368")
    )
    with time_machine.travel(START, tick=False):
        post = publish(new_post("facebook"))

    assert post.status == "pending"
    assert "368" in post.error_message
    assert post.next_attempt_at is not None
    assert post.next_attempt_at >= START + timedelta(seconds=1200 * 2)
    facebook.refresh_from_db()
    assert pacing.spam_state(facebook, START) == (2, START + pacing.SPAM_HOLD)


def test_an_ordinary_rate_limit_does_not_slow_the_target_down(mocked_responses, facebook):
    mocked_responses.post(
        f"{GRAPH_API}/{PAGE}/photos", status=400, json=load_fixture("facebook", "error_4")
    )

    with time_machine.travel(START, tick=False):
        post = publish(new_post("facebook"))

    assert post.status == "pending"
    facebook.refresh_from_db()
    assert facebook.spam_until is None and facebook.spam_factor == 1
