"""Engagement where editors look: the analytics page, its CSVs, the task page, sparklines."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from social_media.engagement import daily_gains, engagement_report
from social_media.metrics_collect import record_reading, snapshots_save
from social_media.models import MetricDay, MetricSnapshot, MetricSource
from social_media.platforms.base import MetricsReading
from social_media.sparkline import render_sparkline_svg
from social_media.tests.metrics_helpers import published_post
from social_media.views_engagement import POSTS_CSV_HEADER

pytestmark = pytest.mark.django_db

URL = "/admin/analytics/"
CSV_URL = "/admin/analytics.csv"
POSTS_CSV_URL = "/admin/analytics-posts.csv"
NOW = timezone.now().replace(microsecond=0)


@pytest.fixture(autouse=True)
def _no_auto_publish(settings):
    settings.SOCIAL_MEDIA_AUTO_PUBLISH = False


def _range() -> dict[str, str]:
    today = timezone.localdate()
    return {"date_from": (today - timedelta(days=6)).isoformat(), "date_to": today.isoformat()}


def read_post(platform: str, readings: list[dict[str, int]], **task_fields):
    """A published post with one snapshot per reading (an hour apart, ending now); the
    last reading is the post's latest."""
    post = published_post(platform, post_id=f"{platform}-{id(readings)}", **task_fields)
    start = NOW - timedelta(hours=len(readings))
    for n, values in enumerate(readings, start=1):
        reading = MetricsReading(values=values, raw=values)
        snapshots_save(
            [record_reading(post, reading, start + timedelta(hours=n), MetricSource.API)]
        )
    post.save(update_fields=["metrics", "metrics_read_at"])
    return post


@pytest.fixture
def quizzes():
    python = read_post(
        "pinterest",
        [{"views": 50, "saves": 1}, {"views": 100, "saves": 5, "clicks": 10, "engagements": 4}],
        topic="Python",
        difficulty="easy",
        language="en",
        question="What does len('abc') return?",
    )
    sql = read_post(
        "facebook",
        [{"views": 300, "engagements": 9, "comments": 2, "shares": 1}],
        topic="SQL",
        difficulty="hard",
        language="ru",
        question="Сколько строк вернёт запрос?",
    )
    quiet = read_post("facebook", [{"views": 10}], topic="SQL", difficulty="hard", language="en")
    return python, sql, quiet


def test_the_report_sums_the_latest_numbers_by_group(quizzes):
    python, sql, quiet = quizzes
    today = timezone.localdate()
    report = engagement_report(date_from=today - timedelta(days=6), date_to=today)
    platforms = {row.key: row for row in report.by_platform}
    assert platforms["pinterest"].counts["views"] == 100
    assert platforms["pinterest"].interactions == 5 + 10 + 4
    assert platforms["facebook"].counts["views"] == 310 and platforms["facebook"].posts == 2
    assert report.total.counts["views"] == 410 and report.total.interactions == 19 + 12
    topics = {row.key: row.counts["views"] for row in report.by_topic}
    assert topics == {"Python": 100, "SQL": 310}
    assert [row.key for row in report.by_difficulty] == ["easy", "hard"]
    assert {row.key for row in report.by_language} == {"en", "ru"}
    assert [q.task_id for q in report.top] == [python.task_id, sql.task_id, quiet.task_id]
    assert report.bottom == []  # three quizzes: all are in the top five, none left below
    assert sum(report.daily["pinterest"]) == 19  # the gains add up to the latest numbers
    assert sum(report.daily["facebook"]) == 12


def test_daily_gains_come_from_the_readings_of_the_range_and_a_refused_one_gains_nothing():
    post = published_post(post_id="9", age=timedelta(days=3))
    today = timezone.localdate()
    for age, values in ((2, {"saves": 10}), (1, {"saves": 4}), (0, {"saves": 25})):
        reading = MetricsReading(values=values, raw=values)
        snapshots_save([record_reading(post, reading, NOW - timedelta(days=age), MetricSource.API)])
    snapshots = list(MetricSnapshot.objects.filter(post=post).order_by("read_at"))
    assert [s.interactions_gain for s in snapshots] == [10, 0, 15]  # 4 went backwards
    assert snapshots[1].saves is None
    assert daily_gains(today, today) == {(today, "pinterest"): 15}
    yesterday, before = today - timedelta(days=1), today - timedelta(days=2)
    assert daily_gains(before, today) == {(before, "pinterest"): 10, (today, "pinterest"): 15}
    assert yesterday not in {day for day, _key in daily_gains(before, today)}


def test_gains_of_the_same_day_add_up_in_one_row():
    first = published_post(post_id="1")
    second = published_post(post_id="2")
    for post, saves in ((first, 3), (second, 4), (first, 5)):
        reading = MetricsReading(values={"saves": saves}, raw={})
        snapshots_save([record_reading(post, reading, NOW, MetricSource.API)])
    (day,) = MetricDay.objects.all()
    assert (day.platform, day.interactions_gain) == ("pinterest", 3 + 4 + 2)


@pytest.mark.parametrize(
    ("language", "heading", "column"),
    [
        ("en", "Engagement by platform", "Interactions"),
        ("ru", "Вовлечённость по платформам", "Взаимодействия"),
    ],
)
def test_the_analytics_page_shows_engagement_in_both_languages(
    admin_client, quizzes, language, heading, column
):
    response = admin_client.get(URL, _range(), HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert response.status_code == 200
    assert heading in html and column in html
    assert 'class="analytics-chart engagement-chart"' in html
    assert 'data-platform="pinterest"' in html
    assert f'href="{POSTS_CSV_URL}?' in html
    python = quizzes[0]
    assert f"/admin/tasks/task/{python.task_id}/change/" in html


def test_the_analytics_page_says_when_nothing_was_read(admin_client):
    published_post(post_id="1")  # published, never read
    html = admin_client.get(URL, _range(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No numbers have been read yet" in html


def test_the_analytics_csv_gains_the_engagement_columns(admin_client, quizzes):
    response = admin_client.get(CSV_URL, _range(), HTTP_ACCEPT_LANGUAGE="ru")
    rows = {row["platform"]: row for row in csv.DictReader(io.StringIO(response.content.decode()))}
    assert rows["pinterest"]["views"] == "100" and rows["pinterest"]["interactions"] == "19"
    assert rows["pinterest"]["interactions_per_view_percent"] == "19.0"
    assert rows["facebook"]["posts_with_metrics"] == "2"
    assert rows["total"]["views"] == "410"


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_per_post_csv_holds_each_posts_latest_numbers(admin_client, quizzes, language):
    python, sql, _quiet = quizzes
    response = admin_client.get(POSTS_CSV_URL, _range(), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="post-metrics_')
    text = response.content.decode()
    assert text.splitlines()[0].split(",") == POSTS_CSV_HEADER
    rows = {int(row["task_id"]): row for row in csv.DictReader(io.StringIO(text))}
    assert rows[python.task_id]["views"] == "100" and rows[python.task_id]["shares"] == ""
    assert rows[sql.task_id]["question"] == "Сколько строк вернёт запрос?"
    assert rows[sql.task_id]["interactions"] == "12"


def test_the_per_post_csv_refuses_bad_dates_and_outsiders(admin_client, client):
    bad = admin_client.get(POSTS_CSV_URL, {"date_from": "2026-02-30", "date_to": "x"})
    assert bad.status_code == 400 and bad["Content-Type"].startswith("text/plain")
    assert client.get(POSTS_CSV_URL).status_code == 302


def _page_queries(admin_client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get(URL, _range()).status_code == 200
    return len(queries)


@pytest.mark.postgres
def test_the_page_and_csvs_cost_the_same_queries_for_more_posts_and_snapshots(
    admin_client, django_assert_num_queries
):
    def add(count: int) -> None:
        for n in range(count):
            read_post(
                ["pinterest", "facebook"][n % 2],
                [{"views": 10 * k, "saves": k} for k in range(1, 6)],
                topic=f"T{n % 3}",
            )

    add(4)
    page = _page_queries(admin_client)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(CSV_URL, _range())
        admin_client.get(POSTS_CSV_URL, _range())
    add(40)
    with django_assert_num_queries(page):
        response = admin_client.get(URL, _range())
    assert response.context["engagement"].total.posts == 44
    with django_assert_num_queries(len(few)):
        admin_client.get(CSV_URL, _range())
        admin_client.get(POSTS_CSV_URL, _range())


# --- the task page and its sparklines -----------------------------------------------------
def test_the_task_page_shows_each_platforms_numbers_with_sparklines(admin_client, quizzes):
    python = quizzes[0]
    for language, heading in (
        ("en", "Engagement per platform"),
        ("ru", "Вовлечённость по платформам"),
    ):
        html = admin_client.get(
            f"/admin/tasks/task/{python.task_id}/change/", HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()
        assert heading in html
    section = html[html.index('id="post-engagement"') :]
    assert 'data-platform="pinterest"' in section
    assert section.count('<svg class="sparkline"') == 2
    assert "<strong>100</strong>" in section  # the latest views
    assert "<polyline" in section


def test_a_sparkline_scales_its_points_into_the_box():
    start = NOW
    svg = str(
        render_sparkline_svg(
            [(start, 0), (start + timedelta(hours=1), 50), (start + timedelta(hours=2), 100)],
            label="Pinterest · Views",
        )
    )
    assert svg.startswith('<svg class="sparkline" role="img" width="120" height="28"')
    points = re.search(r'points="([^"]+)"', svg)
    assert points is not None
    assert points.group(1) == "2.0,26.0 60.0,14.0 118.0,2.0"
    assert "<title>Pinterest · Views: 0 → 100 (" in svg
    assert '<circle cx="118.0" cy="2.0"' in svg


def test_a_sparkline_of_one_point_is_a_dot_and_of_none_an_empty_box():
    one = str(render_sparkline_svg([(NOW, 7)], label="x"))
    assert 'points="60.0,14.0"' in one and "x: 7 → 7" in one
    empty = str(render_sparkline_svg([], label="nothing yet"))
    assert "<polyline" not in empty and "<title>nothing yet</title>" in empty


def test_a_sparkline_escapes_its_label():
    svg = str(render_sparkline_svg([(NOW, 1)], label="<script>alert(1)</script>"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
