"""Instagram's API route with a real Celery worker: the waiting steps are Celery
countdowns (no worker sleeps), the emulator fetches the cards from the live server."""

from __future__ import annotations

import pytest

from emulator.platforms.instagram import IG_USER_ID
from tasks.models import SocialMediaPost
from tests.e2e.conftest import wait_until
from tests.factories import TaskFactory
from webhooks.models import SocialMediaCredentials

# The worker subprocess shares the test database: PostgreSQL, not SQLite in memory.
pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_carousel_is_published_in_steps_by_the_worker(e2e):
    SocialMediaCredentials.objects.create(
        platform="instagram",
        access_token="EAAB-e2e-instagram-token-0123456789",
        extra_data={"ig_user_id": IG_USER_ID, "publish_as": "carousel"},
    )

    task = TaskFactory(published=True)

    post = wait_until(
        lambda: SocialMediaPost.objects.filter(
            task=task, platform="instagram", status__in=["published", "failed"]
        ).first(),
        timeout=40,
        message=lambda: str(
            SocialMediaPost.objects.filter(task=task).values(
                "status", "platform_step", "error_message"
            )
        ),
    )
    store = e2e.native("instagram")
    (media,) = store.media.values()
    assert (post.status, post.route, post.post_id) == ("published", "api", media["id"])
    assert post.post_url == media["permalink"]
    assert media["media_type"] == "CAROUSEL_ALBUM" and len(media["children"]) == 2
    outcomes = list(post.attempts.order_by("pk").values_list("outcome", flat=True))
    assert outcomes[0] == "waiting" and outcomes[-1] == "success"
    assert post.retry_count == 0
    assert len(e2e.requests("instagram", method="POST", path="media_publish")) == 1
