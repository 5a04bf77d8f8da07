"""Caption templates in the admin: Russian and English, refused on save with the error,
a live preview endpoint that needs staff permission and CSRF, and the task page preview."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from social_media.content import DEFAULT_TEMPLATES, LIMITS
from social_media.models import CaptionTemplate
from social_media.tests.contract import PINTEREST_API, SITE_URL
from tests.factories import PinterestCredentialsFactory, TaskFactory, WebhookFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}
CHANGELIST = "/admin/social_media/captiontemplate/"
ADD = "/admin/social_media/captiontemplate/add/"
PREVIEW = "/admin/social_media/captiontemplate/preview/"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE_URL
    settings.PINTEREST_API_BASE_URL = PINTEREST_API
    settings.SOCIAL_MEDIA_AUTO_PUBLISH = False


def form(**overrides: str) -> dict[str, str]:
    data = {
        "platform": "pinterest",
        "language": "ru",
        "is_active": "on",
        "title": "{{ topic }}: {{ question_first_line }}",
        "description": "{{ question }}\r\n\r\n{{ link }}",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("headers", "section", "model", "field"),
    [
        (EN, "Social media publishing", "Caption templates", "Title template"),
        (RU, "Публикация в соцсетях", "Шаблоны подписей", "Шаблон заголовка"),
    ],
)
def test_listed_under_social_media_in_both_languages(admin_client, headers, section, model, field):
    index = admin_client.get("/admin/", **headers).content.decode()
    assert section in index
    assert model in index
    assert CHANGELIST in index

    add = admin_client.get(ADD, **headers)
    page = add.content.decode()
    assert add.status_code == 200
    assert field in page
    assert 'id="caption-preview"' in page
    assert "social_media/caption_preview.js" in page


def test_the_add_form_starts_from_the_built_in_texts(admin_client, settings):
    settings.LANGUAGE_CODE = "ru"
    response = admin_client.get(ADD, **EN)

    initial = response.context["adminform"].form.initial
    assert initial["language"] == "ru"
    assert initial["title"] == DEFAULT_TEMPLATES["ru"]["title"]
    assert initial["description"] == DEFAULT_TEMPLATES["ru"]["description"]
    defaults = response.context["caption_defaults"]
    assert defaults["en"]["title"] == DEFAULT_TEMPLATES["en"]["title"]


def test_a_valid_template_is_saved_with_lf_line_breaks(admin_client):
    response = admin_client.post(ADD, form(), **EN)

    assert response.status_code == 302
    row = CaptionTemplate.objects.get()
    assert row.description == "{{ question }}\n\n{{ link }}"
    assert str(row) == "Pinterest · Russian"


@pytest.mark.parametrize(
    ("headers", "source", "expected"),
    [
        (EN, "{% load static %}", "This template cannot be used: Invalid block tag"),
        (RU, "{% load static %}", "Этот шаблон нельзя использовать: Invalid block tag"),
        (EN, "{% include 'admin/base.html' %}", "&#x27;include&#x27;"),
        (EN, "{{ question.__class__ }}", "may not begin with underscores"),
        (EN, "{{ question.upper }}", "not their attributes"),
        (RU, "{{ question.upper }}", "а не их атрибуты"),
        (EN, "{% if topic %}", "Unclosed tag"),
    ],
)
def test_a_broken_template_is_refused_with_the_error_and_nothing_saved(
    admin_client, headers, source, expected
):
    response = admin_client.post(ADD, form(title=source), **headers)

    assert response.status_code == 200
    assert expected in response.content.decode()
    assert "title" in response.context["adminform"].form.errors
    assert not CaptionTemplate.objects.exists()


def test_a_broken_edit_leaves_the_saved_template_as_it_was(admin_client):
    row = CaptionTemplate.objects.create(platform="tiktok", language="en", title="{{ topic }}")
    url = reverse("admin:social_media_captiontemplate_change", args=[row.pk])

    response = admin_client.post(url, form(platform="tiktok", language="en", title="{% x %}"))

    assert response.status_code == 200
    row.refresh_from_db()
    assert row.title == "{{ topic }}"


def test_one_template_per_platform_and_language(admin_client):
    CaptionTemplate.objects.create(platform="pinterest", language="ru", title="{{ topic }}")

    response = admin_client.post(ADD, form(), **EN)

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert CaptionTemplate.objects.count() == 1


def test_facebook_templates_without_the_link_are_refused(admin_client):
    response = admin_client.post(ADD, form(platform="facebook", description="{{ question }}"), **EN)

    assert response.status_code == 200
    assert "the description must contain {{ link }}" in response.content.decode()
    assert not CaptionTemplate.objects.exists()


# --- the live preview endpoint --------------------------------------------------------


def preview(client: Client, **overrides: str):
    data = {
        "platform": "pinterest",
        "language": "en",
        "title": "{{ topic|upper }}!",
        "description": "",
        "task": "",
    }
    data.update(overrides)
    return client.post(PREVIEW, data, headers={"accept-language": "en"})


def test_the_preview_renders_a_chosen_task_with_the_limits(admin_client):
    task = TaskFactory(language="ru", topic="Алгоритмы", question="Ж" * 900)

    response = preview(admin_client, task=str(task.pk), language="ru")

    assert response.status_code == 200
    data = response.json()
    assert data["task"] == str(task)
    assert data["fields"]["title"] == {
        "text": "АЛГОРИТМЫ!",
        "length": 10,
        "limit": 100,
        "cut": False,
        "note": "",
    }
    description = data["fields"]["description"]
    assert description["cut"] is True
    assert description["length"] == description["limit"] == LIMITS["pinterest"].description
    assert description["note"] == (
        "The description is cut to fit 800 characters (the link and hashtags are kept)."
    )
    assert description["text"].endswith(
        f"{SITE_URL}/task/{task.pk}\n\n#алгоритмы #программирование #квиз #викторина"
    )


def test_the_preview_defaults_to_a_sample_task(admin_client):
    data = preview(admin_client).json()

    assert data["task"] == "a sample task"
    assert data["fields"]["title"]["text"] == "PYTHON!"


def test_a_broken_template_in_the_preview_is_an_error_message_not_a_500(admin_client):
    response = preview(admin_client, title="{% load static %}{{", description="{{ x.y }}")

    assert response.status_code == 200
    data = response.json()
    assert "error" in data["fields"]["title"]
    assert "not their attributes" in data["fields"]["description"]["error"]


def test_the_preview_error_is_in_russian_for_russian_staff(admin_client):
    response = admin_client.post(
        PREVIEW, {"platform": "tiktok", "language": "ru", "title": "{{ a.b }}"}, **RU
    )

    assert "а не их атрибуты" in response.json()["fields"]["title"]["error"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"platform": "myspace"}, "Choose a platform."),
        ({"language": "xx"}, "Choose a language."),
        ({"task": "999999"}, "No such task."),
        ({"task": "99999999999999999999999"}, "No such task."),
        ({"task": "abc"}, "No such task."),
        ({"task": "²"}, "No such task."),  # a Unicode digit int() refuses
        ({"task": "٣"}, "No such task."),  # an Arabic-Indic digit: not a task id
        ({"task": "-1"}, "No such task."),
        ({"title": "x" * 10_001}, "at most 10000 characters"),
    ],
)
def test_bad_preview_input_is_a_clear_400(admin_client, overrides, message):
    response = preview(admin_client, **overrides)

    assert response.status_code == 400
    assert message in response.json()["error"]


def test_the_preview_is_post_only(admin_client):
    assert admin_client.get(PREVIEW).status_code == 405


def test_the_preview_needs_a_staff_login(client):
    response = preview(client)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_preview_needs_the_caption_template_permission(client):
    user = User.objects.create_user("editor", password="pw", is_staff=True)
    client.force_login(user)

    assert preview(client).status_code == 403

    user.user_permissions.add(Permission.objects.get(codename="change_captiontemplate"))
    assert preview(client).status_code == 200
    # A task's text is shown only to staff who may see tasks.
    task = TaskFactory()
    assert preview(client, task=str(task.pk)).status_code == 403
    row = CaptionTemplate.objects.create(platform="tiktok", language="en")
    change = client.get(reverse("admin:social_media_captiontemplate_change", args=[row.pk]))
    assert change.context["caption_preview_tasks"] == []
    user.user_permissions.add(Permission.objects.get(codename="view_task"))
    assert preview(client, task=str(task.pk)).status_code == 200


def test_the_preview_is_csrf_protected(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    assert preview(client).status_code == 403

    page = client.get(ADD)
    token = page.cookies["csrftoken"].value
    response = client.post(
        PREVIEW, {"platform": "tiktok", "language": "en"}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200


# --- the task page preview uses the templates -----------------------------------------


def test_the_task_page_shows_the_templated_texts_and_the_cut(admin_client):
    PinterestCredentialsFactory()
    WebhookFactory(target_platforms=["instagram"])
    CaptionTemplate.objects.create(platform="pinterest", language="en", title="📌 {{ question }}")
    CaptionTemplate.objects.create(
        platform="instagram", language="en", description="IG {{ question }} {{ link }}"
    )
    task = TaskFactory(language="en", question="Q" * 150)

    response = admin_client.get(reverse("admin:tasks_task_change", args=[task.pk]), **EN)

    previews = {p.key: p for p in response.context["platform_previews"]}
    title = next(f for f in previews["pinterest"].fields if f.name == "title")
    assert title.value == "📌 " + "Q" * 97 + "…"
    assert "The title is cut to 100 characters." in previews["pinterest"].notes
    payload = json.loads(previews["instagram"].payload)
    assert payload["content"]["description"] == f"IG {'Q' * 150} {SITE_URL}/task/{task.pk}"
    page = response.content.decode()
    assert "📌 " + "Q" * 97 + "…" in page


def test_the_task_page_says_when_a_broken_row_is_replaced_by_the_default(admin_client):
    PinterestCredentialsFactory()
    row = CaptionTemplate.objects.create(platform="pinterest", language="en", title="ok")
    CaptionTemplate.objects.filter(pk=row.pk).update(title="{% for c in topic %}{% endfor %}")
    task = TaskFactory(language="en")

    response = admin_client.get(reverse("admin:tasks_task_change", args=[task.pk]), **EN)

    notes = " ".join(response.context["platform_previews"][0].notes)
    assert "The caption template is not used" in notes
    assert "the default text is sent" in notes
