"""The collection pass: due posts, per-credential batches, bad answers, tokens and limits.

Only the HTTP boundary is stubbed (``mocked_responses``); the pass, the platforms'
``read_metrics`` and the check of the numbers run for real.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from responses import matchers

from social_media.metrics_collect import (
    CLAIM_SECONDS,
    metrics_collect,
    next_reading,
)
from social_media.models import MetricSnapshot, MetricSource
from social_media.platforms.facebook.metrics import COUNT_FIELDS
from social_media.tests.metrics_helpers import (
    GRAPH_ROOT,
    graph_counts,
    graph_insights,
    pin_analytics_url,
    pin_answer,
    published_post,
)
from tasks.models import PostStatus
from tests.factories import (
    FacebookCredentialsFactory,
    PinterestCredentialsFactory,
    SocialMediaPostFactory,
    TaskFactory,
    WebhookFactory,
)

pytestmark = pytest.mark.django_db

PIN = "813744000000000001"


def _snapshots(post):
    return list(MetricSnapshot.objects.filter(post=post).order_by("read_at", "id"))


# --- the schedule ---------------------------------------------------------------------
def test_the_schedule_is_often_in_the_first_day_then_daily_then_never(settings):
    settings.SOCIAL_MEDIA_METRICS_DAYS = 30
    now = timezone.now()
    assert next_reading(now - timedelta(minutes=10), now) == now + timedelta(minutes=15)
    assert next_reading(now - timedelta(hours=5), now) == now + timedelta(hours=1)
    assert next_reading(now - timedelta(days=3), now) == now + timedelta(days=1)
    assert next_reading(now - timedelta(days=29, hours=1), now) is None
    assert next_reading(None, now) is None


def test_only_due_published_api_posts_inside_the_window_are_read(mocked_responses, settings):
    settings.SOCIAL_MEDIA_METRICS_DAYS = 30
    PinterestCredentialsFactory()
    now = timezone.now()
    due = published_post(post_id=PIN)
    published_post(post_id="2", age=timedelta(days=31))  # past the window
    not_yet = published_post(post_id="3")
    not_yet.next_metrics_at = now + timedelta(minutes=5)
    not_yet.metrics_read_at = now
    not_yet.save()
    stopped = published_post(post_id="4")  # read before, schedule ended
    stopped.metrics_read_at = now - timedelta(days=1)
    stopped.save()
    SocialMediaPostFactory(task=TaskFactory(), platform="pinterest", status=PostStatus.FAILED)
    webhook_post = published_post("instagram", post_id="ig1")
    webhook_post.webhook = WebhookFactory()
    webhook_post.save()
    mocked_responses.get(pin_analytics_url(PIN), json=pin_answer())

    assert metrics_collect(now=now) == {"pinterest": 1}

    due.refresh_from_db()
    assert due.metrics == {
        "views": 100,
        "saves": 5,
        "clicks": 10,
        "engagements": 4,
        "comments": 1,
    }
    assert due.metrics_read_at == now
    assert due.next_metrics_at == now + timedelta(minutes=15)
    (snapshot,) = _snapshots(due)
    assert (snapshot.views, snapshot.clicks, snapshot.shares) == (100, 10, None)
    assert snapshot.raw["PIN_CLICK"] == 7 and snapshot.raw["lifetime_TOTAL_REACTIONS"] == 4
    assert snapshot.source == MetricSource.API and snapshot.platform == "pinterest"
    assert metrics_collect(now=now) == {}  # nothing due any more


def test_pinterest_is_asked_for_the_days_since_the_pin(mocked_responses):
    PinterestCredentialsFactory()
    now = timezone.now()
    post = published_post(post_id=PIN, age=timedelta(days=2), now=now)
    start = (now - timedelta(days=2)).date().isoformat()
    mocked_responses.get(
        pin_analytics_url(PIN),
        json=pin_answer(),
        match=[
            matchers.query_param_matcher(
                {
                    "start_date": start,
                    "end_date": now.date().isoformat(),
                    "metric_types": "IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK,TOTAL_COMMENTS,"
                    "TOTAL_REACTIONS",
                }
            ),
            matchers.header_matcher({"Authorization": "Bearer pina_TESTTOKENpinterest0123456789"}),
        ],
    )
    assert metrics_collect(now=now) == {"pinterest": 1}
    post.refresh_from_db()
    assert post.metrics["views"] == 100


# --- bad answers ----------------------------------------------------------------------
def _read_twice(mocked_responses, first, second, caplog):
    PinterestCredentialsFactory()
    now = timezone.now()
    post = published_post(post_id=PIN, now=now)
    mocked_responses.get(pin_analytics_url(PIN), json=first)
    metrics_collect(now=now)
    mocked_responses.replace("GET", pin_analytics_url(PIN), json=second)
    later = now + timedelta(minutes=16)
    with caplog.at_level(logging.WARNING, logger="social_media"):
        metrics_collect(now=later)
    post.refresh_from_db()
    return post


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (None, "views is null"),
        (-5, "views -5 is out of range"),
        ("a lot", "views 'a lot' is not a whole number"),
        (40, "views went back from 100 to 40"),
    ],
)
def test_a_bad_number_is_skipped_with_a_log_line_and_the_good_one_kept(
    mocked_responses, caplog, bad, reason
):
    post = _read_twice(mocked_responses, pin_answer(), pin_answer(impressions=bad, saves=8), caplog)
    assert post.metrics["views"] == 100  # the good number stands
    assert post.metrics["saves"] == 8  # the rest of the reading is kept
    _first, second = _snapshots(post)
    assert second.views is None and second.saves == 8
    assert second.raw["IMPRESSION"] == bad  # the raw answer is stored as it came
    assert any(reason in record.getMessage() for record in caplog.records)


def test_a_missing_number_keeps_the_last_good_one(mocked_responses, caplog):
    answer = pin_answer()
    del answer["all"]["summary_metrics"]["IMPRESSION"]
    post = _read_twice(mocked_responses, pin_answer(), answer, caplog)
    assert post.metrics["views"] == 100
    assert _snapshots(post)[1].views is None


def test_junk_bodies_never_crash_the_pass(mocked_responses, caplog):
    PinterestCredentialsFactory()
    now = timezone.now()
    odd = published_post(post_id=PIN, now=now)
    list_body = published_post(post_id="2", now=now)
    html = published_post(post_id="3", now=now)
    mocked_responses.get(pin_analytics_url(PIN), json={"all": {"summary_metrics": "oops"}})
    mocked_responses.get(pin_analytics_url("2"), json=[1, 2, 3])
    mocked_responses.get(pin_analytics_url("3"), body="<html>busy</html>", status=200)
    with caplog.at_level(logging.WARNING):
        read = metrics_collect(now=now)
    assert read == {"pinterest": 1}  # only the answer shaped like analytics counts
    for post in (odd, list_body, html):
        post.refresh_from_db()
    assert odd.metrics == {} and odd.next_metrics_at == now + timedelta(minutes=15)
    # A page that is not JSON may be a proxy's error: the batch waits like an outage.
    assert html.next_metrics_at == now + timedelta(seconds=600)
    assert list_body.next_metrics_at == now + timedelta(seconds=600)
    assert "not JSON" in caplog.text


@pytest.mark.parametrize("bug", ["raises", "returns junk"])
def test_a_platform_bug_is_a_transient_failure_not_a_crash(monkeypatch, caplog, bug):
    from social_media.platforms.pinterest import metrics

    PinterestCredentialsFactory()
    now = timezone.now()
    post = published_post(post_id=PIN, now=now)

    def broken(posts, credential):
        if bug == "returns junk":
            return {"readings": {}}
        raise KeyError("all")

    monkeypatch.setattr(metrics, "read_pinterest_metrics", broken)
    with caplog.at_level(logging.WARNING):
        assert metrics_collect(now=now) == {}
    post.refresh_from_db()
    assert post.next_metrics_at == now + timedelta(seconds=600)
    assert ("KeyError" if bug == "raises" else "TypeError") in caplog.text


# --- tokens and limits ----------------------------------------------------------------
def test_a_revoked_token_stops_the_credential_with_one_warning(mocked_responses, caplog):
    credential = PinterestCredentialsFactory()
    now = timezone.now()
    posts = [published_post(post_id=str(n), now=now) for n in range(1, 13)]  # two batches
    mocked_responses.get(
        pin_analytics_url("1"), status=401, json={"code": 2, "message": "Authentication failed."}
    )
    with caplog.at_level(logging.WARNING, logger="social_media"):
        assert metrics_collect(now=now) == {}
        assert metrics_collect(now=now + timedelta(minutes=20)) == {}  # no request at all
    credential.refresh_from_db()
    assert credential.needs_reconnect is True
    assert "Metrics: Pinterest: HTTP 401" in credential.last_error
    warnings = [r for r in caplog.records if "чтение остановлено" in r.getMessage()]
    assert len(warnings) == 1
    for post in posts:
        post.refresh_from_db()
        assert post.next_metrics_at is not None and post.metrics == {}


def test_a_401_refreshes_the_pinterest_token_once_and_reads_on(mocked_responses, settings):
    settings.PINTEREST_CLIENT_ID = "client"
    settings.PINTEREST_CLIENT_SECRET = "secret"
    credential = PinterestCredentialsFactory(refresh_token="pinr_REFRESHTOKEN0123456789")
    now = timezone.now()
    post = published_post(post_id=PIN, now=now)
    mocked_responses.get(pin_analytics_url(PIN), status=401, json={"code": 2, "message": "no"})
    mocked_responses.post(
        "https://api.pinterest.com/v5/oauth/token",
        json={
            "access_token": "pina_NEWTOKEN0123456789",
            "refresh_token": "pinr_NEWREFRESH0123456789",
            "expires_in": 2592000,
        },
    )
    mocked_responses.get(
        pin_analytics_url(PIN),
        json=pin_answer(),
        match=[matchers.header_matcher({"Authorization": "Bearer pina_NEWTOKEN0123456789"})],
    )
    assert metrics_collect(now=now) == {"pinterest": 1}
    credential.refresh_from_db()
    post.refresh_from_db()
    assert credential.needs_reconnect is False and post.metrics["views"] == 100


def test_rate_limited_readings_wait_for_retry_after(mocked_responses, caplog):
    PinterestCredentialsFactory()
    now = timezone.now()
    first = published_post(post_id="1", now=now)
    second = published_post(post_id="2", now=now)
    ordered = [first, second]  # the same publish time: read in pk order
    mocked_responses.get(pin_analytics_url(ordered[0].post_id), json=pin_answer())
    mocked_responses.get(
        pin_analytics_url(ordered[1].post_id),
        status=429,
        headers={"Retry-After": "3600"},
        json={"code": 8, "message": "Rate limit exceeded."},
    )
    with caplog.at_level(logging.WARNING, logger="social_media"):
        assert metrics_collect(now=now) == {"pinterest": 1}
    read, limited = (SocialMediaPostFactory._meta.model.objects.get(pk=p.pk) for p in ordered)
    assert read.next_metrics_at == now + timedelta(minutes=15)
    assert limited.next_metrics_at == now + timedelta(seconds=3600)
    assert limited.metrics == {}
    assert "отложены на 3600 с" in caplog.text


def test_a_server_error_pushes_the_posts_back(mocked_responses):
    FacebookCredentialsFactory()
    now = timezone.now()
    post = published_post("facebook", post_id="104512345678901_1", now=now)
    mocked_responses.get(GRAPH_ROOT, status=500, json={"error": {"code": 2, "message": "down"}})
    assert metrics_collect(now=now) == {}
    post.refresh_from_db()
    assert post.next_metrics_at == now + timedelta(seconds=600)


def test_posts_without_a_usable_credential_wait_without_requests():
    now = timezone.now()
    post = published_post(post_id=PIN, now=now)  # no credential at all
    PinterestCredentialsFactory(needs_reconnect=True)
    assert metrics_collect(now=now) == {}
    post.refresh_from_db()
    assert post.next_metrics_at == now + timedelta(minutes=15)
    assert post.metrics_read_at is None


# --- Facebook, batches ----------------------------------------------------------------
def test_facebook_reads_fifty_posts_per_call_with_their_insights(mocked_responses):
    FacebookCredentialsFactory()
    now = timezone.now()
    posts = [published_post("facebook", post_id=f"104512345678901_{n}", now=now) for n in range(51)]
    ids = sorted(p.post_id for p in posts)

    def counts_for(request_ids):
        return {i: graph_counts(i, shares=None) for i in request_ids}

    def insights_for(request_ids):
        return {i: graph_insights(i) for i in request_ids}

    def handler(request):
        import json
        from urllib.parse import parse_qs, urlsplit

        query = parse_qs(urlsplit(request.url).query)
        requested = query["ids"][0].split(",")
        assert len(requested) <= 50
        fields = query["fields"][0]
        body = insights_for(requested) if fields.startswith("insights") else counts_for(requested)
        return 200, {}, json.dumps(body)

    mocked_responses.add_callback("GET", GRAPH_ROOT, callback=handler)
    assert metrics_collect(now=now) == {"facebook": 51}
    assert len(mocked_responses.calls) == 4  # (counts + insights) × 2 batches
    post = posts[0]
    post.refresh_from_db()
    assert post.metrics == {"engagements": 9, "comments": 2, "shares": 0, "views": 300}
    assert ids  # every id was asked for once per kind
    asked = [c.request.url for c in mocked_responses.calls]
    assert sum("insights" in url for url in asked) == 2


def test_facebook_without_insights_keeps_the_counts(mocked_responses, caplog):
    FacebookCredentialsFactory()
    now = timezone.now()
    post = published_post("facebook", post_id="104512345678901_7", now=now)
    mocked_responses.get(
        GRAPH_ROOT,
        json={post.post_id: graph_counts(post.post_id)},
        match=[
            matchers.query_param_matcher(
                {"fields": COUNT_FIELDS, "ids": post.post_id}, strict_match=False
            )
        ],
    )
    mocked_responses.get(
        GRAPH_ROOT,
        status=400,
        json={"error": {"code": 10, "message": "(#10) Requires pages_read_engagement"}},
    )
    assert metrics_collect(now=now) == {"facebook": 1}
    post.refresh_from_db()
    assert post.metrics == {"engagements": 9, "comments": 2, "shares": 1}


def test_one_deleted_facebook_post_costs_only_its_own_numbers(mocked_responses):
    FacebookCredentialsFactory()
    now = timezone.now()
    kept = published_post("facebook", post_id="104512345678901_1", now=now)
    gone = published_post("facebook", post_id="104512345678901_2", now=now)
    both = ",".join(sorted([kept.post_id, gone.post_id], key=lambda i: i))
    missing = {"error": {"code": 803, "message": "(#803) Some of the aliases do not exist"}}

    def handler(request):
        import json
        from urllib.parse import parse_qs, urlsplit

        query = parse_qs(urlsplit(request.url).query)
        requested = query["ids"][0].split(",")
        if gone.post_id in requested:
            return 400, {}, json.dumps(missing)
        fields = query["fields"][0]
        node = graph_insights(kept.post_id) if "insights" in fields else graph_counts(kept.post_id)
        return 200, {}, json.dumps({kept.post_id: node})

    mocked_responses.add_callback("GET", GRAPH_ROOT, callback=handler)
    assert both
    assert metrics_collect(now=now) == {"facebook": 1}
    kept.refresh_from_db()
    gone.refresh_from_db()
    assert kept.metrics["views"] == 300 and gone.metrics == {}


def test_a_claimed_post_is_not_taken_by_a_second_pass(mocked_responses):
    from social_media.metrics_collect import _claim

    now = timezone.now()
    post = published_post(post_id=PIN, now=now)
    assert [p.pk for p in _claim(now, 10)] == [post.pk]
    assert _claim(now, 10) == []
    post.refresh_from_db()
    assert post.next_metrics_at == now + timedelta(seconds=CLAIM_SECONDS)


# --- the command ----------------------------------------------------------------------
def test_collect_metrics_command_prints_posts_read_per_platform(mocked_responses):
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    published_post(post_id=PIN)
    fb = published_post("facebook", post_id="104512345678901_3")
    mocked_responses.get(pin_analytics_url(PIN), json=pin_answer())
    mocked_responses.get(GRAPH_ROOT, json={fb.post_id: graph_counts(fb.post_id)})
    mocked_responses.get(GRAPH_ROOT, json={fb.post_id: graph_insights(fb.post_id)})
    out = StringIO()
    call_command("collect_metrics", stdout=out)
    lines = out.getvalue().splitlines()
    assert "Pinterest: 1" in lines and "Facebook: 1" in lines
    assert lines[-1] == "Posts read: 2"
    again = StringIO()
    call_command("collect_metrics", stdout=again)
    assert again.getvalue().splitlines()[-1] == "Posts read: 0"


def test_a_token_refused_for_insights_stops_the_facebook_credential(mocked_responses):
    credential = FacebookCredentialsFactory()
    now = timezone.now()
    post = published_post("facebook", post_id="104512345678901_8", now=now)
    mocked_responses.get(GRAPH_ROOT, json={post.post_id: graph_counts(post.post_id)})
    mocked_responses.get(
        GRAPH_ROOT,
        status=400,
        json={"error": {"code": 190, "error_subcode": 463, "message": "Session has expired"}},
    )
    assert metrics_collect(now=now) == {}
    credential.refresh_from_db()
    post.refresh_from_db()
    assert credential.needs_reconnect is True and post.metrics == {}


@pytest.mark.postgres
def test_a_pass_costs_the_same_queries_for_more_posts(mocked_responses, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    now = timezone.now()

    def make(count: int, offset: int) -> None:
        for n in range(offset, offset + count):
            pin = published_post(post_id=f"{n}", now=now)
            mocked_responses.get(pin_analytics_url(pin.post_id), json=pin_answer())
        fb_ids = [
            published_post("facebook", post_id=f"1_{n}", now=now).post_id
            for n in range(offset, offset + count)
        ]
        mocked_responses.get(GRAPH_ROOT, json={i: graph_counts(i) for i in fb_ids})
        mocked_responses.get(GRAPH_ROOT, json={i: graph_insights(i) for i in fb_ids})

    make(2, 0)
    with CaptureQueriesContext(connection) as few:
        assert metrics_collect(now=now) == {"pinterest": 2, "facebook": 2}
    make(9, 100)  # still one Pinterest batch of ten and one Facebook batch of fifty
    with django_assert_num_queries(len(few)):
        assert metrics_collect(now=now) == {"pinterest": 9, "facebook": 9}
