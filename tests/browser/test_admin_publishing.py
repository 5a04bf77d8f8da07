"""An editor in a real browser: log in, publish a task to six platforms, run the bulk
action, retry a failed post, read the analytics chart — in Russian and in English.

Django's live server, a real Celery worker on Redis and the platform emulator stand
behind the admin (fixtures shared with ``tests/e2e``). Every step's screenshot goes to
``test-artifacts/browser/``; ``UPDATE_SCREENSHOTS=1`` also refreshes the README's
``docs/screenshots/`` (then shrink them: ``pngquant --force --ext .png docs/screenshots/*.png``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from social_media.delivery import posts_relay
from tasks.models import SocialMediaPost, Task
from tests.browser.conftest import SCREENSHOTS, reload_until
from tests.e2e.conftest import arm, register_hook, wait_until
from tests.factories import (
    FacebookCredentialsFactory,
    PinterestCredentialsFactory,
    TaskFactory,
    WebhookFactory,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

WEBHOOK_PLATFORMS = ["instagram", "tiktok", "youtube_shorts", "yandex_dzen"]
SIX = 6
# Each task renders its cards and a full-size video in the worker first (seconds of CPU on a
# busy 2-core machine); the wait ends as soon as every post is final.
FINAL_WAIT = 60.0
SCHEDULE_AHEAD = 6  # seconds: long enough to see the posts wait, short enough to wait for

TEXT = {
    "ru-RU": {
        "published": "Опубликовано",
        "failed": "Ошибка",
        "action": "📱 Опубликовать в соцсети",
        "confirm_title": "Опубликовать в соцсети?",
        "confirm_new": "Новых постов к отправке: 18",
        "confirm": "Да, опубликовать",
        "bulk_message": "3 задачи отправлены в соцсети.",
        "retry_action": "Повторить выбранные публикации",
        "retry_message": "1 публикация возвращена в очередь.",
        "analytics": "Аналитика публикаций",
        "all_published": "Все опубликованы",
        "pending": "Ожидает",
        "scheduled": "Запланирована",
    },
    "en-US": {
        "published": "Published",
        "failed": "Failed",
        "action": "📱 Publish to social networks",
        "confirm_title": "Publish to social networks?",
        "confirm_new": "New posts to send: 18",
        "confirm": "Yes, publish",
        "bulk_message": "3 tasks sent to social networks.",
        "retry_action": "Retry selected posts",
        "retry_message": "1 post moved back to the queue.",
        "analytics": "Publishing analytics",
        "all_published": "All published",
        "pending": "Pending",
        "scheduled": "Scheduled",
    },
}
LOCALES = pytest.mark.parametrize("locale", ["ru-RU", "en-US"])


def _six_platforms(emulator) -> None:
    """Active Pinterest and Facebook credentials and a Make.com webhook for four more."""
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    webhook = WebhookFactory(url=f"{emulator.url}/make/browser", target_platforms=WEBHOOK_PLATFORMS)
    register_hook(emulator, "browser", webhook.secret)


def _inline_statuses(page) -> list[str]:
    return page.locator("#social_posts-group td.field-status_badge").all_inner_texts()


def _post_states(task: Task) -> str:
    return str(
        {p.platform: (p.status, p.error_message) for p in SocialMediaPost.objects.filter(task=task)}
    )


def _readme_screenshot(page, shots, step: str, name: str) -> None:
    """A viewport-sized shot of the current view; with ``UPDATE_SCREENSHOTS=1`` it also
    replaces the README's copy in ``docs/screenshots/`` (tracked files stay untouched
    by an ordinary run)."""
    if page.locator("#main.shifted #toggle-nav-sidebar").count():
        page.click("#toggle-nav-sidebar")  # the README reads better without the sidebar
        page.wait_for_selector("#main:not(.shifted)")
    path = shots(page, step, full_page=False)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SCREENSHOTS / name)


def _fill_task_form(page, question: str, language: str) -> None:
    page.fill("#id_question", question)
    page.fill("#id_answers", json.dumps(["3", "4", "5", "error"]))
    page.fill("#id_correct_answer", "4")
    page.fill("#id_image_url", "https://cdn.quiz.example.com/tasks/browser.png")
    page.fill("#id_topic", "Python")
    page.fill("#id_language", language)
    page.check("#id_published")


def _select_action(page, label: str) -> None:
    """Choose a changelist action by its visible label and press the action button."""
    page.select_option("select[name=action]", label=label)
    page.click("button[name=index]")


@LOCALES
def test_a_task_saved_published_in_the_admin_reaches_six_platforms(
    e2e, admin_page, shots, live_server, locale
):
    _six_platforms(e2e)
    text = TEXT[locale]
    page = admin_page(locale)
    assert page.locator("html").get_attribute("lang") == locale[:2]

    page.goto(f"{live_server.url}/admin/tasks/task/add/")
    question = f"Browser ({locale}): what does len('abcd') return?"
    _fill_task_form(page, question, locale[:2])
    shots(page, "add-form")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")

    task = Task.objects.get(question=question)
    assert task.published is True
    assert page.url.endswith(f"/admin/tasks/task/{task.pk}/change/")

    def six_published():
        statuses = _inline_statuses(page)
        return len(statuses) == SIX and set(statuses) == {text["published"]}

    reload_until(
        page,
        six_published,
        timeout=FINAL_WAIT,
        message=lambda: (
            f"inline posts {_inline_statuses(page)}; in the database {_post_states(task)}"
        ),
    )
    links = page.locator("#social_posts-group td.field-post_link a")
    assert links.count() == SIX
    for href in (links.nth(i).get_attribute("href") for i in range(SIX)):
        assert href.startswith(e2e.url), href
    # A stored link opens the emulator's page for that post.
    assert requests.get(links.first.get_attribute("href"), timeout=5).status_code == 200
    shots(page, "six-published")
    if locale == "en-US":
        page.locator("#social_posts-group").evaluate("e => e.scrollIntoView({block: 'end'})")
        _readme_screenshot(page, shots, "six-published-readme", "task-six-published.png")

    page.goto(f"{live_server.url}/admin/tasks/task/")
    row = page.locator("#result_list tbody tr", has_text=question[:40])
    assert text["all_published"] in row.inner_text()
    shots(page, "task-list")


@LOCALES
def test_a_scheduled_task_waits_then_goes_out_when_due(e2e, admin_page, shots, live_server, locale):
    """Saved with a publish date a few seconds ahead: the posts wait in the database;
    the relay (beat's job, run here) hands them to the worker once they are due."""
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    text = TEXT[locale]
    page = admin_page(locale)
    question = f"Scheduled ({locale}): what does 2 ** 2 return?"
    due = timezone.localtime() + timedelta(seconds=SCHEDULE_AHEAD)

    page.goto(f"{live_server.url}/admin/tasks/task/add/")
    _fill_task_form(page, question, locale[:2])
    page.fill("#id_publish_date_0", due.strftime("%Y-%m-%d"))
    page.fill("#id_publish_date_1", due.strftime("%H:%M:%S"))
    shots(page, "add-form")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist")

    task = Task.objects.get(question=question)
    assert task.publish_date == due.replace(microsecond=0)
    posts = SocialMediaPost.objects.filter(task=task)
    assert {(p.status, p.next_attempt_at, p.attempt_count) for p in posts} == {
        ("pending", task.publish_date, 0)
    }, _post_states(task)
    assert _inline_statuses(page) == [text["pending"]] * 2
    shots(page, "waiting")
    page.goto(f"{live_server.url}/admin/tasks/task/")
    row = page.locator("#result_list tbody tr", has_text=question[:30])
    assert text["scheduled"] in row.inner_text()
    shots(page, "scheduled-list")

    page.goto(f"{live_server.url}/admin/tasks/task/{task.pk}/change/")

    def relayed_and_published():
        posts_relay()
        statuses = _inline_statuses(page)
        return statuses == [text["published"]] * 2

    reload_until(
        page,
        relayed_and_published,
        timeout=SCHEDULE_AHEAD + FINAL_WAIT,
        message=lambda: f"not published: {_post_states(task)}",
    )
    shots(page, "published")
    published_at = SocialMediaPost.objects.filter(task=task).values_list("published_at", flat=True)
    assert task.publish_date is not None
    assert all(when is not None and when >= task.publish_date for when in published_at)


@LOCALES
def test_the_bulk_action_publishes_several_tasks_and_reports_per_platform(
    e2e, admin_page, shots, live_server, locale
):
    _six_platforms(e2e)
    text = TEXT[locale]
    tasks = [TaskFactory(question=f"Bulk {locale} #{n}: 2 + {n}?") for n in range(3)]
    TaskFactory(question=f"Bulk {locale}: not selected")
    page = admin_page(locale)

    page.goto(f"{live_server.url}/admin/tasks/task/")
    for task in tasks:
        page.check(f"#result_list input[name=_selected_action][value='{task.pk}']")
    shots(page, "selected")
    _select_action(page, text["action"])

    # A confirmation page first: what will be sent where; nothing is sent yet.
    page.wait_for_selector("body.publish-confirmation")
    assert page.locator("h1").inner_text() == text["confirm_title"]
    assert text["confirm_new"] in page.locator(".publish-totals").inner_text()
    plan = page.locator("tr[data-decision=new]")
    assert plan.count() == 3 * SIX
    assert {plan.nth(i).get_attribute("data-task") for i in range(3 * SIX)} == {
        str(task.pk) for task in tasks
    }
    shots(page, "confirmation")
    assert not SocialMediaPost.objects.exists()
    page.click(f"input[type=submit][value='{text['confirm']}']")
    page.wait_for_selector(".messagelist")

    message = page.locator(".messagelist li").first.inner_text()
    shots(page, "message")
    assert message.startswith(text["bulk_message"]), message
    # One count per platform: six platforms, three new posts each.
    assert len(re.findall(r"\b3\b", message)) >= SIX + 1, message
    assert "Pinterest" in message and "Facebook" in message

    page.goto(f"{live_server.url}/admin/tasks/task/?published__exact=1")

    def all_published():
        rows = page.locator("#result_list tbody tr", has_text=f"Bulk {locale} #")
        texts = rows.all_inner_texts()
        return len(texts) == 3 and all(text["all_published"] in t for t in texts)

    reload_until(
        page,
        all_published,
        timeout=FINAL_WAIT,
        message=lambda: "; ".join(_post_states(t) for t in tasks),
    )
    shots(page, "all-published")
    assert not Task.objects.filter(question=f"Bulk {locale}: not selected", published=True).exists()


@LOCALES
def test_a_failed_post_is_retried_from_the_post_admin(e2e, admin_page, shots, live_server, locale):
    PinterestCredentialsFactory()
    text = TEXT[locale]
    arm(e2e, platform="pinterest", fault="status", status=400, count=None, method="POST")
    task = TaskFactory(question=f"Retry {locale}: 10 // 3?", published=True)
    page = admin_page(locale)

    page.goto(f"{live_server.url}/admin/tasks/socialmediapost/?status__exact=failed")

    def failed_row():
        row = page.locator("#result_list tbody tr", has_text=f"Retry {locale}")
        return row.count() == 1 and text["failed"] in row.inner_text()

    reload_until(
        page,
        failed_row,
        timeout=FINAL_WAIT,
        message=lambda: (
            f"no failed row: {_post_states(task)}\n{page.locator('#content').inner_text()}"
        ),
    )
    shots(page, "failed")
    post = SocialMediaPost.objects.get(task=task, platform="pinterest")
    assert post.status == "failed"
    assert "400" in post.error_message

    requests.delete(f"{e2e.url}/_control/faults", timeout=5).raise_for_status()
    page.check(f"#result_list input[name=_selected_action][value='{post.pk}']")
    _select_action(page, text["retry_action"])
    page.wait_for_selector(".messagelist")
    message = page.locator(".messagelist li").first.inner_text()
    shots(page, "retried")
    assert message == text["retry_message"], message

    page.goto(f"{live_server.url}/admin/tasks/socialmediapost/{post.pk}/change/")

    def published():
        return page.locator(".field-status_badge .readonly").inner_text() == text["published"]

    reload_until(
        page, published, timeout=FINAL_WAIT, message=lambda: f"not published: {_post_states(task)}"
    )
    shots(page, "published")
    post.refresh_from_db()
    assert post.post_url.startswith(e2e.url)
    assert post.error_message == ""


@LOCALES
def test_the_analytics_page_draws_its_chart_after_publishing(
    e2e, admin_page, shots, live_server, locale
):
    _six_platforms(e2e)
    text = TEXT[locale]
    first = TaskFactory(published=True)
    wait_until(
        lambda: SocialMediaPost.objects.filter(task=first, status="published").count() == SIX,
        timeout=FINAL_WAIT,
        message=lambda: f"not published: {_post_states(first)}",
    )
    arm(e2e, platform="pinterest", fault="status", status=400, count=None, method="POST")
    second = TaskFactory(published=True)
    wait_until(
        lambda: (
            SocialMediaPost.objects.filter(task=second, status__in=["published", "failed"])
            .values("status")
            .count()
            == SIX
        ),
        timeout=FINAL_WAIT,
        message=lambda: f"not final: {_post_states(second)}",
    )
    page = admin_page(locale)

    page.goto(f"{live_server.url}/admin/")
    page.click("#analytics-link a")
    page.wait_for_url("**/admin/analytics/**")
    chart = page.locator("svg.analytics-chart")
    chart.wait_for(state="visible")
    box = chart.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 100
    assert chart.locator("g.bar-group").count() == SIX
    # Pinterest's bar has a published and a failed segment; the others are all published.
    pinterest = chart.locator("g.bar-group[data-platform=pinterest]")
    assert pinterest.locator("rect.published").count() == 1
    assert pinterest.locator("rect.failed").count() == 1
    assert chart.locator("rect.failed").count() == 1
    assert page.locator("h1").inner_text() == text["analytics"]
    figures = page.locator("table.analytics-table").first
    assert "Facebook" in figures.inner_text()
    pinterest_row = figures.locator("tr[data-platform=pinterest]").inner_text().split()
    assert pinterest_row[1:5] == ["2", "1", "1", "0"], pinterest_row
    failures = page.locator("table.analytics-table").nth(1)
    assert failures.locator("tr[data-platform=pinterest]").inner_text().split().count("1") == 1
    shots(page, "chart")
    if locale == "en-US":
        _readme_screenshot(page, shots, "chart-readme", "analytics.png")
