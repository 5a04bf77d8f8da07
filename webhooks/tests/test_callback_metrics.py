"""The callback's optional ``metrics`` object: checked like the rest of the body."""

from __future__ import annotations

import logging

import pytest

from social_media.models import MetricSnapshot, MetricSource
from tasks.models import SocialMediaPost
from webhooks.models import CallbackReceipt
from webhooks.tests.signing import post_signed
from webhooks.tests.test_callback import assert_refused, callback

pytestmark = pytest.mark.django_db


def test_published_with_metrics_keeps_a_snapshot_and_the_latest(client, webhook, post):
    numbers = {"views": 1200, "engagements": 85, "comments": 4, "shares": None}
    response = post_signed(client, webhook.secret, callback(post, metrics=numbers))
    assert response.status_code == 200, response.content
    post.refresh_from_db()
    assert post.status == "published"
    assert post.metrics == {"views": 1200, "engagements": 85, "comments": 4}
    (snapshot,) = MetricSnapshot.objects.filter(post=post)
    assert snapshot.source == MetricSource.CALLBACK and snapshot.platform == "instagram"
    assert (snapshot.views, snapshot.shares) == (1200, None)


def test_a_later_callback_with_metrics_only_adds_a_reading(client, webhook, post):
    post_signed(client, webhook.secret, callback(post, metrics={"views": 10}))
    response = post_signed(client, webhook.secret, callback(post, metrics={"views": 50}))
    assert response.status_code == 200
    assert response.json()["message"] == f"Metrics recorded for task {post.task_id} on instagram"
    post.refresh_from_db()
    assert post.metrics["views"] == 50
    assert MetricSnapshot.objects.filter(post=post).count() == 2


def test_numbers_going_backwards_in_a_callback_are_skipped_with_a_log_line(
    client, webhook, post, caplog
):
    post_signed(client, webhook.secret, callback(post, metrics={"views": 100}))
    with caplog.at_level(logging.WARNING, logger="social_media"):
        response = post_signed(client, webhook.secret, callback(post, metrics={"views": 60}))
    assert response.status_code == 200
    post.refresh_from_db()
    assert post.metrics["views"] == 100
    assert "views went back from 100 to 60" in caplog.text


@pytest.mark.parametrize(
    ("metrics", "field"),
    [
        ({"views": -1}, "views"),
        ({"views": "many"}, "views"),
        ({"views": 1.5}, "views"),
        ({"correct_share": 1.5}, "correct_share"),
        ({"likes": 3}, "non_field_errors"),
        ({"views": 2**63}, "views"),
    ],
)
def test_a_bad_metric_refuses_the_whole_callback(client, webhook, post, metrics, field):
    response = post_signed(client, webhook.secret, callback(post, metrics=metrics))
    body = assert_refused(response, 400, "invalid")
    assert field in body["fields"]["metrics"]
    post.refresh_from_db()
    assert post.status == "processing" and post.metrics == {}
    assert not MetricSnapshot.objects.exists() and not CallbackReceipt.objects.exists()


@pytest.mark.parametrize("metrics", [[1, 2], "views=3", 12])
def test_metrics_that_are_not_an_object_are_refused(client, webhook, post, metrics):
    response = post_signed(client, webhook.secret, callback(post, metrics=metrics))
    body = assert_refused(response, 400, "invalid")
    assert "metrics" in body["fields"]


def test_metrics_only_come_with_status_published(client, webhook, post):
    data = callback(post, status="failed", error_message="no", metrics={"views": 3})
    body = assert_refused(post_signed(client, webhook.secret, data), 400, "invalid")
    assert "metrics" in body["fields"]
    assert SocialMediaPost.objects.get(pk=post.pk).status == "processing"


def test_the_metrics_object_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    components = schema.json()["components"]["schemas"]
    metrics = components["CallbackMetrics"]["properties"]
    assert metrics["views"]["minimum"] == 0 and metrics["views"]["nullable"] is True
    assert metrics["correct_share"]["maximum"] == 1
    assert "metrics" in components["SocialMediaCallback"]["properties"]
