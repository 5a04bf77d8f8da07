"""Every JSON field of the admin forms: bad input is a short form error and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import translation

from quiz_backend.json_fields import LANGUAGES, offenders
from tasks.models import SocialMediaPost, Task
from tests.factories import (
    PinterestCredentialsFactory,
    TaskFactory,
    WebhookFactory,
    task_admin_form,
)
from webhooks.models import SocialMediaCredentials, Webhook

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}
NEW_TOKEN = "pina_NEWtoken-abcdefghijklmnopqrstuvwxyz"
MAX_MESSAGE = 300  # characters of one error message


def _hook_form(webhook: Webhook | None, **overrides: str) -> dict[str, str]:
    data = {
        "url": "https://hook.eu1.make.com/abc123",
        "service_name": "Make.com",
        "webhook_type": "social_media",
        "target_platforms": json.dumps(webhook.target_platforms if webhook else ["instagram"]),
        "payload_format": "nested",
        "languages": json.dumps(webhook.languages if webhook else []),
        "callback_auth": "signature",
        "is_active": "on",
    }
    return data | overrides


def _cred_form(credential: SocialMediaCredentials | None, **overrides: str) -> dict[str, str]:
    data = {
        "platform": "pinterest",
        "access_token": "" if credential else NEW_TOKEN,
        "refresh_token": "",
        "token_expires_at_0": "",
        "token_expires_at_1": "",
        "extra_data": json.dumps(credential.extra_data if credential else {"board_id": "1"}),
        "languages": json.dumps(credential.languages if credential else []),
        "is_active": "on",
    }
    return data | overrides


@dataclass(frozen=True)
class JSONFormField:
    model: type[models.Model]
    field: str
    make: Callable[[], models.Model]
    form: Callable[..., dict[str, str]]
    good_item: str = ""  # a valid list item, repeated to make duplicates

    def url(self, obj: models.Model | None) -> str:
        meta = self.model._meta
        if obj is None:
            return reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])

    def __str__(self) -> str:
        return f"{self.model.__name__}.{self.field}"


ANSWERS = JSONFormField(Task, "answers", TaskFactory, task_admin_form, good_item="4")
TARGETS = JSONFormField(
    Webhook, "target_platforms", WebhookFactory, _hook_form, good_item="instagram"
)
HOOK_LANGUAGES = JSONFormField(Webhook, "languages", WebhookFactory, _hook_form, good_item="ru")
CRED_LANGUAGES = JSONFormField(
    SocialMediaCredentials, "languages", PinterestCredentialsFactory, _cred_form, good_item="ru"
)
EXTRA_DATA = JSONFormField(
    SocialMediaCredentials, "extra_data", PinterestCredentialsFactory, _cred_form
)
LIST_FIELDS = [ANSWERS, TARGETS, HOOK_LANGUAGES, CRED_LANGUAGES]
ALL_FIELDS = [*LIST_FIELDS, EXTRA_DATA]

HUGE_STRING = '["' + "x" * 100_000 + '"]'
LIST_CASES = [
    ("null", "null is not allowed here."),
    ('{"ru": true}', "must be a JSON list"),
    ('"ru"', "must be a JSON list"),
    ("5", "must be a JSON list"),
    ("true", "must be a JSON list"),
    ("[1, 2, null]", "Not text: 1, 2, null."),
    ("[NaN]", "Enter a valid JSON."),
    ("[1, 2", "Enter a valid JSON."),
    ('["", " "]', "Empty entries are not allowed."),
    (json.dumps([f"z{n}" for n in range(40)]), "Too many entries: 40"),
    (HUGE_STRING, "The value is too long: 100004 characters"),
]
OBJECT_CASES = [
    ("null", "null is not allowed here."),
    ('["board_id"]', "Extra data must be a JSON object."),
    ('"549755885175"', "Extra data must be a JSON object."),
    ('{"board_id": "1", "board_id": "2"}', "Each key may appear only once; repeated: board_id."),
    ('{"board_id": {"id": "1"}}', "Values must be text, numbers or true/false; not for: board_id."),
    ('{"board_id": NaN}', "Enter a valid JSON."),
    (json.dumps({f"k{n}": "1" for n in range(30)} | {"board_id": "1"}), "Too many entries: 31"),
    (json.dumps({"board_id": "1", "note": "n" * 300}), "Too long (at most 255 characters each)"),
    ('{"board_id": "' + "1" * 100_000 + '"}', "The value is too long"),
]


def _snapshot() -> dict[str, list[dict]]:
    kinds: tuple[type[models.Model], ...] = (Task, SocialMediaPost, Webhook, SocialMediaCredentials)
    return {
        model.__name__: [dict(row) for row in model._default_manager.order_by("pk").values()]
        for model in kinds
    }


def _post_bad(admin_client, case: JSONFormField, obj, value: str, headers=EN):
    before = _snapshot()
    response = admin_client.post(case.url(obj), case.form(obj, **{case.field: value}), **headers)
    assert response.status_code == 200
    errors = [str(e) for e in response.context["adminform"].form.errors.get(case.field, [])]
    assert errors, response.context["adminform"].form.errors
    assert all(len(error) <= MAX_MESSAGE for error in errors), errors
    assert _snapshot() == before  # nothing saved, nothing changed
    return errors


def _cases(fields, cases):
    return [
        pytest.param(field, value, expected, id=f"{field}-{value[:20]}")
        for field in fields
        for value, expected in cases
    ]


@pytest.mark.parametrize("on_change_page", [False, True], ids=["add", "change"])
@pytest.mark.parametrize(
    ("case", "value", "expected"),
    _cases(LIST_FIELDS, LIST_CASES) + _cases([EXTRA_DATA], OBJECT_CASES),
)
def test_bad_json_is_a_short_form_error_and_changes_nothing(
    admin_client, case, value, expected, on_change_page
):
    obj = case.make() if on_change_page else None

    errors = _post_bad(admin_client, case, obj, value)

    assert expected in " ".join(errors)
    if obj is not None:
        obj.refresh_from_db()
        assert isinstance(getattr(obj, case.field), list | dict)


@pytest.mark.parametrize("case", LIST_FIELDS, ids=str)
def test_five_thousand_duplicates_give_one_short_message(admin_client, case):
    errors = _post_bad(admin_client, case, case.make(), json.dumps([case.good_item] * 5000))

    assert len(errors) == 1
    assert "The value is too long" in errors[0]


@pytest.mark.parametrize("case", LIST_FIELDS, ids=str)
def test_duplicates_name_the_item_once(admin_client, case):
    errors = _post_bad(admin_client, case, case.make(), json.dumps([case.good_item] * 12))

    text = " ".join(errors)
    assert f"repeated: {case.good_item}." in text
    assert text.count(case.good_item) == 1


@pytest.mark.parametrize(
    ("case", "value", "expected"),
    [
        (HOOK_LANGUAGES, '["RU!"]', "Unknown language codes: RU!."),
        (HOOK_LANGUAGES, '["nonexistent_platform"]', "Unknown language codes"),
        (CRED_LANGUAGES, '["RU!"]', "Unknown language codes: RU!."),
        (CRED_LANGUAGES, '["xx", "ru", "EN"]', "Unknown language codes: xx, EN."),
        (CRED_LANGUAGES, '["ru", "ru"]', "Each entry may appear only once; repeated: ru."),
        (TARGETS, '["nonexistent_platform"]', "Unknown webhook platforms: nonexistent_platform."),
        (TARGETS, '["pinterest"]', "Unknown webhook platforms: pinterest."),
        (ANSWERS, json.dumps(["4", "x" * 501]), "Too long (at most 500 characters each)"),
        (ANSWERS, '["4", "4"]', "Each entry may appear only once; repeated: 4."),
    ],
    ids=lambda v: str(v)[:30],
)
def test_unknown_and_repeated_entries_are_named(admin_client, case, value, expected):
    for obj in (None, case.make()):
        errors = _post_bad(admin_client, case, obj, value)
        assert expected in " ".join(errors)


def test_unknown_platforms_list_only_the_first_few_unique_ones(admin_client):
    bad = [f"platform_{n}" for n in range(18)]

    [error] = _post_bad(admin_client, TARGETS, WebhookFactory(), json.dumps(bad))

    assert "platform_0, platform_1, platform_2, platform_3, platform_4 and" in error
    assert "and 13 more. Use: " in error
    assert "platform_5," not in error


def test_errors_are_russian_in_a_russian_admin(admin_client):
    errors = _post_bad(admin_client, HOOK_LANGUAGES, WebhookFactory(), "null", headers=RU)
    assert "null здесь недопустим" in errors[0]
    errors = _post_bad(admin_client, TARGETS, None, '["instagram", "instagram"]', headers=RU)
    assert "повторяются: instagram" in errors[0]


@pytest.mark.parametrize(
    ("case", "value", "stored"),
    [
        (HOOK_LANGUAGES, '["ru", "en", "de", "pt-br"]', ["ru", "en", "de", "pt-br"]),
        (HOOK_LANGUAGES, "", []),
        (CRED_LANGUAGES, "  ", []),
        (TARGETS, '["instagram", "tiktok"]', ["instagram", "tiktok"]),
        (ANSWERS, '["3", "4", "5"]', ["3", "4", "5"]),
    ],
    ids=lambda v: str(v)[:30],
)
def test_good_json_is_saved(admin_client, case, value, stored):
    obj = case.make()
    form = case.form(obj, **{case.field: value})
    if case is ANSWERS:
        form["correct_answer"] = "4"

    response = admin_client.post(case.url(obj), form, **EN)

    assert response.status_code == 302, response.context["adminform"].form.errors
    obj.refresh_from_db()
    assert getattr(obj, case.field) == stored


def test_the_typed_text_is_shown_back_as_typed(admin_client):
    value = '{"board_id": "1", "board_id": "2"}'
    response = admin_client.post(EXTRA_DATA.url(None), _cred_form(None, extra_data=value), **EN)
    assert "board_id&quot;: &quot;1&quot;, &quot;board_id" in response.content.decode()


def test_a_field_error_is_not_followed_by_the_model_complaining_about_the_old_value(
    admin_client,
):
    errors = _post_bad(admin_client, TARGETS, None, "null")
    assert errors == [
        "null is not allowed here. Target platforms must be a JSON list of platform keys."
    ]


@pytest.mark.parametrize(
    ("make", "field", "value"),
    [
        (WebhookFactory.build, "languages", None),
        (WebhookFactory.build, "languages", ["RU!"]),
        (WebhookFactory.build, "target_platforms", None),
        (WebhookFactory.build, "target_platforms", ["instagram"] * 5000),
        (PinterestCredentialsFactory.build, "languages", None),
        (PinterestCredentialsFactory.build, "extra_data", None),
        (PinterestCredentialsFactory.build, "extra_data", {"board_id": ["1"]}),
        (TaskFactory.build, "answers", None),
        (TaskFactory.build, "answers", ["3"] * 20),
    ],
)
def test_model_validation_refuses_the_same_values(make, field, value):
    obj = make(**{field: value})

    with pytest.raises(ValidationError) as raised:
        obj.full_clean()

    messages = raised.value.message_dict[field]
    assert len(messages) == len(set(messages))
    assert all(len(message) <= MAX_MESSAGE for message in messages)


def test_offenders_are_unique_shortened_and_capped():
    with translation.override("en"):
        text = offenders(["a" * 100, "b", "b", 3, None, "c", "d", "e", "f"])
    assert text == "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa…, b, 3, null, c and 3 more"


def test_language_codes_follow_the_task_language_format():
    for code in ("ru", "en", "de", "pt-br", "en-gb"):
        LANGUAGES.validate([code])
    for code in ("RU", "ru!", "xx", "english", "ru_RU", "zh-hans"):
        with pytest.raises(ValidationError):
            LANGUAGES.validate([code])


@pytest.mark.parametrize(
    ("case", "stored"),
    [
        (HOOK_LANGUAGES, {"ru": True}),
        (TARGETS, ["instagram", "instagram"]),
        (CRED_LANGUAGES, ["RU!"]),
        (EXTRA_DATA, {"board_id": ["1"]}),
        (ANSWERS, "4"),
    ],
    ids=str,
)
def test_a_change_page_with_bad_stored_json_renders_and_refuses_to_save_it_as_is(
    admin_client, case, stored
):
    obj = case.make()
    case.model.objects.filter(pk=obj.pk).update(**{case.field: stored})  # data from before
    obj.refresh_from_db()

    page = admin_client.get(case.url(obj), **EN)
    assert page.status_code == 200
    shown = page.context["adminform"].form[case.field].value()

    errors = _post_bad(admin_client, case, obj, shown)
    assert errors
