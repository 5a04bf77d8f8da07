"""An editor writes a caption template in a real browser: the live preview follows the
typing, says when the text is cut and shows a broken template's error — Russian and English."""

from __future__ import annotations

import pytest

from social_media.models import CaptionTemplate
from tests.factories import TaskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "ru-RU": {"cut": "Заголовок обрезан до 100 символов.", "refused": "нельзя использовать"},
    "en-US": {"cut": "The title is cut to 100 characters.", "refused": "cannot be used"},
}


@pytest.mark.parametrize("locale", ["ru-RU", "en-US"])
def test_the_live_preview_follows_the_template(admin_page, shots, live_server, locale):
    text = TEXT[locale]
    task = TaskFactory(language="ru", topic="Алгоритмы", question="Что такое куча?")
    page = admin_page(locale)
    page.goto(f"{live_server.url}/admin/social_media/captiontemplate/add/")
    title = page.locator("#caption-preview tr[data-field=title] td.value")
    page.select_option("#id_platform", "pinterest")
    page.select_option("#id_language", "ru")
    page.select_option("#caption-preview-task", str(task.pk))

    page.fill("#id_title", "{{ topic|upper }} — {{ question_first_line }}")
    page.wait_for_function(
        "document.querySelector('#caption-preview tr[data-field=title] td.value')"
        ".textContent.startsWith('АЛГОРИТМЫ — Что такое куча?')"
    )
    shots(page, "rendered")

    page.fill("#id_title", "{{ question }}" * 10)
    page.wait_for_function(
        f"document.querySelector('#caption-preview').textContent.includes({text['cut']!r})"
    )
    assert title.inner_text().split("\n")[0].endswith("…")
    shots(page, "cut")

    page.fill("#id_title", "{% load static %}")
    page.wait_for_selector("#caption-preview tr[data-field=title] .caption-error")
    assert "'load'" in title.inner_text()
    shots(page, "error")

    page.click("input[name=_save]")
    assert text["refused"] in page.locator(".errorlist").first.inner_text()
    assert not CaptionTemplate.objects.exists()
