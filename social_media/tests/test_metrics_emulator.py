"""Pinterest and Facebook numbers read from the emulator grow between passes; the queue."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.utils import timezone

from emulator.testing import InProcessEmulator
from quiz_backend.celery import app as celery_app
from social_media.metrics_collect import metrics_collect
from social_media.models import MetricSnapshot
from social_media.tests.metrics_helpers import published_post
from tests.factories import FacebookCredentialsFactory, PinterestCredentialsFactory

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def emu(settings):
    with InProcessEmulator(callback_delay=0) as emulator:
        settings.PINTEREST_API_BASE_URL = emulator.pinterest_url
        settings.FACEBOOK_GRAPH_API_BASE_URL = emulator.facebook_url
        yield emulator


def _emulated_pin(emu) -> str:
    body = {
        "board_id": "549755885175",
        "link": "https://quiz.example.com/task/1",
        "media_source": {"source_type": "image_url", "url": f"{emu.url}/images/quiz.png"},
    }
    headers = {"Authorization": "Bearer pina_x"}
    return requests.post(f"{emu.pinterest_url}/pins", json=body, headers=headers, timeout=5).json()[
        "id"
    ]


def _emulated_page_post(emu) -> str:
    answer = requests.post(
        f"{emu.facebook_url}/104512345678901/feed",
        data={"message": "Quiz", "link": "https://quiz.example.com/task/1"},
        headers={"Authorization": "Bearer EAAB-x"},
        timeout=5,
    )
    return answer.json()["id"]


@pytest.mark.django_db
@pytest.mark.allow_private_urls  # the emulator listens on 127.0.0.1
def test_numbers_from_the_emulator_grow_between_passes(emu):
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    now = timezone.now()
    pin = published_post(post_id=_emulated_pin(emu), now=now)
    page_post = published_post("facebook", post_id=_emulated_page_post(emu), now=now)
    assert metrics_collect(now=now) == {"pinterest": 1, "facebook": 1}
    requests.post(
        f"{emu.url}/_control/config", json={"advance_engagement_seconds": 7200}, timeout=5
    )
    assert metrics_collect(now=now + timedelta(minutes=16)) == {"pinterest": 1, "facebook": 1}
    for post in (pin, page_post):
        first, second = MetricSnapshot.objects.filter(post=post).order_by("read_at")
        assert second.views is not None and first.views is not None
        assert second.views >= first.views + 7200
        assert second.engagements is not None and second.engagements > 0
    page_post.refresh_from_db()
    assert set(page_post.metrics) == {"views", "engagements", "comments", "shares"}


@pytest.mark.django_db
@pytest.mark.allow_private_urls  # the emulator listens on 127.0.0.1
def test_an_expired_token_on_the_emulator_flags_the_credential(emu):
    credential = PinterestCredentialsFactory()
    now = timezone.now()
    published_post(post_id=_emulated_pin(emu), now=now)
    emu.fault("pinterest", "expired_token", path="/analytics")
    assert metrics_collect(now=now) == {}
    credential.refresh_from_db()
    assert credential.needs_reconnect is True


def test_collection_runs_on_its_own_queue_and_publishing_does_not():
    router = celery_app.amqp.router
    assert router.route({}, "social_media.collect_metrics", (), {})["queue"].name == "metrics"
    assert router.route({}, "social_media.publish_post", (), {})["queue"].name == "celery"
    beat = celery_app.conf.beat_schedule["collect-post-metrics"]
    assert beat["task"] == "social_media.collect_metrics"
    assert beat["options"]["queue"] == "metrics"


def test_the_deployments_consume_the_metrics_queue():
    compose = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    assert '"worker", "-Q", "metrics"' in compose
    assert "-Q celery,metrics" in (REPO / "scripts" / "run").read_text(encoding="utf-8")
