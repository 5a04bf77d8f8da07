"""Fixtures for the callback tests: a webhook and a post it delivered."""

from __future__ import annotations

import pytest

from tasks.models import SocialMediaPost
from tests.factories import TaskFactory, WebhookFactory


@pytest.fixture(autouse=True)
def _no_auto_publish(settings):
    settings.SOCIAL_MEDIA_AUTO_PUBLISH = False  # the posts are made by hand here


@pytest.fixture
def webhook(db):
    return WebhookFactory(target_platforms=["instagram", "tiktok"])


@pytest.fixture
def post(webhook):
    task = TaskFactory(published=True)
    return SocialMediaPost.objects.create(
        task=task, platform="instagram", status="processing", webhook=webhook
    )
