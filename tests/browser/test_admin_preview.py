"""An editor in a real browser: the preview per platform on the task page, and a task
scheduled for tomorrow that waits in the list — in Russian and in English."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tasks.models import PostStatus, Task
from tests.factories import PinterestCredentialsFactory, TaskFactory, WebhookFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "ru-RU": {
        "preview": "Предпросмотр по платформам",
        "no_image": "Ещё не отрисовано",
        "cut": "Заголовок обрезан до 100 символов.",
        "scheduled": "Запланирована",
        "save": "Сохранить",
    },
    "en-US": {
        "preview": "Preview per platform",
        "no_image": "Not rendered yet",
        "cut": "The title is cut to 100 characters.",
        "scheduled": "Scheduled",
        "save": "Save",
    },
}
LOCALES = pytest.mark.parametrize("locale", ["ru-RU", "en-US"])


@pytest.fixture(autouse=True)
def nothing_is_sent(settings):
    """No platform answers here: the posts of these tests must only wait."""
    settings.PINTEREST_API_BASE_URL = "http://127.0.0.1:9/v5"


@LOCALES
def test_the_task_page_previews_each_platform(admin_page, shots, live_server, locale):
    text = TEXT[locale]
    PinterestCredentialsFactory()
    WebhookFactory(target_platforms=["yandex_dzen"], payload_format="flat")
    task = TaskFactory(language="ru", question="Что выведет код? " + "Ж" * 200, image_url="")
    page = admin_page(locale)

    page.goto(f"{live_server.url}/admin/tasks/task/{task.pk}/change/")

    section = page.locator("#platform-preview")
    section.scroll_into_view_if_needed()
    shots(page, "preview")
    assert text["preview"] in section.inner_text()
    pinterest = section.locator(".platform-preview[data-platform=pinterest]")
    assert text["no_image"] in pinterest.inner_text()
    assert text["cut"] in pinterest.inner_text()
    title = pinterest.locator("tr[data-field=title] td.value").inner_text()
    assert len(title) == 100 and title.endswith("…")
    payload = section.locator(".platform-preview[data-platform=yandex_dzen] pre").inner_text()
    assert '"external_link"' in payload


@LOCALES
def test_a_task_scheduled_for_tomorrow_waits_in_the_list(admin_page, shots, live_server, locale):
    text = TEXT[locale]
    PinterestCredentialsFactory()
    task = TaskFactory(question="Scheduled in the browser?")
    tomorrow = timezone.localtime() + timedelta(days=1)
    page = admin_page(locale)
    page.goto(f"{live_server.url}/admin/tasks/task/{task.pk}/change/")

    page.check("#id_published")
    page.fill("#id_publish_date_0", tomorrow.strftime("%Y-%m-%d"))
    page.fill("#id_publish_date_1", "12:00:00")
    shots(page, "schedule")
    page.click(f"input[type=submit][name=_save][value='{text['save']}']")
    page.wait_for_selector(".messagelist")

    page.goto(f"{live_server.url}/admin/tasks/task/?schedule=scheduled")
    shots(page, "scheduled-list")
    row = page.locator("#result_list tbody tr").filter(has_text="Scheduled in the browser?")
    assert text["scheduled"] in row.inner_text()
    task = Task.objects.get(pk=task.pk)
    post = task.social_posts.get()
    assert post.status == PostStatus.PENDING
    assert post.next_attempt_at == task.publish_date
    assert post.attempt_count == 0
