"""The process's copy of the targets: every change to them reaches the next save and post.

Changes are made the way another process or machine would make them (a queryset
UPDATE or DELETE: no signal reaches this process), after this process loaded its
copy; the next save must act on the current targets.
"""

from __future__ import annotations

import pytest

from social_media import target_cache
from social_media import tasks as celery_tasks
from tasks.models import SocialMediaPost
from tests.factories import (
    FacebookCredentialsFactory,
    PinterestCredentialsFactory,
    TaskFactory,
    WebhookFactory,
)
from webhooks.models import SocialMediaCredentials, Webhook

pytestmark = [pytest.mark.postgres]


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    sent: list[list[int]] = []
    monkeypatch.setattr(celery_tasks.publish_post, "delay", lambda post_id: sent.append([post_id]))
    monkeypatch.setattr(celery_tasks.dispatch_posts, "delay", lambda ids: sent.append(list(ids)))
    return sent


def _platforms_of(task) -> set[str]:
    return set(SocialMediaPost.objects.filter(task=task).values_list("platform", flat=True))


def _loaded() -> None:
    target_cache.snapshot(target_cache.fingerprint())


@pytest.mark.django_db
def test_a_credential_deactivated_elsewhere_gets_no_post_on_the_next_save(
    no_broker, django_capture_on_commit_callbacks
):
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    _loaded()
    assert _platforms_of(TaskFactory(published=True)) == {"pinterest", "facebook"}

    SocialMediaCredentials.objects.filter(platform="pinterest").update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        task = TaskFactory(published=True)

    assert _platforms_of(task) == {"facebook"}
    posts = list(SocialMediaPost.objects.filter(task=task))
    assert no_broker[-1] == [p.pk for p in posts]  # the posts that exist are the ones sent


@pytest.mark.django_db
def test_a_credential_added_elsewhere_gets_its_post_on_the_next_save():
    PinterestCredentialsFactory()
    _loaded()
    assert _platforms_of(TaskFactory(published=True)) == {"pinterest"}

    FacebookCredentialsFactory()

    assert _platforms_of(TaskFactory(published=True)) == {"pinterest", "facebook"}


@pytest.mark.django_db
def test_a_webhook_deleted_elsewhere_inside_a_transaction_is_not_referenced():
    PinterestCredentialsFactory()
    WebhookFactory(target_platforms=["instagram"])
    _loaded()
    Webhook.objects.all().delete()

    task = TaskFactory(published=True)

    assert _platforms_of(task) == {"pinterest"}


@pytest.mark.django_db(transaction=True)
def test_a_webhook_deleted_elsewhere_without_a_transaction_is_not_referenced():
    """Outside a transaction the INSERT's foreign key is checked at once: the save
    still succeeds, with the current targets."""
    PinterestCredentialsFactory()
    WebhookFactory(target_platforms=["instagram"])
    _loaded()
    Webhook.objects.all().delete()

    task = TaskFactory(published=True)

    assert _platforms_of(task) == {"pinterest"}


@pytest.mark.django_db
def test_a_language_change_made_without_save_reaches_the_next_save():
    PinterestCredentialsFactory(languages=[])
    _loaded()
    SocialMediaCredentials.objects.update(languages=["ru"])

    assert _platforms_of(TaskFactory(published=True, language="en")) == set()
    assert _platforms_of(TaskFactory(published=True, language="ru")) == {"pinterest"}
