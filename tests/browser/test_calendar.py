"""An editor in a real browser reads the publishing calendar and moves a task to another
day, in Russian and in English.

Django's live server behind Debian's Chromium (fixtures in ``conftest.py``). Nothing is
due while the test runs (the tasks are scheduled for tomorrow on a paced target), so no
worker or platform is needed. Screenshots go to ``test-artifacts/browser/``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from social_media.services import publish_tasks
from tasks.models import SocialMediaPost, Task
from tests.factories import FacebookCredentialsFactory, PinterestCredentialsFactory, TaskFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

TEXT = {
    "ru-RU": {
        "title": "Календарь публикаций",
        "planned": "Запланирован по темпу",
        "week": "Неделя",
        "month": "Месяц",
        "move": "Перенести",
        "moved": "ожидающие посты перенесены на",
    },
    "en-US": {
        "title": "Publishing calendar",
        "planned": "Planned (pace)",
        "week": "Week",
        "month": "Month",
        "move": "Move",
        "moved": "its waiting posts moved to",
    },
}
LOCALES = pytest.mark.parametrize("locale", ["ru-RU", "en-US"])


def _planned_tomorrow(count: int) -> list[Task]:
    """``count`` tasks due tomorrow at 10:00 on an hourly-paced Pinterest board and Facebook."""
    PinterestCredentialsFactory(min_gap_seconds=3600)
    FacebookCredentialsFactory(min_gap_seconds=1800)
    tomorrow = timezone.localdate() + timedelta(days=1)
    due = datetime.combine(tomorrow, time(10, 0), tzinfo=timezone.get_current_timezone())
    tasks = [TaskFactory(publish_date=due) for _ in range(count)]
    Task.objects.update(published=True)
    publish_tasks(Task.objects.order_by("pk"))
    return tasks


def _cell(page, day):
    return page.locator(f"td.calendar-day[data-day='{day.isoformat()}']")


@LOCALES
def test_the_calendar_shows_each_post_on_its_planned_day(admin_page, shots, live_server, locale):
    tasks = _planned_tomorrow(3)
    text = TEXT[locale]
    tomorrow = timezone.localdate() + timedelta(days=1)
    page = admin_page(locale)

    page.click("a[href='/admin/calendar/']")
    page.wait_for_selector("table.calendar")
    assert text["title"] in page.title()
    assert page.locator(".calendar-bar .current").inner_text() == text["week"]
    page.goto(f"{live_server.url}/admin/calendar/?view=week&date={tomorrow.isoformat()}")
    shots(page, "week")

    entries = _cell(page, tomorrow).locator(".calendar-entry")
    assert entries.count() == 6  # three tasks on two platforms
    assert text["planned"] in entries.first.inner_text()
    times = _cell(page, tomorrow).locator(".calendar-entry[data-platform=pinterest] time")
    assert times.all_inner_texts() == ["10:00", "11:00", "12:00"]
    assert set(
        page.locator(".calendar-entry[data-post]").evaluate_all("e => e.map(x => x.dataset.task)")
    ) == {str(t.pk) for t in tasks}

    page.click(".calendar-bar a.view-month")
    page.wait_for_selector("table.calendar.month")
    shots(page, "month")
    assert page.locator("td.calendar-day").count() % 7 == 0

    page.select_option("#calendar-platform", "facebook")
    page.click(".calendar-bar input[type=submit]")
    page.wait_for_selector("table.calendar")
    platforms = page.locator(".calendar-entry[data-post]").evaluate_all(
        "e => e.map(x => x.dataset.platform)"
    )
    assert set(platforms) <= {"facebook"}
    shots(page, "facebook-only")


@LOCALES
def test_moving_a_day_in_the_calendar_moves_the_task_s_posts(
    admin_page, shots, live_server, locale
):
    tasks = _planned_tomorrow(2)
    text = TEXT[locale]
    moved = tasks[1]
    tomorrow = timezone.localdate() + timedelta(days=1)
    target = tomorrow + timedelta(days=2)
    page = admin_page(locale)
    page.goto(f"{live_server.url}/admin/calendar/?view=week&date={tomorrow.isoformat()}")

    # one move form per task and day, on its first waiting post
    form = _cell(page, tomorrow).locator(
        f".calendar-entry[data-task='{moved.pk}'] form.calendar-move"
    )
    assert form.count() == 1
    form.locator("input[type=date]").fill(target.isoformat())
    shots(page, "before-move")
    form.locator("input[type=submit]").click()
    page.wait_for_selector(".messagelist .success")
    assert text["moved"] in page.locator(".messagelist").inner_text()

    page.goto(f"{live_server.url}/admin/calendar/?view=week&date={target.isoformat()}")
    shots(page, "after-move")
    there = _cell(page, target).locator(f".calendar-entry[data-task='{moved.pk}']")
    assert there.count() == 2  # both platforms moved with the task
    # the task's first waiting post went at 10:30 (Facebook's second half-hour): the day
    # changes, the time of day stays, and each target plans its post from there
    assert set(there.locator("time").all_inner_texts()) == {"10:30"}
    days = {timezone.localtime(p.next_attempt_at).date() for p in moved.social_posts.all()}
    assert days == {target}
    stayed = SocialMediaPost.objects.filter(task=tasks[0])
    assert {timezone.localtime(p.next_attempt_at).date() for p in stayed} == {tomorrow}
