"""Preview per platform: the texts after limits, payload shapes, warnings, the dry run."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import translation

from social_media.delivery import post_publish
from social_media.preview import task_preview
from social_media.targets import Targets
from social_media.tests.contract import PINTEREST_API, SITE_URL
from tasks.models import SocialMediaPost, Task
from tests.factories import (
    FacebookCredentialsFactory,
    PinterestCredentialsFactory,
    TaskFactory,
    WebhookFactory,
    task_admin_form,
)

pytestmark = pytest.mark.django_db

PINS = f"{PINTEREST_API}/pins"
MAKE = "https://hook.eu1.make.com/abc123"
ZAPIER = "https://hooks.zapier.com/hooks/catch/1/xyz/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}
LONG_RU = "Ж" * 300


@pytest.fixture(autouse=True)
def english():
    """Unit checks read messages in English (the admin's default is Russian)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE_URL
    settings.PINTEREST_API_BASE_URL = PINTEREST_API
    settings.SOCIAL_MEDIA_AUTO_PUBLISH = False  # previews only: nothing is sent on save


def previews_of(task: Task) -> dict:
    return {p.key: p for p in task_preview(task, Targets.load())}


def field(preview, name: str):
    return next(f for f in preview.fields if f.name == name)


def test_cyrillic_title_is_cut_at_the_platform_limit_with_an_ellipsis():
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    task = TaskFactory(language="ru", topic="Python", question=LONG_RU)

    previews = previews_of(task)

    pin_title = field(previews["pinterest"], "title")
    assert pin_title.value == ("Квиз по теме «Python»: " + LONG_RU)[:99] + "…"
    assert (pin_title.length, pin_title.limit) == (100, 100)
    fb_title = field(previews["facebook"], "title")
    assert fb_title.value == ("Квиз по теме «Python»: " + LONG_RU)[:254] + "…"
    assert fb_title.length == 255
    assert "The title is cut to 100 characters." in previews["pinterest"].notes
    assert not previews["pinterest"].problems


def test_cyrillic_description_keeps_link_and_hashtags_within_the_limit():
    PinterestCredentialsFactory()
    task = TaskFactory(language="ru", topic="Python", question="Вопрос " + LONG_RU * 3)

    description = field(previews_of(task)["pinterest"], "description")

    assert description.length == 800
    assert description.value.endswith("#python #программирование #квиз #викторина")
    assert f"Ответ и объяснение: {SITE_URL}/task/{task.pk}" in description.value
    assert "…\n\nОтвет и объяснение" in description.value


def test_short_task_is_not_cut():
    PinterestCredentialsFactory()
    task = TaskFactory(question="What is 2 + 2?")

    preview = previews_of(task)["pinterest"]

    assert preview.notes == []
    assert field(preview, "title").value == "Python Quiz: What is 2 + 2?"
    assert field(preview, "image_url").value == task.image_url
    assert field(preview, "link").value == f"{SITE_URL}/task/{task.pk}"


def test_warnings_for_missing_board_and_page_but_not_for_a_missing_image():
    PinterestCredentialsFactory(extra_data={})
    FacebookCredentialsFactory(extra_data={"page_id": ""})
    task = TaskFactory(image_url="")

    previews = previews_of(task)

    pin = previews["pinterest"]
    assert pin.problems == ['Pinterest needs {"board_id": "…"}.']  # the card stands in
    assert previews["facebook"].problems == ['Facebook needs {"page_id": "…"}.']


def test_only_active_platforms_are_previewed():
    PinterestCredentialsFactory(is_active=False)
    FacebookCredentialsFactory()
    WebhookFactory(target_platforms=["tiktok"], is_active=False)

    assert list(previews_of(TaskFactory())) == ["facebook"]


def test_webhook_payload_in_each_webhooks_shape():
    WebhookFactory(url=MAKE, target_platforms=["instagram"], payload_format="nested")
    WebhookFactory(url=ZAPIER, target_platforms=["yandex_dzen"], payload_format="flat")
    task = TaskFactory(language="ru", question="Что выведет код?")

    previews = previews_of(task)

    nested = json.loads(previews["instagram"].payload)
    assert set(nested) == {"task_id", "platform", "content", "metadata"}
    assert nested["content"]["title"] == "Квиз по теме «Python»: Что выведет код?"
    flat = json.loads(previews["yandex_dzen"].payload)
    assert flat["question"] == "Что выведет код?"
    assert flat["external_link"] == f"{SITE_URL}/task/{task.pk}"
    assert "content" not in flat
    # Pretty-printed, Cyrillic as it is sent (not \\u escapes).
    assert '\n  "platform": "yandex_dzen"' in previews["yandex_dzen"].payload
    assert "Что выведет код?" in previews["yandex_dzen"].payload
    assert str(previews["yandex_dzen"].payload_format).startswith("Flat")


def test_preview_is_what_pinterest_receives(mocked_responses):
    PinterestCredentialsFactory()
    task = TaskFactory(language="ru", question=LONG_RU)
    preview = previews_of(task)["pinterest"]
    mocked_responses.post(PINS, status=201, json={"id": "1"})
    post = SocialMediaPost.objects.create(task=task, platform="pinterest")

    post_publish(post_id=post.pk)

    sent = json.loads(mocked_responses.calls[0].request.body)
    for name in ("title", "description", "alt_text", "link"):
        assert sent[name] == field(preview, name).value
    # The task has no image: the card the worker rendered, which the task page now shows.
    card = task_preview(task, Targets.load(), with_media=True)[0].media[0]
    assert card.spec.kind == "question_card"
    assert card.rendered is not None
    assert sent["media_source"]["url"] == card.rendered.url


def test_preview_is_what_the_webhook_receives(mocked_responses):
    webhook = WebhookFactory(url=MAKE, target_platforms=["tiktok"])
    task = TaskFactory(language="ru", question=LONG_RU)
    preview = previews_of(task)["tiktok"]
    mocked_responses.post(MAKE, body="Accepted")
    post = SocialMediaPost.objects.create(task=task, platform="tiktok", webhook=webhook)

    post_publish(post_id=post.pk)

    sent = json.loads(mocked_responses.calls[0].request.body)
    media = sent["content"].pop("media")
    assert sent == json.loads(preview.payload)
    # Once the worker has rendered the video, the task page's payload is exactly what was sent.
    after = {p.key: p for p in task_preview(task, Targets.load(), with_media=True)}["tiktok"]
    assert json.loads(after.payload)["content"]["media"] == media
    assert media["video"]["mime_type"] == "video/mp4"


# --- the admin pages -----------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (EN, ["Preview per platform", "Not rendered yet", "Characters", "Flat"]),
        (RU, ["Предпросмотр по платформам", "Ещё не отрисовано", "Символов", "Плоский"]),
    ],
)
def test_change_page_shows_the_preview_in_both_languages(admin_client, headers, expected):
    PinterestCredentialsFactory()
    WebhookFactory(target_platforms=["yandex_dzen"], payload_format="flat")
    task = TaskFactory(image_url="", language="ru", question=LONG_RU)

    response = admin_client.get(reverse("admin:tasks_task_change", args=[task.pk]), **headers)

    assert response.status_code == 200
    html = response.content.decode()
    for text in expected:
        assert text in html
    assert ("Квиз по теме «Python»: " + LONG_RU)[:99] + "…" in html
    assert "100 / 100" in html
    assert "&quot;external_link&quot;" in html


def test_add_page_has_no_preview(admin_client):
    PinterestCredentialsFactory()
    html = admin_client.get(reverse("admin:tasks_task_add"), **EN).content.decode()
    assert "Preview per platform" not in html


def test_change_page_without_platforms_says_so(admin_client):
    task = TaskFactory()
    html = admin_client.get(
        reverse("admin:tasks_task_change", args=[task.pk]), **EN
    ).content.decode()
    assert "No active social network for this task" in html


def test_saving_as_published_warns_about_what_will_fail(admin_client):
    PinterestCredentialsFactory(extra_data={})
    FacebookCredentialsFactory()
    task = TaskFactory(image_url="", question=LONG_RU)
    url = reverse("admin:tasks_task_change", args=[task.pk])

    response = admin_client.post(url, task_admin_form(task, published="on"), follow=True, **EN)

    task.refresh_from_db()
    assert task.published is True  # the save went through
    messages = {m.level_tag: str(m) for m in response.context["messages"]}
    assert 'Pinterest: Pinterest needs {"board_id": "…"}.' in messages["warning"]
    assert "Facebook" not in messages["warning"]
    assert "Pinterest: The title is cut to 100 characters." in messages["info"]


def test_saving_unpublished_or_healthy_task_gives_no_warning(admin_client):
    PinterestCredentialsFactory()
    task = TaskFactory(question="Short?")
    url = reverse("admin:tasks_task_change", args=[task.pk])

    for published in ("", "on"):
        response = admin_client.post(
            url, task_admin_form(task, published=published), follow=True, **EN
        )
        assert [m.level_tag for m in response.context["messages"]] == ["success"]


def test_dry_run_renders_payloads_and_sends_nothing(admin_client, mocked_responses):
    PinterestCredentialsFactory()
    WebhookFactory(url=MAKE, target_platforms=["instagram"])
    first = TaskFactory(question="Первый вопрос?", language="ru")
    second = TaskFactory(question="Second question?", image_url="")
    before = list(Task.objects.order_by("pk").values())

    response = admin_client.post(
        reverse("admin:tasks_task_changelist"),
        {"action": "dry_run", "_selected_action": [first.pk, second.pk]},
        **EN,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing has been sent" in html
    assert html.count('data-platform="pinterest"') == 2
    assert html.count('data-platform="instagram"') == 2
    assert "Первый вопрос?" in html and "Second question?" in html
    assert f"&quot;task_id&quot;: {first.pk}" in html
    assert "Not rendered yet" not in html  # the dry run shows texts and payloads only
    assert len(mocked_responses.calls) == 0
    assert not SocialMediaPost.objects.exists()
    assert list(Task.objects.order_by("pk").values()) == before


def test_dry_run_page_in_russian(admin_client):
    PinterestCredentialsFactory()
    task = TaskFactory()
    response = admin_client.post(
        reverse("admin:tasks_task_changelist"),
        {"action": "dry_run", "_selected_action": [task.pk]},
        **RU,
    )
    assert "Ничего не отправлено" in response.content.decode()


@pytest.mark.parametrize("answers", ["5", "true"])
def test_malformed_answers_on_the_change_page_give_a_form_error_not_a_crash(admin_client, answers):
    PinterestCredentialsFactory()
    task = TaskFactory()
    url = reverse("admin:tasks_task_change", args=[task.pk])

    response = admin_client.post(url, task_admin_form(task, answers=answers), **EN)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["answers"] == [
        "Answers must be a JSON list of strings."
    ]
    task.refresh_from_db()
    assert isinstance(task.answers, list)


@pytest.mark.parametrize("gone", ["deleted", "unreachable"])
def test_change_page_with_a_render_gone_from_storage_says_not_rendered(
    admin_client, settings, gone
):
    from django.core.files.storage import default_storage

    from quiz_media.models import RenderedFile
    from social_media.media import tasks_render_media

    PinterestCredentialsFactory()
    task = TaskFactory(image_url="")
    tasks_render_media(task_ids=[task.pk])
    row = RenderedFile.objects.get(kind="question_card")
    if gone == "deleted":
        default_storage.delete(row.name)
    else:
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "quiz_media.tests.test_find_rendered.UnreachableStorage"},
        }

    response = admin_client.get(reverse("admin:tasks_task_change", args=[task.pk]), **EN)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Not rendered yet" in html
    assert row.name not in html  # no link to a file that is not there
