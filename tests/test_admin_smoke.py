"""Every registered admin page opens for a superuser, in Russian and in English.

One parametrized test per ``ModelAdmin`` in ``admin.site._registry`` (a newly registered
model is covered without editing this file) and per language: the changelist, the add page
and the change page of one object render, answer 200 (403 where the admin refuses to add)
and are in the requested language. A model without a maker below fails the test, so a new
admin gets its change page checked too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import models
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from quiz_media.models import BrandSettings, RenderedFile
from social_media.models import (
    CaptionTemplate,
    MetricDay,
    MetricSnapshot,
    PublishAttempt,
    PublishSlot,
)
from tests.factories import (
    PinterestCredentialsFactory,
    SocialMediaPostFactory,
    TaskFactory,
    WebhookFactory,
)

pytestmark = pytest.mark.django_db


def _post() -> models.Model:
    post = SocialMediaPostFactory(status="failed", error_message="HTTP 500")
    PublishAttempt.objects.create(
        post=post, number=1, started_at=timezone.now(), http_status=500, outcome="transient"
    )
    return post


def _rendered_file() -> models.Model:
    return RenderedFile.objects.create(
        cache_key="a" * 64,
        name="renders/aa/" + "a" * 64 + ".png",
        kind="question_card",
        task=TaskFactory(),
        width=1000,
        height=1500,
        mime_type="image/png",
        bytes=12345,
        last_used_at=timezone.now(),
    )


def _snapshot() -> models.Model:
    post = SocialMediaPostFactory(status="published", post_id="813744")
    return MetricSnapshot.objects.create(
        post=post, platform=post.platform, read_at=timezone.now(), views=120, engagements=7
    )


def _slot() -> models.Model:
    post = SocialMediaPostFactory(task=TaskFactory())
    at = timezone.now() + timedelta(hours=1)
    return PublishSlot.objects.create(
        task=post.task, platform=post.platform, target="api:1", at=at, day=at.date()
    )


#: One object per registered model, keyed by ``app_label.model_name``. ``None``: the
#: superuser the test logs in with is the object.
MAKERS: dict[str, Callable[[], models.Model] | None] = {
    "auth.user": None,
    "auth.group": lambda: Group.objects.create(name="Editors"),
    "tasks.task": lambda: TaskFactory(published=True, language="ru"),
    "tasks.socialmediapost": _post,
    "webhooks.socialmediacredentials": PinterestCredentialsFactory,
    "webhooks.webhook": WebhookFactory,
    "social_media.captiontemplate": lambda: CaptionTemplate.objects.create(
        platform="pinterest", language="ru", title="{{ question }}"
    ),
    "quiz_media.brandsettings": lambda: BrandSettings.objects.create(site_name="Quiz"),
    "quiz_media.renderedfile": _rendered_file,
    "social_media.metricsnapshot": _snapshot,
    "social_media.metricday": lambda: MetricDay.objects.create(
        platform="pinterest", day=timezone.localdate(), interactions_gain=42
    ),
    "social_media.publishslot": _slot,
}

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label_lower)
LANGUAGES = {"ru": "ru", "en": "en"}


def _get(client: Any, url: str, language: str) -> Any:
    return client.get(url, follow=True, HTTP_ACCEPT_LANGUAGE=language)


def _assert_page(response: Any, language: str, expected: int = 200) -> None:
    assert response.status_code == expected, response.content.decode()[:2000]
    if expected == 200:
        assert f'lang="{language}"' in response.content.decode()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label_lower)
def test_every_admin_page_opens_for_a_superuser(admin_client, admin_user, model, language):
    label = model._meta.label_lower
    assert label in MAKERS, f"add a maker for {label} to MAKERS"
    maker = MAKERS[label]
    obj = admin_user if maker is None else maker()
    model_admin = admin.site._registry[model]
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"

    _assert_page(_get(admin_client, reverse(f"{prefix}_changelist"), language), language)

    request = RequestFactory().get("/")
    request.user = admin_user
    may_add = model_admin.has_add_permission(request)
    add = _get(admin_client, reverse(f"{prefix}_add"), language)
    _assert_page(add, language, 200 if may_add else 403)

    change = _get(admin_client, reverse(f"{prefix}_change", args=[obj.pk]), language)
    _assert_page(change, language)
    assert escape(str(obj)) in change.content.decode()
