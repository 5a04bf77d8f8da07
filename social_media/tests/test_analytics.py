import re
from datetime import UTC as dt_utc
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from social_media.analytics import (
    PlatformFigures,
    analytics_report,
    default_range,
    median,
    platform_label,
)
from social_media.analytics_chart import render_chart_svg
from social_media.views_analytics import CSV_HEADER, format_duration
from tasks.models import SocialMediaPost
from tests.factories import SocialMediaPostFactory

pytestmark = pytest.mark.django_db

URL = "/admin/analytics/"
CSV_URL = "/admin/analytics.csv"
NOW = timezone.now().replace(microsecond=0)


@pytest.fixture(autouse=True)
def _no_auto_publish(settings):
    settings.SOCIAL_MEDIA_AUTO_PUBLISH = False


def make_post(
    platform: str,
    status: str,
    *,
    created: datetime = NOW,
    published_after: float | None = None,
    failure_kind: str = "",
) -> SocialMediaPost:
    post = SocialMediaPostFactory(platform=platform)
    published_at = created + timedelta(seconds=published_after) if published_after else None
    SocialMediaPost.objects.filter(pk=post.pk).update(
        status=status, created_at=created, published_at=published_at, failure_kind=failure_kind
    )
    return post


@pytest.fixture
def known_data() -> None:
    # Pinterest: 3 published after 60 s, 120 s and 600 s; 1 permanent failure.
    for seconds in (60, 120, 600):
        make_post("pinterest", "published", published_after=seconds)
    make_post("pinterest", "failed", failure_kind="permanent")
    # Facebook: nothing finished yet except two failures of different classes.
    make_post("facebook", "pending")
    make_post("facebook", "processing")
    make_post("facebook", "failed", failure_kind="auth")
    make_post("facebook", "failed", failure_kind="no_callback")
    # Yandex Dzen: only in flight, so no success rate.
    make_post("yandex_dzen", "pending", failure_kind="transient")


def _today_range() -> dict[str, str]:
    today = timezone.localdate()
    return {"date_from": (today - timedelta(days=1)).isoformat(), "date_to": today.isoformat()}


@pytest.fixture(params=["database", "python"])
def median_path(request, monkeypatch) -> str:
    """Run a test with the database's median (PostgreSQL) and with the portable fallback."""
    if request.param == "python":
        monkeypatch.setattr("social_media.analytics.native_median", lambda: False)
    elif connection.vendor != "postgresql":
        pytest.skip("percentile_cont needs PostgreSQL")
    return request.param


def test_figures_on_known_data(known_data, median_path):
    start, end = default_range()
    report = analytics_report(date_from=start, date_to=end)

    rows = {row.key: row for row in report.rows}
    assert [row.key for row in report.rows] == ["pinterest", "facebook", "yandex_dzen"]
    pinterest = rows["pinterest"]
    assert (pinterest.posts, pinterest.published, pinterest.failed, pinterest.in_flight) == (
        4,
        3,
        1,
        0,
    )
    assert pinterest.success_rate == 75.0
    assert pinterest.median_seconds == 120.0
    assert pinterest.failures["permanent"] == 1
    facebook = rows["facebook"]
    assert (facebook.posts, facebook.published, facebook.failed, facebook.in_flight) == (4, 0, 2, 2)
    assert facebook.success_rate == 0.0
    assert facebook.median_seconds is None
    assert facebook.failures == {
        "transient": 0,
        "rate_limited": 0,
        "permanent": 0,
        "auth": 1,
        "unknown": 0,
        "no_callback": 1,
        "step_timeout": 0,
        "callback": 0,
        "other": 0,
    }
    dzen = rows["yandex_dzen"]
    assert dzen.success_rate is None
    assert dzen.failures["transient"] == 0  # a retry in waiting is not a failure

    total = report.total
    assert (total.posts, total.published, total.failed, total.in_flight) == (9, 3, 3, 3)
    assert total.success_rate == 50.0
    assert total.median_seconds == 120.0
    assert sum(total.failures.values()) == 3


def test_median_of_an_even_count_is_the_mean_of_the_middle_two(median_path):
    make_post("facebook", "published", published_after=60)
    make_post("facebook", "published", published_after=90)
    make_post("pinterest", "published", published_after=300)
    start, end = default_range()

    report = analytics_report(date_from=start, date_to=end)

    assert {r.key: r.median_seconds for r in report.rows} == {"pinterest": 300.0, "facebook": 75.0}
    assert report.total.median_seconds == 90.0
    assert median([60.0, 90.0]) == 75.0
    assert median([]) is None


def test_failed_post_without_a_known_class_counts_as_other():
    make_post("tiktok", "failed", failure_kind="")
    start, end = default_range()

    (row,) = analytics_report(date_from=start, date_to=end).rows

    assert row.failures["other"] == 1
    assert sum(row.failures.values()) == 1


def test_date_filter_excludes_posts_outside_the_range():
    make_post("pinterest", "published", created=NOW, published_after=30)
    make_post("pinterest", "failed", created=NOW - timedelta(days=40), failure_kind="auth")
    make_post(
        "pinterest",
        "failed",
        created=datetime(2024, 3, 10, 23, 59, tzinfo=dt_utc),
        failure_kind="permanent",
    )
    make_post(
        "facebook",
        "published",
        created=datetime(2024, 3, 11, 0, 0, tzinfo=dt_utc),
        published_after=5,
    )

    recent = analytics_report(date_from=NOW.date() - timedelta(days=1), date_to=NOW.date())
    march = analytics_report(date_from=date(2024, 3, 1), date_to=date(2024, 3, 10))

    assert [(r.key, r.posts, r.failed) for r in recent.rows] == [("pinterest", 1, 0)]
    assert [(r.key, r.posts, r.failed) for r in march.rows] == [("pinterest", 1, 1)]


def test_default_range_is_the_last_thirty_days_including_today():
    assert default_range(date(2025, 3, 30)) == (date(2025, 3, 1), date(2025, 3, 30))


def test_page_shows_figures_chart_and_csv_link(admin_client, known_data):
    response = admin_client.get(URL, _today_range(), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Publishing analytics" in html
    assert "75 %" in html
    assert "2 min 0 s" in html  # the Pinterest median
    assert "—" in html  # Yandex Dzen has no finished post
    assert html.count('class="bar-group"') == 3
    assert f'href="{CSV_URL}?date_from=' in html
    assert 'id="changelist"' not in html  # our own page, not a model list
    assert 'class="breadcrumbs"' in html  # admin layout


def test_page_without_filters_uses_the_last_thirty_days(admin_client):
    make_post("pinterest", "published", published_after=10)
    make_post("pinterest", "failed", created=NOW - timedelta(days=31), failure_kind="auth")

    response = admin_client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    start, end = default_range()
    assert response.context["form"]["date_from"].value() == start.isoformat()
    assert response.context["form"]["date_to"].value() == end.isoformat()
    assert response.context["report"].total.posts == 1


def test_empty_period_says_so(admin_client):
    response = admin_client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "No posts were created in this period." in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "2025-13-45", "date_to": "2025-01-31"}, "Enter a valid date."),
        ({"date_from": "yesterday", "date_to": "2025-01-31"}, "Enter a valid date."),
        (
            {"date_from": "2025-02-01", "date_to": "2025-01-01"},
            "The start date must not be after the end date.",
        ),
        (
            {"date_from": "2001-01-01", "date_to": "2025-01-01"},
            "Choose a range of at most five years.",
        ),
        ({"date_from": "9999-12-30", "date_to": "9999-12-31"}, "Choose a date between 2000"),
        ({"date_from": "0001-01-01", "date_to": "2025-01-01"}, "Choose a date between 2000"),
    ],
)
def test_bad_dates_show_a_form_error(admin_client, params, message):
    response = admin_client.get(URL, params, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "errornote" in html
    assert response.context["report"] is None

    csv_response = admin_client.get(CSV_URL, params, HTTP_ACCEPT_LANGUAGE="en")
    assert csv_response.status_code == 400
    assert message in csv_response.content.decode()


@pytest.mark.parametrize("url", [URL, CSV_URL])
def test_non_staff_users_are_sent_to_the_login_page(client, url):
    user = get_user_model().objects.create_user("reader", password="pw-123456", is_staff=False)
    client.force_login(user)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(f"/admin/login/?next={url}")


@pytest.mark.parametrize("url", [URL, CSV_URL])
def test_staff_without_permission_to_view_posts_are_refused(client, url):
    user = get_user_model().objects.create_user("editor", password="pw-123456", is_staff=True)
    client.force_login(user)

    assert client.get(url).status_code == 403
    assert "📊" not in client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    user.user_permissions.add(Permission.objects.get(codename="view_socialmediapost"))
    client.force_login(user)
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="en").status_code == 200
    assert f'href="{URL}"' in client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.parametrize("url", [URL, CSV_URL])
def test_anonymous_visitors_are_sent_to_the_login_page(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


NO_NUMBERS = "0,0,0,0,0,0,0,0,0,,"  # engagement columns while nothing was read


def test_csv_holds_the_same_figures(admin_client, known_data):
    params = _today_range()

    response = admin_client.get(CSV_URL, params, HTTP_ACCEPT_LANGUAGE="ru")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="publishing-analytics_{params["date_from"]}_{params["date_to"]}.csv"'
    )
    assert response.content.decode() == (
        "platform,platform_name,posts,published,failed,in_flight,success_rate_percent,"
        "median_seconds_to_publish,failed_transient,failed_rate_limited,failed_permanent,"
        "failed_auth,failed_unknown,failed_no_callback,failed_step_timeout,failed_callback,"
        "failed_other,posts_with_metrics,views,engagements,clicks,saves,shares,comments,"
        "answers,interactions,interactions_per_view_percent,correct_share_percent\n"
        f"pinterest,Pinterest,4,3,1,0,75.0,120.0,0,0,1,0,0,0,0,0,0,{NO_NUMBERS}\n"
        f"facebook,Facebook,4,0,2,2,0.0,,0,0,0,1,0,1,0,0,0,{NO_NUMBERS}\n"
        f"yandex_dzen,{_label_in('ru', 'yandex_dzen')},1,0,0,1,,,0,0,0,0,0,0,0,0,0,{NO_NUMBERS}\n"
        f"total,{_label_in('ru', 'total')},9,3,3,3,50.0,120.0,0,0,1,1,0,1,0,0,0,{NO_NUMBERS}\n"
    )
    assert response.content.decode().splitlines()[0].split(",") == CSV_HEADER


def test_csv_decimals_use_a_dot_in_russian(admin_client):
    for seconds in (61, 62):
        make_post("pinterest", "published", published_after=seconds)
    make_post("pinterest", "failed", failure_kind="auth")

    response = admin_client.get(CSV_URL, _today_range(), HTTP_ACCEPT_LANGUAGE="ru")

    rows = response.content.decode().splitlines()
    assert rows[1].startswith("pinterest,Pinterest,3,2,1,0,66.7,61.5,")


def _label_in(language: str, key: str) -> str:
    with translation.override(language):
        return str(platform_label(key)) if key != "total" else translation.gettext("Total")


def test_chart_has_one_bar_group_per_platform_and_no_external_urls():
    rows = [
        PlatformFigures(key="pinterest", label="Pinterest", posts=4, published=3, failed=1),
        PlatformFigures(key="facebook", label="Facebook", posts=2, in_flight=2),
        PlatformFigures(key="x", label="<script>alert(1)</script>", posts=1, failed=1),
    ]

    svg = str(render_chart_svg(rows))

    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert re.findall(r'data-platform="([^"]+)"', svg) == ["pinterest", "facebook", "x"]
    assert svg.count('class="bar-group"') == 3
    assert "<title" in svg and 'role="img"' in svg
    assert "<script>" not in svg  # labels are escaped
    assert "http" not in svg
    for attribute in re.findall(r'(?:src|href)="([^"]*)"', svg):
        assert "http" not in attribute
    # Widths are proportional to the largest platform (4 posts = 400 px).
    assert 'class="published" x="150" y="30" width="300.0"' in svg
    assert 'class="failed" x="450.0" y="30" width="100.0"' in svg
    assert 'class="in_flight" x="150" y="60" width="200.0"' in svg
    assert svg.count("<rect") == 3 + 4  # legend + non-empty segments


def test_chart_of_nothing_is_still_valid_svg():
    svg = str(render_chart_svg([]))
    assert "bar-group" not in svg
    assert svg.endswith("</svg>")


def test_page_loads_no_script_or_style_from_other_sites(admin_client, known_data):
    html = admin_client.get(URL, _today_range()).content.decode()

    for attribute in re.findall(r'(?:src|href)="([^"]*)"', html):
        assert not attribute.startswith(("http:", "https:", "//")), attribute


def _count_queries(admin_client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(URL, _today_range())
        assert response.status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_posts(admin_client, django_assert_max_num_queries):
    platforms = ["pinterest", "facebook", "instagram", "tiktok", "yandex_dzen"]
    statuses = ["published", "failed", "pending", "processing"]

    def add(count: int, offset: int) -> None:
        for i in range(offset, offset + count):
            make_post(
                platforms[i % 5],
                statuses[i % 4],
                published_after=30 + i if statuses[i % 4] == "published" else None,
                failure_kind="transient" if statuses[i % 4] == "failed" else "",
            )

    add(10, 0)
    with_ten = _count_queries(admin_client)
    add(90, 10)

    with django_assert_max_num_queries(with_ten):
        response = admin_client.get(URL, _today_range())
    assert response.context["report"].total.posts == 100


@pytest.mark.parametrize(
    ("language", "home", "title"),
    [("en", "Home", "Publishing analytics"), ("ru", "Начало", "Аналитика публикаций")],
)
def test_page_renders_in_both_languages(admin_client, known_data, language, home, title):
    response = admin_client.get(URL, _today_range(), HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'lang="{language}"' in html
    assert home in html
    assert title in html


def test_admin_index_links_to_the_page(admin_client):
    html = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert f'href="{URL}"' in html
    assert "📊 Publishing analytics" in html


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0, "0 s"),
        (45.4, "45 s"),
        (125, "2 min 5 s"),
        (3 * 3600 + 600, "3 h 10 min"),
        (2 * 86400 + 4 * 3600 + 59, "2 d 4 h"),
    ],
)
def test_format_duration(seconds, text):
    with translation.override("en"):
        assert format_duration(seconds) == text
