"""Which credential or webhook carries each platform for a task."""

from __future__ import annotations

import pytest

from social_media.targets import Targets
from tests.factories import (
    FacebookCredentialsFactory,
    PinterestCredentialsFactory,
    TaskFactory,
    WebhookFactory,
)

pytestmark = pytest.mark.django_db


def test_load_takes_active_credentials_and_active_social_webhooks_in_two_queries(
    django_assert_num_queries,
):
    pinterest = PinterestCredentialsFactory()
    PinterestCredentialsFactory(is_active=False)
    social = WebhookFactory(target_platforms=["instagram"])
    WebhookFactory(target_platforms=["tiktok"], is_active=False)
    WebhookFactory(target_platforms=["tiktok"], webhook_type="task_events")

    with django_assert_num_queries(2):
        targets = Targets.load()

    assert targets.credentials == [pinterest]
    assert targets.webhooks == [social]


def test_each_platform_maps_to_its_target():
    pinterest = PinterestCredentialsFactory()
    facebook = FacebookCredentialsFactory()
    make = WebhookFactory(target_platforms=["instagram", "tiktok"])
    zapier = WebhookFactory(target_platforms=["yandex_dzen"])

    found = Targets.load().for_task(TaskFactory.build(language="en"))

    assert found == {
        "pinterest": pinterest,
        "facebook": facebook,
        "instagram": make,
        "tiktok": make,
        "yandex_dzen": zapier,
    }


def test_the_oldest_matching_target_wins():
    first = PinterestCredentialsFactory()
    PinterestCredentialsFactory()
    hook = WebhookFactory(target_platforms=["instagram"])
    WebhookFactory(target_platforms=["instagram"])

    found = Targets.load().for_task(TaskFactory.build())

    assert found == {"pinterest": first, "instagram": hook}


def test_languages_choose_the_account():
    ru = PinterestCredentialsFactory(languages=["ru"])
    en = PinterestCredentialsFactory(languages=["en"])
    everyone = WebhookFactory(target_platforms=["tiktok"])
    ru_only = WebhookFactory(target_platforms=["instagram"], languages=["ru"])
    targets = Targets.load()

    assert targets.for_task(TaskFactory.build(language="ru")) == {
        "pinterest": ru,
        "tiktok": everyone,
        "instagram": ru_only,
    }
    assert targets.for_task(TaskFactory.build(language="en")) == {
        "pinterest": en,
        "tiktok": everyone,
    }
    assert targets.for_task(TaskFactory.build(language="de")) == {"tiktok": everyone}


def test_wrong_kinds_and_bad_lists_are_ignored():
    # Rows that bypassed the admin's validation must not break routing.
    WebhookFactory(target_platforms=["pinterest", "myspace", "tiktok"])
    WebhookFactory(target_platforms={"instagram": True})
    PinterestCredentialsFactory(platform="yandex_dzen")  # a webhook-only platform
    PinterestCredentialsFactory(platform="myspace")

    found = Targets.load().for_task(TaskFactory.build())

    assert set(found) == {"tiktok"}


@pytest.mark.parametrize(("kind", "platform"), [("api", "pinterest"), ("webhook", "instagram")])
def test_a_worker_loads_only_the_kind_of_target_its_post_needs(
    django_assert_num_queries, kind, platform
):
    pinterest = PinterestCredentialsFactory()
    hook = WebhookFactory(target_platforms=["instagram"])
    task = TaskFactory()

    with django_assert_num_queries(1):
        targets = Targets.load(kind=kind)

    assert targets.for_task(task) == {platform: pinterest if kind == "api" else hook}


def test_malformed_stored_routing_is_ignored_not_a_crash():
    from webhooks.models import SocialMediaCredentials, Webhook

    credential = PinterestCredentialsFactory()
    hook = WebhookFactory(target_platforms=["instagram"])
    SocialMediaCredentials.objects.filter(pk=credential.pk).update(languages=5)
    Webhook.objects.filter(pk=hook.pk).update(target_platforms=[["tiktok"], "instagram"])

    found = Targets.load().for_task(TaskFactory(language="ru"))

    assert set(found) == {"pinterest", "instagram"}
